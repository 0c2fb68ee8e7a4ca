import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InsufficientStorageError, isStorageFull } from '../errors.js';

/** Bytes an unprivileged writer may still use on the file system holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const stats = await fs.statfs(at);
      return stats.bavail * stats.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(at) === at) throw err;
    }
  }
}

/** "876 KB" and the like, for log lines and messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

/**
 * `err` as the client should see it: a full disk becomes INSUFFICIENT_STORAGE, logged with the folder and
 * what is free there (an operator's first two questions; the client is told neither); anything else is
 * returned as it is.
 */
export async function storageFailure(err: unknown, folder: string): Promise<unknown> {
  if (!isStorageFull(err)) return err;
  const free = await freeBytes(folder).catch(() => undefined);
  const code = (err as NodeJS.ErrnoException).code === '53100' ? 'database disk full' : (err as NodeJS.ErrnoException).code;
  console.error(`[storage] ${folder}: ${code}, ${free === undefined ? 'free space unknown' : `${formatBytes(free)} free`}`);
  return new InsufficientStorageError();
}

/** Writes through `write`, turning a full disk into INSUFFICIENT_STORAGE (see {@link storageFailure}). */
export async function writingTo<T>(folder: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw await storageFailure(err, folder);
  }
}

/**
 * Writes `bytes` to `file` whole or not at all (a temporary file renamed into place, so a reader never sees
 * half a file); a full disk becomes INSUFFICIENT_STORAGE logged against `root`.
 */
export async function writeFileAtomically(file: string, bytes: Uint8Array, root: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, bytes, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw await storageFailure(err, root);
  }
}
