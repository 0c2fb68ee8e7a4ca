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

  async read(requested: string): Promise<Uint8Array> {
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
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new AppError('BAD_USER_INPUT', `not a regular file: ${requested}`);
    if (stat.size > this.maxFileBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `file is ${stat.size} bytes, more than the limit of ${this.maxFileBytes}`);
    }
    return fs.readFile(real);
  }
}

function isInside(root: string, candidate: string): boolean {
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
