import type { AlbumEvent as AlbumEventPayload, BatchProgress } from '../services/live-events.service.js';
import type { Page } from '../services/pagination.js';
import type {
  AlbumRecord,
  BatchSnapshot,
  FaceRecord,
  ImageRecord,
  IngestBatchRecord,
  IngestItemRecord,
  ItemSnapshot,
  WatchedFolderRecord,
} from '../services/records.js';
import { WatchedFolderState, type WatchedFolder } from './types/watched-folder.type.js';
import { faceBox } from '../services/records.js';
import type { Album } from './types/album.type.js';
import { FACE_SOURCE, type Face } from './types/face.type.js';
import type { Image } from './types/image.type.js';
import { IngestStatus, type IngestBatch, type IngestItem } from './types/ingest.type.js';
import { AlbumEventKind, type AlbumEvent, type IngestBatchProgress } from './types/live-event.type.js';

/** Service records (`services/records.ts`) -> GraphQL object shapes. Kept in one place so resolvers stay one-liners. */
export const toAlbum = (r: AlbumRecord): Album => ({ id: r.id, name: r.name, createdAt: r.created_at });

export const toImage = (r: ImageRecord): Image => ({
  id: r.id,
  albumId: r.album_id,
  fileName: r.file_name,
  format: r.format,
  width: r.width,
  height: r.height,
  byteSize: r.byte_size,
  sha256: r.sha256,
  createdAt: r.created_at,
  takenAt: r.taken_at,
});

export const toFace = (r: FaceRecord): Face => ({
  id: r.id,
  imageId: r.image_id,
  albumId: r.album_id,
  box: faceBox(r),
  score: r.score,
  landmarks: r.landmarks.map(([x, y]) => ({ x, y })),
  model: r.model,
  source: FACE_SOURCE[r.source],
  quality: r.quality,
  createdAt: r.created_at,
});

export const toIngestBatch = (r: IngestBatchRecord): IngestBatch => ({
  id: r.id,
  albumId: r.album_id,
  status: IngestStatus[r.status],
  total: r.total,
  done: r.done,
  failed: r.failed,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export const toIngestItem = (r: IngestItemRecord): IngestItem => ({
  position: r.position,
  imageId: r.image_id,
  fileName: r.file_name,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
});

const fromBatchSnapshot = (b: BatchSnapshot): IngestBatch => ({
  id: b.id,
  albumId: b.albumId,
  status: IngestStatus[b.status],
  total: b.total,
  done: b.done,
  failed: b.failed,
  createdAt: new Date(b.createdAt),
  finishedAt: b.finishedAt ? new Date(b.finishedAt) : null,
});

const fromItemSnapshot = (i: ItemSnapshot): IngestItem => ({
  position: i.position,
  imageId: i.imageId,
  fileName: i.fileName,
  error: i.error,
});

export const toBatchProgress = (p: BatchProgress): IngestBatchProgress => ({
  batch: fromBatchSnapshot(p.batch),
  finishedItems: p.finishedItems.map(fromItemSnapshot),
});

const noFolder = { watchedFolderId: null, folderState: null, filesScanned: null, folderMessage: null };

export const toWatchedFolder = (r: WatchedFolderRecord): WatchedFolder => ({
  id: r.id,
  albumId: r.album_id,
  path: r.path,
  state: WatchedFolderState[r.state],
  message: r.message,
  filesScanned: Number(r.files_scanned),
  lastScanAt: r.last_scan_at,
  createdAt: r.created_at,
});

export const toAlbumEvent = (e: AlbumEventPayload): AlbumEvent =>
  e.kind === 'folder'
    ? {
        kind: AlbumEventKind.FOLDER_SCAN,
        albumId: e.albumId,
        batchId: null,
        imageId: null,
        faceCount: null,
        facesPlaced: null,
        newPeople: null,
        removedPeople: null,
        watchedFolderId: e.folderId,
        folderState: WatchedFolderState[e.state as keyof typeof WatchedFolderState] ?? null,
        filesScanned: e.filesScanned,
        folderMessage: e.message,
      }
    : e.kind === 'photo'
      ? {
          kind: AlbumEventKind.PHOTO_STORED,
          albumId: e.albumId,
          batchId: e.batchId,
          imageId: e.imageId,
          faceCount: e.faces,
          facesPlaced: null,
          newPeople: null,
          removedPeople: null,
          ...noFolder,
        }
      : {
          kind: AlbumEventKind.PEOPLE_CHANGED,
          albumId: e.albumId,
          batchId: null,
          imageId: null,
          faceCount: null,
          facesPlaced: e.facesPlaced,
          newPeople: e.newPeople,
          removedPeople: e.removedPeople,
          ...noFolder,
        };

/** Shapes a service page as a Relay connection. */
export function toConnection<TRow extends { id: number }, TNode>(page: Page<TRow>, map: (row: TRow) => TNode) {
  return {
    edges: page.nodes.map((row) => ({ cursor: page.cursorOf(row), node: map(row) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
  };
}
