import { NotFoundError } from '../errors.js';
import type { InPlaceSource } from '../repositories/image.repository.js';
import { readLocalFile, type ImportRoot } from '../repositories/import-root.js';
import type { PendingItem } from '../repositories/ingest-batch.repository.js';
import type { UploadSpool } from '../repositories/upload-spool.js';

/** Reads a queued item's photo from where it waits: the spool, the import root or a local file. */
export async function readItemSource(item: PendingItem, deps: { spool: UploadSpool; imports: ImportRoot }): Promise<Uint8Array> {
  const ref = item.source;
  if (!ref) throw new Error(`item ${item.batchId}/${item.position} has no source`);
  switch (item.sourceKind) {
    case 'spool':
      try {
        return await deps.spool.read(ref);
      } catch (err) {
        // Not the file's fault: retried, then dead-lettered with this hint.
        throw new Error(
          `spooled upload ${ref} is not readable here (is FACEGRAPH_DATA_DIR shared with the API?): ${(err as Error).message}`,
        );
      }
    case 'import':
      return deps.imports.read(ref);
    case 'file':
      return readLocalFile(ref);
    default:
      throw new Error(`item ${item.batchId}/${item.position} has an unknown source kind ${item.sourceKind}`);
  }
}

/** Where an in-place item's file is, with its size and mtime now (read before the bytes: a later change shows as newer). */
export async function inPlaceSourceOf(item: PendingItem, imports: ImportRoot): Promise<InPlaceSource> {
  const ref = parseInPlaceRef(item.source ?? '');
  const stat = await imports.stat(ref.path);
  if (!stat) throw new NotFoundError('file', ref.path);
  return { ...ref, size: stat.size, mtimeMs: stat.mtimeMs };
}

/** An in-place item's source ref: the path under the import root, the watched folder and scan that queued it. */
export function inPlaceRef(ref: { path: string; folderId: number | null; scan?: number | null }): string {
  return JSON.stringify({ p: ref.path, f: ref.folderId, s: ref.scan ?? null });
}

function parseInPlaceRef(text: string): { path: string; folderId: number | null; scan: number | null } {
  const ref = JSON.parse(text) as { p: string; f: number | null; s: number | null };
  return { path: ref.p, folderId: ref.f, scan: ref.s };
}
