import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageRow } from '../db/tables.js';
import { NotFoundError, PhotoMissingError } from '../errors.js';
import type { ImportRoot } from './import-root.js';
import { writeFileAtomically } from './disk-space.js';

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

/** What the read path needs of an image: its bytes' hash and format, and where they are. */
export type PhotoRef = Pick<ImageRow, 'id' | 'sha256' | 'format' | 'source_kind' | 'source_path'>;

/** Told when an in-place photo was found missing or changed on a read, so that its folder catches up. */
export type StalePhotoListener = (photo: PhotoRef, reason: 'missing' | 'changed') => void;

/**
 * Photos on disk, content-addressed: `<root>/ab/cd/<sha256>.<ext>`. The same
 * bytes are stored once however many albums hold them. Writes go to a temp
 * file first and are renamed into place, so a crash never leaves a partial photo.
 *
 * Also the one read path of every photo's bytes (`read`): a stored photo from
 * here, a photo indexed in place (a watched folder, `ingest --in-place`) from
 * under the import root, checked against its hash; a missing or changed one is
 * PHOTO_MISSING, and the listeners hear of it.
 */
export class PhotoStore {
  private readonly staleListeners: StalePhotoListener[] = [];

  constructor(
    readonly root: string,
    private readonly inPlace?: ImportRoot,
  ) {}

  /** The bytes of an image's photo, wherever they are. PHOTO_MISSING when an in-place file is gone or changed. */
  async read(photo: PhotoRef): Promise<Buffer> {
    if (photo.source_kind !== 'in_place') return this.readStored(photo.sha256, photo.format);
    const rel = photo.source_path ?? '';
    let bytes: Uint8Array;
    try {
      if (!this.inPlace) throw new NotFoundError('file', rel);
      bytes = await this.inPlace.read(rel);
    } catch (err) {
      if (!(err instanceof NotFoundError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.tellStale(photo, 'missing');
      throw new PhotoMissingError(photo.id, 'missing', rel);
    }
    if (sha256Hex(bytes) !== photo.sha256) {
      this.tellStale(photo, 'changed');
      throw new PhotoMissingError(photo.id, 'changed', rel);
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * A path to the photo's file, for readers that take a path and read only part of it (metadata): the stored
   * file, or the in-place file under the import root (not hash-checked: callers read tags, not faces).
   */
  async localPath(photo: PhotoRef): Promise<string> {
    if (photo.source_kind !== 'in_place') return this.pathFor(photo.sha256, photo.format);
    if (!this.inPlace) throw new PhotoMissingError(photo.id, 'missing', photo.source_path ?? '');
    return this.inPlace.absolute(photo.source_path ?? '');
  }

  /** Calls `listener` whenever a read finds an in-place photo missing or changed. */
  onStale(listener: StalePhotoListener): void {
    this.staleListeners.push(listener);
  }

  private tellStale(photo: PhotoRef, reason: 'missing' | 'changed'): void {
    for (const listener of this.staleListeners) {
      try {
        listener(photo, reason);
      } catch (err) {
        console.error(`[photos] a stale-photo listener failed: ${(err as Error).message}`);
      }
    }
  }

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
    // A full disk fails the photo as INSUFFICIENT_STORAGE at once: retrying the job would not make room.
    await writeFileAtomically(target, bytes, this.root);
    return target;
  }

  private async readStored(sha256: string, format: string): Promise<Buffer> {
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
