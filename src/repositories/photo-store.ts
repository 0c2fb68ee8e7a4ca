import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { storageFailure } from './disk-space.js';

const EXTENSIONS: Record<string, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tif',
  avif: 'avif',
  heif: 'heic',
  heic: 'heic',
  dng: 'dng',
  cr2: 'cr2',
  cr3: 'cr3',
  nef: 'nef',
  arw: 'arw',
  raf: 'raf',
  orf: 'orf',
  rw2: 'rw2',
  pef: 'pef',
};

/** Hex SHA-256 of some bytes: the identity of a stored photo. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Photos on disk, content-addressed: `<root>/ab/cd/<sha256>.<ext>`. The same
 * bytes are stored once however many albums hold them. Writes go to a temp
 * file first and are renamed into place, so a crash never leaves a partial photo.
 */
export class PhotoStore {
  constructor(readonly root: string) {}

  pathFor(sha256: string, format: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`not a sha256: ${sha256}`);
    const ext = EXTENSIONS[format] ?? 'bin';
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}.${ext}`);
  }

  /** Stores the bytes unless a file with that hash is already there. */
  async put(sha256: string, format: string, bytes: Uint8Array): Promise<string> {
    const target = this.pathFor(sha256, format);
    try {
      await fs.access(target);
      return target;
    } catch {
      // not stored yet
    }
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(tmp, bytes, { flag: 'wx' });
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      // A full disk fails the photo as INSUFFICIENT_STORAGE at once: retrying the job would not make room.
      throw await storageFailure(err, this.root);
    }
    return target;
  }

  async read(sha256: string, format: string): Promise<Buffer> {
    return fs.readFile(this.pathFor(sha256, format));
  }

  async remove(sha256: string, format: string): Promise<void> {
    await fs.rm(this.pathFor(sha256, format), { force: true });
  }

  /** Every stored photo, as `{ sha256, path }`; for consistency checks and sweeps. */
  async list(): Promise<{ sha256: string; path: string }[]> {
    const out: { sha256: string; path: string }[] = [];
    let entries: string[];
    try {
      entries = await fs.readdir(this.root, { recursive: true });
    } catch {
      return out;
    }
    for (const rel of entries) {
      const m = /([0-9a-f]{64})\.[a-z]+$/.exec(rel);
      if (m) out.push({ sha256: m[1], path: path.join(this.root, rel) });
    }
    return out;
  }
}
