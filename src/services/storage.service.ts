import { InsufficientStorageError } from '../errors.js';
import { formatBytes, freeBytes, storageFailure } from '../repositories/disk-space.js';

export interface StorageServiceDeps {
  /** The data folder: photos, staging, spool, thumbnails, renditions and the embedded database. */
  dataDir: string;
  /** FACEGRAPH_MIN_FREE_MB in bytes: uploads are refused below it (0: never). */
  minFreeBytes: number;
}

/** What the data folder's disk has left, as /healthz and /metrics show it. */
export interface StorageStatus {
  freeBytes: number;
  minFreeBytes: number;
  /** Under the margin: uploads are being refused. */
  low: boolean;
}

/**
 * Room on the data folder's disk. Uploads are refused before a byte of them is staged when the disk is
 * under its margin, so that a full disk is an answer (INSUFFICIENT_STORAGE) rather than half-written files,
 * and the database keeps room for its own writes.
 */
export class StorageService {
  constructor(private readonly deps: StorageServiceDeps) {}

  async status(): Promise<StorageStatus> {
    const free = await freeBytes(this.deps.dataDir);
    return { freeBytes: free, minFreeBytes: this.deps.minFreeBytes, low: free < this.deps.minFreeBytes };
  }

  /** INSUFFICIENT_STORAGE (and a log line) when the data folder has less than the margin free. */
  async requireRoomForUploads(): Promise<void> {
    if (this.deps.minFreeBytes === 0) return;
    const { freeBytes: free, low } = await this.status();
    if (!low) return;
    console.error(
      `[storage] ${this.deps.dataDir}: ${formatBytes(free)} free, under FACEGRAPH_MIN_FREE_MB (${formatBytes(this.deps.minFreeBytes)}): upload refused`,
    );
    throw new InsufficientStorageError(
      `the server's disk is almost full (under its FACEGRAPH_MIN_FREE_MB margin): no upload is taken until space is freed`,
    );
  }

  /** A write error in `folder` (default: the data folder) as the client should see it (a full disk: INSUFFICIENT_STORAGE, logged). */
  failure(err: unknown, folder = this.deps.dataDir): Promise<unknown> {
    return storageFailure(err, folder);
  }
}
