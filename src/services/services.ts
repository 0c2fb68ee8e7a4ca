import type { AlbumService } from './album.service.js';
import type { ClusteringService } from './clustering.service.js';
import type { FaceThumbnailService } from './face-thumbnail.service.js';
import type { FaceService } from './face.service.js';
import type { ImportRoot } from './import-root.js';
import type { IngestService } from './ingest.service.js';
import type { PeopleService } from './people.service.js';

/** Everything the API layers may call. Built once by the composition root (`src/facegraph.ts`). */
export interface Services {
  albums: AlbumService;
  faces: FaceService;
  ingest: IngestService;
  imports: ImportRoot;
  people: PeopleService;
  clustering: ClusteringService;
  thumbnails: FaceThumbnailService;
}
