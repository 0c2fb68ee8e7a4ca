import { EventEmitter } from 'node:events';
import type { IngestBatchRow, IngestItemRow } from '../db/tables.js';

/** A batch as it stands after a change, as events carry it (dates as ISO strings, so it crosses processes as JSON). */
export interface BatchSnapshot {
  id: number;
  albumId: number;
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  total: number;
  done: number;
  failed: number;
  createdAt: string;
  finishedAt: string | null;
}

/** An item that just got its outcome. */
export interface ItemSnapshot {
  position: number;
  imageId: number | null;
  fileName: string;
  error: { code: string; message: string } | null;
}

export const toBatchSnapshot = (r: IngestBatchRow): BatchSnapshot => ({
  id: r.id,
  albumId: r.album_id,
  status: r.status,
  total: r.total,
  done: r.done,
  failed: r.failed,
  createdAt: new Date(r.created_at).toISOString(),
  finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
});

export const toItemSnapshot = (
  r: Pick<IngestItemRow, 'position' | 'image_id' | 'file_name' | 'error_code' | 'error_message'>,
): ItemSnapshot => ({
  position: r.position,
  imageId: r.image_id,
  fileName: r.file_name,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
});

/** What happened, as told to every API process: the subscriptions' raw material. */
export type FacegraphEvent =
  /** A batch changed: it started, or items got their outcomes (`items`), or it finished. */
  | { kind: 'batch'; batch: BatchSnapshot; items: ItemSnapshot[] }
  /** A photo new to its album was stored with its faces. */
  | { kind: 'photo'; albumId: number; batchId: number | null; imageId: number; faces: number }
  /** A clustering run changed the album's people. */
  | { kind: 'people'; albumId: number; newPeople: number; removedPeople: number; facesPlaced: number }
  /** A watched folder's scan went on (files gone through so far) or its state changed. */
  | { kind: 'folder'; albumId: number; folderId: number; state: string; filesScanned: number; message: string | null };

export type EventListener = (event: FacegraphEvent) => void;

/**
 * Publish/subscribe between facegraph processes, over the database's own
 * pub/sub so that no other server is needed: a worker publishes, every API
 * process holding a subscription hears it. Delivery is best effort (a
 * listener connection that drops misses what was sent meanwhile), so
 * followers re-read the database now and then (see LiveEventsService).
 */
export interface EventBus {
  publish(event: FacegraphEvent): Promise<void>;
  /** Calls `listener` for every event published from now on, by any process; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves once this process hears events (on PostgreSQL: its listening connection is open). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The bus of a single process: the embedded PGlite is opened by one process
 * only, so every publisher and subscriber is here. Events are delivered on a
 * later tick, as they would be from the database.
 */
export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: FacegraphEvent): Promise<void> {
    setImmediate(() => this.emitter.emit('event', event));
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
