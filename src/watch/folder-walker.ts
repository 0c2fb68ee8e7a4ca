import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isInside, toRel } from '../repositories/import-root.js';

/** File name endings taken for photos (the decoder's formats); anything else in a watched folder is left alone. */
export const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function isPhotoName(name: string): boolean {
  return !name.startsWith('.') && PHOTO_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** A photo file a walk found: its path relative to the import root, size and mtime. */
export interface WalkedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** One page of a walk: up to `pageSize` files, and what could not be read on the way (one line each). */
export interface WalkPage {
  files: WalkedFile[];
  problems: string[];
}

/** The watched folder itself cannot be walked: gone, no longer a folder, or not readable. */
export class FolderUnavailableError extends Error {
  constructor(
    readonly state: 'MISSING' | 'UNREADABLE',
    message: string,
  ) {
    super(message);
  }
}

export interface WalkOptions {
  pageSize?: number;
  signal?: AbortSignal;
  /** The file system calls the walk makes (tests inject failures such as EACCES, which root never meets). */
  fsApi?: Pick<typeof fs, 'opendir' | 'stat' | 'realpath'>;
}

/**
 * Walks a watched folder in pages, streaming each directory with `opendir`:
 * memory holds one page of files and the stack of directories still to open,
 * never the whole tree. Symlinks are followed only where they stay under the
 * import root, a directory at most once (a symlink loop is reported, not
 * walked round); a directory that cannot be read, or a file that vanished
 * while it was listed, is a problem of the page, and the walk goes on.
 */
export async function* walkFolder(root: string, folderRel: string, options: WalkOptions = {}): AsyncGenerator<WalkPage> {
  const api = options.fsApi ?? fs;
  const pageSize = options.pageSize ?? 500;
  const top = path.join(root, folderRel);
  try {
    const stat = await api.stat(top);
    if (!stat.isDirectory()) throw new FolderUnavailableError('MISSING', `${folderRel} is no longer a folder`);
  } catch (err) {
    if (err instanceof FolderUnavailableError) throw err;
    throw unavailable(err, folderRel);
  }
  const visited = new Set<string>([await api.realpath(top)]);
  const stack: string[] = [top];
  let page: WalkPage = { files: [], problems: [] };
  let first = true;
  while (stack.length > 0) {
    if (options.signal?.aborted) return;
    const dir = stack.pop()!;
    let handle: AsyncIterable<Dirent>;
    try {
      handle = await api.opendir(dir, { bufferSize: 64 });
    } catch (err) {
      // The folder itself unreadable is the folder's state; a subfolder's is a problem of the page.
      if (first) throw unavailable(err, folderRel);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') page.problems.push(`${toRel(root, dir)}: cannot be read (${code ?? (err as Error).message})`);
      continue;
    }
    first = false;
    try {
      for await (const entry of handle) {
        const full = path.join(dir, entry.name);
        const rel = toRel(root, full);
        if (entry.isDirectory()) {
          if (!entry.name.startsWith('.')) stack.push(full);
          continue;
        }
        if (entry.isSymbolicLink()) {
          const target = await followLink(api, root, full, rel, visited, page.problems);
          if (target === 'dir') stack.push(full);
          if (target !== 'file') continue;
        } else if (!entry.isFile()) continue;
        if (!isPhotoName(entry.name)) continue;
        try {
          const stat = await api.stat(full);
          page.files.push({ path: rel, size: stat.size, mtimeMs: stat.mtimeMs });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT') page.problems.push(`${rel}: cannot be read (${code ?? (err as Error).message})`);
        }
        if (page.files.length >= pageSize) {
          yield page;
          page = { files: [], problems: [] };
          if (options.signal?.aborted) return;
        }
      }
    } catch (err) {
      // The directory went away (or became unreadable) while it was listed: what it held is read again next time.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') page.problems.push(`${toRel(root, dir)}: listing failed (${code ?? (err as Error).message})`);
    }
  }
  if (page.files.length > 0 || page.problems.length > 0) yield page;
}

/** What a symlink leads to: a file or a directory under the root (not seen before), or nothing to follow. */
async function followLink(
  api: NonNullable<WalkOptions['fsApi']>,
  root: string,
  full: string,
  rel: string,
  visited: Set<string>,
  problems: string[],
): Promise<'file' | 'dir' | 'skip'> {
  let real: string;
  try {
    real = await api.realpath(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') problems.push(`${rel}: symlink loop, skipped`);
    else if (code !== 'ENOENT') problems.push(`${rel}: cannot be followed (${code ?? (err as Error).message})`);
    return 'skip';
  }
  if (!isInside(root, real) && real !== root) {
    problems.push(`${rel}: symlink leads outside the import root, skipped`);
    return 'skip';
  }
  const stat = await api.stat(real).catch(() => undefined);
  if (!stat) return 'skip';
  if (stat.isFile()) return 'file';
  if (!stat.isDirectory()) return 'skip';
  if (visited.has(real)) {
    problems.push(`${rel}: symlink loop (leads back to ${toRel(root, real)}), skipped`);
    return 'skip';
  }
  visited.add(real);
  return 'dir';
}

function unavailable(err: unknown, folderRel: string): FolderUnavailableError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new FolderUnavailableError('MISSING', `${folderRel} is gone`);
  if (code === 'ENOTDIR') return new FolderUnavailableError('MISSING', `${folderRel} is no longer a folder`);
  if (code === 'ELOOP') return new FolderUnavailableError('UNREADABLE', `${folderRel} is a symlink loop`);
  return new FolderUnavailableError('UNREADABLE', `${folderRel} cannot be read (${code ?? (err as Error).message})`);
}
