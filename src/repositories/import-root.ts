import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, ForbiddenPathError, NotFoundError } from '../errors.js';

/**
 * Server-side paths for `ingestPaths`, confined to one folder. A path is
 * resolved (relative ones against the root), then its real path (symlinks
 * followed) must still lie inside the root's real path. A file store like
 * `PhotoStore`: the reads of photos that wait outside the data folder.
 */
export class ImportRoot {
  constructor(
    private readonly root: string | undefined,
    private readonly maxFileBytes: number,
  ) {}

  /** A source per path; each checks its own path when read, so one bad path fails alone. */
  sources(paths: string[]): { fileName: string; read(): Promise<Uint8Array> }[] {
    return paths.map((p) => ({ fileName: path.basename(p) || p, read: () => this.read(p) }));
  }

  /** Whether FACEGRAPH_IMPORT_ROOT is set (in-place indexing needs it). */
  get configured(): boolean {
    return this.root !== undefined;
  }

  /** The root's real path (symlinks followed), where watched folders and in-place paths are resolved. */
  async realRoot(): Promise<string> {
    if (!this.root) throw new AppError('FORBIDDEN_PATH', 'FACEGRAPH_IMPORT_ROOT is not set: nothing can be read in place');
    return fs.realpath(this.root);
  }

  /**
   * A folder to watch, checked as `read` checks a file (inside the root after `..` and symlinks; the root
   * itself allowed): its path relative to the root's real path, `/`-separated (`.` for the root).
   */
  async folder(requested: string): Promise<{ rel: string; abs: string }> {
    if (requested.includes('\0')) throw new ForbiddenPathError(requested.replaceAll('\0', '\\0'));
    const root = await this.realRoot();
    const resolved = path.resolve(root, requested);
    if (resolved !== root && !isInside(root, resolved)) throw new ForbiddenPathError(requested);
    let real: string;
    try {
      real = await fs.realpath(resolved);
    } catch {
      throw new NotFoundError('folder', requested);
    }
    if (real !== root && !isInside(root, real)) throw new ForbiddenPathError(requested);
    if (!(await fs.stat(real)).isDirectory()) throw new AppError('BAD_USER_INPUT', `not a folder: ${requested}`);
    return { rel: toRel(root, real), abs: real };
  }

  /** The absolute path of a path relative to the root (no checks: for listing what a folder holds). */
  async absolute(rel: string): Promise<string> {
    return path.join(await this.realRoot(), rel);
  }

  /** Size and mtime of a file under the root (checked as `read` checks it), or null when it is not there. */
  async stat(requested: string): Promise<{ size: number; mtimeMs: number } | null> {
    try {
      const real = await this.resolveFile(requested);
      const stat = await fs.stat(real);
      return stat.isFile() ? { size: stat.size, mtimeMs: stat.mtimeMs } : null;
    } catch (err) {
      if (err instanceof NotFoundError || (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(requested: string): Promise<Uint8Array> {
    const real = await this.resolveFile(requested);
    let stat: Stats;
    try {
      stat = await fs.stat(real);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('file', requested);
      throw err;
    }
    if (!stat.isFile()) throw new AppError('BAD_USER_INPUT', `not a regular file: ${requested}`);
    if (stat.size > this.maxFileBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `file is ${stat.size} bytes, more than the limit of ${this.maxFileBytes}`);
    }
    try {
      return await fs.readFile(real);
    } catch (err) {
      // Gone between the stat and the read (deleted or moved meanwhile).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('file', requested);
      throw err;
    }
  }

  /** The real path of a file under the root: FORBIDDEN_PATH outside it, NOT_FOUND when missing. */
  private async resolveFile(requested: string): Promise<string> {
    if (!this.root) throw new AppError('FORBIDDEN_PATH', 'ingestPaths is disabled: FACEGRAPH_IMPORT_ROOT is not set');
    if (requested.includes('\0')) throw new ForbiddenPathError(requested.replaceAll('\0', '\\0'));
    const root = await fs.realpath(this.root);
    const resolved = path.resolve(root, requested);
    if (!isInside(root, resolved)) throw new ForbiddenPathError(requested);
    let real: string;
    try {
      real = await fs.realpath(resolved);
    } catch {
      throw new NotFoundError('file', requested);
    }
    if (!isInside(root, real)) throw new ForbiddenPathError(requested);
    return real;
  }
}

/** `abs` relative to `root`, `/`-separated, `.` for the root itself. */
export function toRel(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' ? false : !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * A file the embedded CLI named on its own host (`facegraph ingest DIR`, items
 * of kind `file`). Not confined to a root: the user who runs the CLI chose it,
 * and such items are only ever processed by that CLI process.
 */
export async function readLocalFile(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('file', file);
    throw err;
  }
}
