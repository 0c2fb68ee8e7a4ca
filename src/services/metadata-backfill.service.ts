import type { ImageRepository } from '../repositories/image.repository.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import { METADATA_VERSION, readTakenAt } from '../metadata/exif.js';

/** What one pass of the backfill did. */
export interface BackfillSummary {
  /** Images whose stored photo was read and whose row now holds the current reading. */
  read: number;
  /** Of those, how many say when they were taken. */
  dated: number;
  /** Images whose photo file could not be read: left as they were, tried again on the next start. */
  unreadable: number;
}

/** Rows fetched at a time: one short query per this many photos. */
const BATCH = 100;

/**
 * Brings the metadata of photos stored before it was read (rows whose
 * `metadata_version` is older than METADATA_VERSION, such as every photo of a
 * library from before `takenAt`) up to date by reading their stored photos
 * again. Runs in the background of a process that runs jobs: start-up does not
 * wait for it, and a listing sees each photo's `takenAt` as soon as its row is
 * written. Restartable without bookkeeping: a row is written once read, so a
 * stopped pass leaves only the unread rows for the next one. Two processes
 * running it at once only read some photos twice.
 */
export class MetadataBackfill {
  private stopping = false;
  private running: Promise<BackfillSummary> | undefined;

  constructor(
    private readonly images: ImageRepository,
    private readonly photos: PhotoStore,
  ) {}

  /** Starts a pass in the background (once per process); failures are logged, never thrown. */
  start(): void {
    this.running ??= this.run().catch((err) => {
      console.error(`[metadata] backfill stopped: ${(err as Error).message}; it resumes at the next start`);
      return { read: 0, dated: 0, unreadable: 0 };
    });
  }

  /** Stops the pass after the photo it is reading, and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** One pass over the rows left, in id order. */
  async run(): Promise<BackfillSummary> {
    const summary: BackfillSummary = { read: 0, dated: 0, unreadable: 0 };
    let after = 0;
    while (!this.stopping) {
      const rows = await this.images.listMetadataBefore(METADATA_VERSION, after, BATCH);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (this.stopping) break;
        after = row.id;
        let takenAt: Date | null;
        try {
          // A path, not the bytes: exifr reads the file only as far as the tags.
          takenAt = await readTakenAt(await this.photos.localPath(row));
        } catch {
          summary.unreadable++;
          continue;
        }
        await this.images.setMetadata(row.id, takenAt, METADATA_VERSION);
        summary.read++;
        if (takenAt) summary.dated++;
      }
    }
    if (summary.read + summary.unreadable > 0) {
      console.log(
        `[metadata] read when ${summary.read} stored photos were taken (${summary.dated} say)` +
          (summary.unreadable > 0 ? `; ${summary.unreadable} photo files could not be read, tried again at the next start` : ''),
      );
    }
    return summary;
  }
}
