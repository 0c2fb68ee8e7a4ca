import type { AlbumService } from './album.service.js';
import type { ApiKeyService } from './api-key.service.js';
import type { ClusteringService } from './clustering.service.js';
import type { FaceCorrectionService } from './face-correction.service.js';
import type { FaceThumbnailService } from './face-thumbnail.service.js';
import type { FaceService } from './face.service.js';
import type { IngestService } from './ingest.service.js';
import type { LiveEventsService } from './live-events.service.js';
import type { PeopleService } from './people.service.js';
import type { ReencodeService } from './reencode.service.js';
import type { WatchService } from './watch.service.js';
import type { ReviewQueueService } from './review-queue.service.js';
import type { StorageService } from './storage.service.js';

/**
 * Everything the API layers may call. Built once by the composition root
 * (`src/facegraph.ts`). Methods that read or write an owner's data take the
 * owner's id as their first argument (`LOCAL_OWNER.id` for the embedded CLI).
 */
export interface Services {
  keys: ApiKeyService;
  albums: AlbumService;
  faces: FaceService;
  corrections: FaceCorrectionService;
  ingest: IngestService;
  reencode: ReencodeService;
  /** Live streams for subscriptions. */
  live: LiveEventsService;
  people: PeopleService;
  clustering: ClusteringService;
  thumbnails: FaceThumbnailService;
  /** Watched folders indexed in place. */
  watch: WatchService;
  /** reviewQueue: faces in no person with the person each most likely is. */
  review: ReviewQueueService;
  /** Free space of the data folder: upload margin, full-disk errors, /healthz and /metrics. */
  storage: StorageService;
}
