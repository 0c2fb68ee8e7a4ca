/**
 * The records services return, under the names the API layers use. `src/graphql/`
 * and `src/server/` import them from here, never from `src/db/` or
 * `src/repositories/`, so that they depend on services only.
 *
 * Today most are the stored rows as repositories read them (`db/tables.ts`):
 * services hand them out unchanged, and `graphql/mappers.ts` maps them to
 * GraphQL objects. A service that starts returning something else changes the
 * alias here, and the mappers follow.
 */
export type {
  AlbumRow as AlbumRecord,
  FaceRow as FaceRecord,
  ImageRow as ImageRecord,
  IngestBatchRow as IngestBatchRecord,
  IngestItemRow as IngestItemRecord,
  PersonMergeRow as PersonMergeRecord,
  PersonRow as PersonRecord,
  WatchedFolderRow as WatchedFolderRecord,
} from '../db/tables.js';
/** Batch progress as events carry it (`LiveEventsService.followBatch`). */
export type { BatchSnapshot, ItemSnapshot } from '../repositories/event-bus.js';
/** How a face was found (declared with the vision domain), and a stored face's box. */
export type { FaceSource } from '../vision/types.js';
export { faceBox } from '../repositories/face-columns.js';
/** Which person a face is in, and who put it there (`PeopleService.assignmentsOf`). */
export type { FaceAssignment } from '../repositories/person.repository.js';
