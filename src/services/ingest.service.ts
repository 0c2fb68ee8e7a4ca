import { EventEmitter } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestBatchRow, IngestItemRow } from '../db/tables.js';
import { AppError, NotFoundError } from '../errors.js';
import { jobId } from '../jobs/job-id.js';
import { QUEUES, type JobOutcome, type JobQueue, type JobRequest } from '../jobs/job-queue.js';
import { toBatchSnapshot, type EventBus, type FacegraphEvent, type ItemSnapshot } from '../repositories/event-bus.js';
import type { ImageRepository, InPlaceSource } from '../repositories/image.repository.js';
import type { IngestBatchRepository, ItemOutcome, NewItem } from '../repositories/ingest-batch.repository.js';
import type { ImportRoot } from '../repositories/import-root.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import type { UploadSpool } from '../repositories/upload-spool.js';
import type { FaceAnalyzer } from './face-analyzer.js';
import { inPlaceRef, inPlaceSourceOf, readItemSource } from './ingest-item-source.js';
import { ingestPhoto, type PhotoOutcome } from './ingest-photo.js';
import type { IngestSource } from './ingest-source.js';
import type { OwnerAccess } from './owner-access.js';

/** One item of a batch got its outcome in this process (progress displays). */
export interface PhotoEvent {
  batchId: number;
  albumId: number;
  position: number;
  fileName: string;
  imageId: number | null;
  created: boolean;
  faces: number;
  error: { code: string; message: string } | null;
  /** The batch finished with this item. */
  batchFinished: boolean;
}

/** An upload drained to a staging file, or the error that stopped it. */
export interface StagedUpload {
  fileName: string;
  path?: string;
  error?: AppError;
}

/** What ingestion reports as it goes (metrics; stage timings come from FaceAnalyzer.observe). */
export interface IngestObserver {
  photoStored(created: boolean, faces: number): void;
  photoFailed(code: string): void;
}

export interface IngestServiceDeps {
  access: OwnerAccess;
  images: ImageRepository;
  batches: IngestBatchRepository;
  photos: PhotoStore;
  analyzer: FaceAnalyzer;
  imports: ImportRoot;
  spool: UploadSpool;
  queue: JobQueue;
  observer?: IngestObserver;
  /** Where batch progress and stored photos are announced, for subscriptions in any process. */
  events?: EventBus;
  /** How long enqueueing requests wait for their batch to finish (see JobsConfig.ingestWaitSeconds). */
  waitSeconds: number;
  /** Deletes images as deleteImage does (files and renditions too); default: the rows only. */
  removeImages?: (ids: readonly number[]) => Promise<unknown>;
  /** FACEGRAPH_MIN_FACE_SIZE: an XMP region smaller than this (or than MIN_DRAWN_FACE_SIZE) makes no face. */
  minFaceSize?: number;
}

/** Batches this small jump ahead of bulk ones in the queue: someone is waiting for them. */
const INTERACTIVE_BATCH = 4;

/**
 * Turns files into stored images with faces, through durable jobs: a request
 * keeps its files (spool or import paths), creates its batch and one job per
 * photo in one transaction, and workers — in this process or others — process
 * the photos. Each photo is independent (one that fails is an item error) and
 * idempotent (the same bytes in the same album give back the existing image;
 * an item's outcome is recorded once), so a retried job changes nothing.
 */
export class IngestService {
  private readonly finished = new EventEmitter().setMaxListeners(0);
  private readonly photoEvents = new EventEmitter().setMaxListeners(0);

  constructor(private readonly deps: IngestServiceDeps) {}

  async getBatch(ownerId: number, id: number): Promise<IngestBatchRow> {
    await this.deps.access.require(ownerId, 'batch', id);
    return this.loadBatch(id);
  }

  /** The batch, if it is into one of the owner's albums. */
  async findBatch(ownerId: number, id: number): Promise<IngestBatchRow | undefined> {
    return (await this.deps.access.owned(ownerId, 'batch', [id])).has(id) ? this.deps.batches.findById(id) : undefined;
  }

  async batchItems(ownerId: number, id: number): Promise<IngestItemRow[]> {
    await this.deps.access.require(ownerId, 'batch', id);
    return this.deps.batches.items(id);
  }

  /** A batch's items, for work outside any request (a watched folder reads what its batches could not store). */
  batchItemsOf(id: number): Promise<IngestItemRow[]> {
    return this.deps.batches.items(id);
  }

  async listBatches(ownerId: number, albumId: number, limit: number): Promise<IngestBatchRow[]> {
    await this.deps.access.require(ownerId, 'album', albumId);
    return this.deps.batches.listByAlbum(albumId, limit);
  }

