import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import {
  toBatchSnapshot,
  toItemSnapshot,
  type BatchSnapshot,
  type EventBus,
  type FacegraphEvent,
  type ItemSnapshot,
} from '../repositories/event-bus.js';
import type { ClusteringSummary } from './clustering.service.js';
import type { IngestService } from './ingest.service.js';
import type { OwnerAccess } from './owner-access.js';

/** One step of a batch: where it stands, and the items that got their outcome since the last step. */
export interface BatchProgress {
  batch: BatchSnapshot;
  finishedItems: ItemSnapshot[];
}

/** Something that happened in an album: a photo stored with its faces, its people changed, a watched folder's scan went on. */
export type AlbumEvent = Extract<FacegraphEvent, { kind: 'photo' | 'people' | 'folder' }>;

/** How long a follower waits without news before it re-reads the batch (events lost with a dropped connection). */
export const DEFAULT_RESYNC_MS = 10_000;

/** Events an album follower may hold unread before older ones are dropped (a client that stopped reading). */
const ALBUM_BUFFER = 1000;

const FINAL = new Set(['DONE', 'FAILED']);
const STATUS_RANK = { QUEUED: 0, RUNNING: 1, DONE: 2, FAILED: 2 } as const;

/**
 * Live views for subscriptions, made of the event bus's events and the
 * database: a follower gets the state first, then every change, in order,
 * never a step back. Events from several workers may arrive out of order,
 * so a batch's steps are ordered by progress (files finished, then status);
 * an event bus that lost events is made up for by re-reading the batch after
 * `resyncMs` without news. Another owner's batch or album is NOT_FOUND, like a
 * missing one (OwnerAccess).
 */
export interface LiveEventsServiceDeps {
  bus: EventBus;
  access: OwnerAccess;
  /** Where a batch is re-read from (its snapshot and items). */
  ingest: Pick<IngestService, 'getBatch' | 'batchItems'>;
  resyncMs?: number;
}

export class LiveEventsService {
  private readonly bus: EventBus;
  private readonly access: OwnerAccess;
  private readonly ingest: LiveEventsServiceDeps['ingest'];
  private readonly resyncMs: number;

  constructor(deps: LiveEventsServiceDeps) {
    this.bus = deps.bus;
    this.access = deps.access;
    this.ingest = deps.ingest;
    this.resyncMs = deps.resyncMs ?? DEFAULT_RESYNC_MS;
  }

  /**
   * Announces what a clustering run changed in an album (PEOPLE_CHANGED), to
   * followers in every process; runs over the whole library, and runs that
   * changed nothing, are not announced.
   */
  peopleChanged(scope: { albumId: number | null }, summary: ClusteringSummary): void {
    const facesPlaced = summary.joinedExisting + summary.inNewPeople;
    if (scope.albumId === null || facesPlaced + summary.newPeople + summary.removedPeople === 0) return;
    const event = {
      kind: 'people',
      albumId: scope.albumId,
      newPeople: summary.newPeople,
      removedPeople: summary.removedPeople,
      facesPlaced,
    } as const;
    this.bus.publish(event).catch((err) => console.error('[events] could not publish a people event:', (err as Error).message));
  }

  /** The batch's progress from now until it is DONE or FAILED (at once if it already is). */
  async followBatch(ownerId: number, batchId: number): Promise<AsyncIterableIterator<BatchProgress>> {
    await this.access.require(ownerId, 'batch', batchId);
    return new Repeater<BatchProgress>(async (push, stop) => {
      const inbox: BatchProgress[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = this.bus.subscribe((event) => {
        if (event.kind !== 'batch' || event.batch.id !== batchId) return;
        inbox.push({ batch: event.batch, finishedItems: event.items });
        wake?.();
      });
      let stopped = false;
      void stop.then(() => {
        stopped = true;
        wake?.();
      });
      const seen = new Set<number>();
      const fresh = (items: ItemSnapshot[]) => items.filter((item) => !seen.has(item.position) && seen.add(item.position));
      try {
        // Listening before reading: a change between the read and the first event is not lost.
        await this.bus.ready();
        let last = await this.read(ownerId, batchId, fresh);
        await push(last);
        while (!stopped && !FINAL.has(last.batch.status)) {
          if (inbox.length === 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, this.resyncMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = undefined;
          }
          if (stopped) break;
          const steps = inbox.length > 0 ? inbox.splice(0) : [await this.read(ownerId, batchId, fresh)];
          const batch = steps.map((s) => s.batch).reduce((a, b) => (ahead(b, a) ? b : a), last.batch);
          const finishedItems = fresh(steps.flatMap((s) => s.finishedItems));
          if (!ahead(batch, last.batch) && finishedItems.length === 0) continue;
          last = { batch, finishedItems };
          await push(last);
        }
      } finally {
        unsubscribe();
        stop();
      }
    });
  }

  /** Photos stored and people changed in the album, from now until the client stops. */
  async followAlbum(ownerId: number, albumId: number): Promise<AsyncIterableIterator<AlbumEvent>> {
    await this.access.require(ownerId, 'album', albumId);
    return new Repeater<AlbumEvent>(async (push, stop) => {
      const unsubscribe = this.bus.subscribe((event) => {
        if ((event.kind === 'photo' || event.kind === 'people' || event.kind === 'folder') && event.albumId === albumId)
          void push(event).catch(() => undefined);
      });
      await stop;
      unsubscribe();
    }, new SlidingBuffer(ALBUM_BUFFER));
  }

  /** The batch as stored, with the items recorded (an image or an error) that this follower has not seen yet. */
  private async read(ownerId: number, batchId: number, fresh: (items: ItemSnapshot[]) => ItemSnapshot[]): Promise<BatchProgress> {
    const [row, items] = await Promise.all([this.ingest.getBatch(ownerId, batchId), this.ingest.batchItems(ownerId, batchId)]);
    return {
      batch: toBatchSnapshot(row),
      finishedItems: fresh(items.filter((i) => i.image_id !== null || i.error_code !== null).map(toItemSnapshot)),
    };
  }
}

/** Whether `a` is further along than `b`: more files finished, or the same with a later status. */
function ahead(a: BatchSnapshot, b: BatchSnapshot): boolean {
  const da = a.done + a.failed;
  const db = b.done + b.failed;
  return da !== db ? da > db : STATUS_RANK[a.status] > STATUS_RANK[b.status];
}