  /** Moves staged uploads into the spool, queues a job per photo, and waits a while for the batch. */
  async enqueueUploads(ownerId: number, albumId: number, uploads: StagedUpload[]): Promise<IngestBatchRow> {
    await this.deps.access.require(ownerId, 'album', albumId);
    const adopted: string[] = [];
    let batch: IngestBatchRow;
    try {
      const items: NewItem[] = [];
      for (const upload of uploads) {
        if (upload.error || !upload.path) {
          const error = upload.error ?? new AppError('BAD_USER_INPUT', 'upload could not be read');
          items.push({ fileName: upload.fileName, error: { code: error.code, message: error.message } });
          this.deps.observer?.photoFailed(error.code);
          continue;
        }
        const ref = await this.deps.spool.adopt(upload.path);
        adopted.push(ref);
        items.push({ fileName: upload.fileName, source: { kind: 'spool', ref } });
      }
      batch = await this.createQueuedBatch(albumId, items);
    } catch (err) {
      await Promise.all(adopted.map((ref) => this.deps.spool.remove(ref)));
      throw err;
    }
    return this.waitForBatch(batch.id, this.deps.waitSeconds);
  }

  /** Queues server-side paths (read under the import root by the worker) and waits a while for the batch. */
  async enqueuePaths(ownerId: number, albumId: number, paths: string[]): Promise<IngestBatchRow> {
    await this.deps.access.require(ownerId, 'album', albumId);
    const items = paths.map((p): NewItem => ({ fileName: path.basename(p) || p, source: { kind: 'import', ref: p } }));
    const batch = await this.createQueuedBatch(albumId, items);
    return this.waitForBatch(batch.id, this.deps.waitSeconds);
  }

  /**
   * A batch of local files that the caller processes itself with `processItem`
   * (the embedded CLI): no jobs are queued, so no other worker tries to read
   * files that only this host has. `inPlace`: the paths are relative to the
   * import root and the photos are indexed where they lie, not copied.
   */
  async createLocalBatch(
    ownerId: number,
    albumId: number,
    files: { fileName: string; path: string }[],
    options: { inPlace?: boolean } = {},
  ): Promise<IngestBatchRow> {
    await this.deps.access.require(ownerId, 'album', albumId);
    return this.deps.batches.createWithItems(
      albumId,
      files.map((f) => ({
        fileName: f.fileName,
        source: options.inPlace
          ? { kind: 'in-place', ref: inPlaceRef({ path: f.path, folderId: null }) }
          : { kind: 'file', ref: path.resolve(f.path) },
      })),
    );
  }

  /**
   * Queues photos to index in place (a watched folder's new or changed files, paths relative to the import
   * root): `import`-like items that the workers read where they lie and never copy. Does not wait.
   */
  async enqueueInPlace(albumId: number, folderId: number | null, files: { path: string; scan?: number | null }[]): Promise<IngestBatchRow> {
    const items = files.map(
      (f): NewItem => ({ fileName: f.path, source: { kind: 'in-place', ref: inPlaceRef({ path: f.path, folderId, scan: f.scan }) } }),
    );
    return this.createQueuedBatch(albumId, items);
  }

  /** Closes a batch early: its waiting items fail with CANCELLED. Returns how many were cancelled. */
  async cancelBatch(batchId: number, reason = 'stopped before this photo was processed'): Promise<number> {
    const cancelled = await this.deps.batches.cancelPending(batchId, { code: 'CANCELLED', message: reason });
    const batch = await this.deps.batches.findById(batchId);
    if (batch) await this.announce({ kind: 'batch', batch: toBatchSnapshot(batch), items: [] });
    return cancelled;
  }

  /** The batch once it has finished, or as it stands after `seconds`. */
  async waitForBatch(batchId: number, seconds: number): Promise<IngestBatchRow> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const batch = await this.loadBatch(batchId);
      const left = deadline - Date.now();
      if (batch.status === 'DONE' || batch.status === 'FAILED' || left <= 0) return batch;
      // Woken at once when this process finishes it; polled for workers elsewhere.
      const controller = new AbortController();
      const wake = () => controller.abort();
      this.finished.once(String(batchId), wake);
      await sleep(Math.min(500, left), undefined, { signal: controller.signal }).catch(() => undefined);
      this.finished.off(String(batchId), wake);
    }
  }

  /**
   * The job of one photo: read it from where it waits, store it with its
   * faces, record the item, then drop the spool copy. Expected problems (a
   * corrupt file, a forbidden path) are the item's outcome; anything else
   * throws, and the queue retries the job.
   */
  async processItem(batchId: number, position: number): Promise<JobOutcome> {
    const item = await this.deps.batches.pendingItem(batchId, position);
    if (!item) {
      // Recorded by an earlier attempt that died before cleaning up, or its album is gone.
      await this.removeSpooled(await this.deps.batches.itemSource(batchId, position));
      return 'skipped';
    }
    // Only the first photos of a batch find it QUEUED: the others skip the update (one round trip a photo).
    const started = item.batchStatus === 'QUEUED' ? await this.deps.batches.markRunning(batchId) : undefined;
    if (started) await this.announce({ kind: 'batch', batch: toBatchSnapshot(started), items: [] });
    let outcome: ItemOutcome;
    let stored: PhotoOutcome | undefined;
    try {
      if (item.sourceKind === 'in-place') {
        const place = await inPlaceSourceOf(item, this.deps.imports);
        stored = await this.ingestOne(
          item.albumId,
          { fileName: path.posix.basename(place.path), read: () => this.deps.imports.read(place.path) },
          place,
        );
      } else stored = await this.ingestOne(item.albumId, { fileName: item.fileName, read: () => readItemSource(item, this.deps) });
      outcome = { position, imageId: stored.image.id, error: null };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      outcome = { position, imageId: null, error: { code: err.code, message: err.message } };
      this.deps.observer?.photoFailed(err.code);
    }
    const result = await this.record(batchId, outcome, item.fileName);
    await this.removeSpooled({ kind: item.sourceKind, ref: item.source });
    if (result.recorded && stored?.created) {
      await this.announce({ kind: 'photo', albumId: item.albumId, batchId, imageId: stored.image.id, faces: stored.faces });
    }
    if (result.recorded) {
      this.photoEvents.emit('photo', {
        batchId,
        albumId: item.albumId,
        position,
        fileName: item.fileName,
        imageId: outcome.imageId,
        created: stored?.created ?? false,
        faces: stored?.faces ?? 0,
        error: outcome.error,
        batchFinished: result.finished,
      } satisfies PhotoEvent);
    }
    if (outcome.error) return 'failed';
    return result.recorded ? 'success' : 'skipped';
  }

  /** Calls `listener` for every item this process records; returns the unsubscribe function. */
  onPhoto(listener: (event: PhotoEvent) => void): () => void {
    this.photoEvents.on('photo', listener);
    return () => this.photoEvents.off('photo', listener);
  }

  /** Calls `listener` when a batch this process worked on finishes (its last item recorded); returns the unsubscribe function. */
  onBatchFinished(listener: (batch: { albumId: number; batchId: number }) => void): () => void {
    return this.onPhoto((event) => {
      if (event.batchFinished) listener({ albumId: event.albumId, batchId: event.batchId });
    });
  }

  /** The dead letter of a photo's job: it gave up after its retries, so the item gets its error and the batch can finish. */
  async giveUpItem(batchId: number, position: number, reason: string | undefined): Promise<JobOutcome> {
    const item = await this.deps.batches.pendingItem(batchId, position);
    if (!item) return 'skipped';
    const message = `the photo could not be processed (gave up after retries${reason ? `: ${reason}` : ''})`;
    await this.record(batchId, { position, imageId: null, error: { code: 'INTERNAL_SERVER_ERROR', message } }, item.fileName);
    this.deps.observer?.photoFailed('INTERNAL_SERVER_ERROR');
    await this.removeSpooled({ kind: item.sourceKind, ref: item.source });
    return 'success';
  }

  /** Stores one photo with its faces, or returns the album's existing copy of the same bytes (see ingestPhoto). */
  ingestOne(albumId: number, source: IngestSource, place?: InPlaceSource): Promise<PhotoOutcome> {
    return ingestPhoto(this.deps, albumId, source, place);
  }

  /** Removes spool files that no waiting item needs any more (after crashes). */
  sweepSpool(minAgeMs?: number): Promise<number> {
    return this.deps.spool.sweep((refs) => this.deps.batches.spoolRefsInUse(refs), minAgeMs);
  }

  private async createQueuedBatch(albumId: number, items: NewItem[]): Promise<IngestBatchRow> {
    const priority = items.length <= INTERACTIVE_BATCH ? 1 : 0;
    const batch = await this.deps.batches.createWithItems(albumId, items, async (created, tx) => {
      const jobs: JobRequest[] = [];
      items.forEach((item, position) => {
        if (!item.error) {
          jobs.push({
            queue: QUEUES.ingestPhoto,
            id: jobId(`ingest\u0000${created.id}`, position),
            data: { batchId: created.id, position },
            priority,
          });
        }
      });
      await this.deps.queue.enqueue(jobs, tx);
    });
    this.deps.queue.notify();
    return batch;
  }

  private async record(batchId: number, outcome: ItemOutcome, fileName: string) {
    const result = await this.deps.batches.recordItem(batchId, outcome);
    if (result.finished) this.finished.emit(String(batchId));
    if (result.batch) {
      const item: ItemSnapshot = { position: outcome.position, imageId: outcome.imageId, fileName, error: outcome.error };
      await this.announce({ kind: 'batch', batch: toBatchSnapshot(result.batch), items: [item] });
    }
    return result;
  }

  /** Publishes an event; a failure costs followers an update (they re-read), never the photo. */
  private async announce(event: FacegraphEvent): Promise<void> {
    try {
      await this.deps.events?.publish(event);
    } catch (err) {
      console.error(`[events] could not publish a ${event.kind} event: ${(err as Error).message}`);
    }
  }

  private async removeSpooled(source: { kind: string | null; ref: string | null } | undefined): Promise<void> {
    if (source?.kind === 'spool' && source.ref) await this.deps.spool.remove(source.ref);
  }

  private async loadBatch(id: number): Promise<IngestBatchRow> {
    const batch = await this.deps.batches.findById(id);
    if (!batch) throw new NotFoundError('ingest batch', String(id));
    return batch;
  }
}
