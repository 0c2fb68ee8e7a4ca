import path from 'node:path';
import type { ImageRow, WatchedFolderRow, WatchedFolderStateValue } from '../db/tables.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../repositories/event-bus.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { ImportRoot } from '../repositories/import-root.js';
import type { PhotoRef } from '../repositories/photo-store.js';
import type { IndexedFile, WatchedFolderRepository } from '../repositories/watched-folder.repository.js';
import type { AlbumService } from './album.service.js';
import type { IngestService } from './ingest.service.js';
import type { OwnerAccess } from './owner-access.js';
import { paginate, type Page, type PageArgs } from './pagination.js';

/** A file of a watched folder as a walk or a change saw it (path relative to the import root). */
export interface FolderFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface WatchServiceDeps {
  access: OwnerAccess;
  folders: WatchedFolderRepository;
  images: ImageRepository;
  imports: ImportRoot;
  ingest: Pick<IngestService, 'enqueueInPlace' | 'waitForBatch' | 'batchItemsOf'>;
  /** The delete path of images (faces, people, files and renditions): AlbumService.removeImages. */
  albums: Pick<AlbumService, 'removeImages'>;
  events?: EventBus;
  maxPage: number;
}

/** Images deleted (and files stat'ed) a statement at a time. */
const PAGE = 500;
/** How many failed files a folder's message names before it only counts them. */
const NAMED_PROBLEMS = 5;

/**
 * Watched folders: photos indexed where they lie under the import root and
 * kept in step with the folder. The API side (`watchFolder`, `unwatchFolder`,
 * `Album.watchedFolders`) checks owners; the inbound side (`src/watch/`, the
 * walker and the file-system watcher) hands in pages of files and changes,
 * and this decides: an unchanged file (same size and mtime) is only marked
 * seen, a new or changed one is queued as an in-place ingest item (the job
 * queue's workers read it, nothing is copied), and a file that is gone takes
 * its image, faces and people's claims with it — but only after the items
 * queued with it are done, so that a renamed photo is found at its new path
 * first (same bytes: same image) and never deleted and added again.
 */
export class WatchService {
  private readonly wakeListeners: (() => void)[] = [];
  /** Images whose re-check was queued lately (a changed photo read again and again queues one job). */
  private readonly rechecked = new Map<number, number>();

  constructor(private readonly deps: WatchServiceDeps) {}

  /** Starts watching (and at once scanning) a folder under the import root for an album; the same folder again is a no-op. */
  async watchFolder(ownerId: number, albumId: number, requested: string): Promise<WatchedFolderRow> {
    await this.deps.access.require(ownerId, 'album', albumId);
    if (!this.deps.imports.configured) throw new AppError('FORBIDDEN_PATH', 'watchFolder needs FACEGRAPH_IMPORT_ROOT');
    const { rel } = await this.deps.imports.folder(requested);
    const { folder, created } = await this.deps.folders.upsert(albumId, rel);
    if (created) this.wake();
    return folder;
  }

  /**
   * Stops watching a folder: its images leave the album (with their faces; people kept consistent). The
   * folder may be gone already. False when the album did not watch it.
   */
  async unwatchFolder(ownerId: number, albumId: number, requested: string): Promise<boolean> {
    await this.deps.access.require(ownerId, 'album', albumId);
    const folder = await this.findFolder(albumId, requested);
    if (!folder) return false;
    for (;;) {
      const ids = await this.deps.folders.imageIds(folder.id, 0, PAGE);
      if (ids.length === 0) break;
      await this.deps.albums.removeImages(ids);
    }
    await this.deps.folders.delete(folder.id);
    this.wake();
    return true;
  }

  /**
   * A folder under the import root as `watchFolder` checks it (FORBIDDEN_PATH outside, NOT_FOUND if missing):
   * its path relative to the root, for `facegraph ingest --in-place`.
   */
  async resolveFolder(requested: string): Promise<{ rel: string; abs: string }> {
    if (!this.deps.imports.configured)
      throw new AppError('FORBIDDEN_PATH', 'indexing in place needs FACEGRAPH_IMPORT_ROOT (a folder that holds DIR)');
    return this.deps.imports.folder(requested);
  }

  async folders(ownerId: number, albumId: number): Promise<WatchedFolderRow[]> {
    await this.deps.access.require(ownerId, 'album', albumId);
    return this.deps.folders.listByAlbum(albumId);
  }

  async photoCount(ownerId: number, folderId: number): Promise<number> {
    await this.deps.access.require(ownerId, 'folder', folderId);
    return (await this.deps.folders.photoCounts([folderId])).get(folderId) ?? 0;
  }

  async photos(ownerId: number, folderId: number, args: PageArgs): Promise<Page<ImageRow>> {
    await this.deps.access.require(ownerId, 'folder', folderId);
    return paginate(args, this.deps.maxPage, (after, limit) => this.deps.folders.imagesAfter(folderId, after, limit));
  }

  /** Calls `listener` when a folder is watched or unwatched (the local watchers claim it at once). */
  onWake(listener: () => void): void {
    this.wakeListeners.push(listener);
  }

  // The inbound side: called by src/watch/ for the folders its process holds the lease of.

  /** Takes (or renews) the leases of folders nobody else holds; returns all this holder holds. */
  claim(holder: string, seconds: number): Promise<WatchedFolderRow[]> {
    return this.deps.folders.claim(holder, seconds);
  }

  release(holder: string): Promise<void> {
    return this.deps.folders.release(holder);
  }

  /** The import root's real path, where folders' relative paths start. */
  root(): Promise<string> {
    return this.deps.imports.realRoot();
  }

  /** Starts a scan of the folder; undefined once the folder is no longer watched. */
  async beginScan(folder: WatchedFolderRow): Promise<number | undefined> {
    const scan = await this.deps.folders.beginScan(folder.id);
    if (scan !== undefined) await this.announce(folder, 'SCANNING', 0, folder.message);
    return scan;
  }

  /**
   * One page of a scan: unchanged files are marked seen; new and changed ones are queued (one batch a page).
   * Returns the batch, if one was queued.
   */
  async scanPage(folder: WatchedFolderRow, scan: number, files: FolderFile[], filesScanned: number): Promise<number | undefined> {
    const known = new Map(
      (
        await this.deps.folders.imagesAtPaths(
          folder.id,
          files.map((f) => f.path),
        )
      ).map((i) => [i.source_path, i]),
    );
    const unchanged: number[] = [];
    const queue: { path: string; scan: number }[] = [];
    for (const file of files) {
      const image = known.get(file.path);
      if (image && sameFile(image, file)) unchanged.push(image.id);
      else queue.push({ path: file.path, scan });
    }
    await this.deps.folders.markSeen(unchanged, scan);
    await this.deps.folders.progress(folder.id, filesScanned);
    await this.announce(folder, 'SCANNING', filesScanned, null);
    if (queue.length === 0) return undefined;
    return (await this.deps.ingest.enqueueInPlace(folder.album_id, folder.id, queue)).id;
  }

  /**
   * The end of a scan, once its batches are done: the folder's images the scan did not see and whose file
   * is gone leave the album (an image moved by a job meanwhile, or in a folder that could not be read, is
   * still there and stays). Returns how many left.
   */
  async finishScan(folder: WatchedFolderRow, scan: number): Promise<number> {
    return this.removeGoneInPages((after) => this.deps.folders.unseen(folder.id, scan, after, PAGE));
  }

  /** A round of changes the watcher saw: new or changed files queued (returns the batch), nothing removed yet. */
  async queueChanged(folder: WatchedFolderRow, files: FolderFile[]): Promise<number | undefined> {
    const known = new Map(
      (
        await this.deps.folders.imagesAtPaths(
          folder.id,
          files.map((f) => f.path),
        )
      ).map((i) => [i.source_path, i]),
    );
    const queue = files.filter((f) => !(known.has(f.path) && sameFile(known.get(f.path)!, f))).map((f) => ({ path: f.path }));
    if (queue.length === 0) return undefined;
    return (await this.deps.ingest.enqueueInPlace(folder.album_id, folder.id, queue)).id;
  }

  /** Paths (files or folders) the watcher saw go: the images still recorded there whose file is gone leave the album. */
  async removePaths(folder: WatchedFolderRow, paths: string[]): Promise<number> {
    let removed = 0;
    for (const p of paths) removed += await this.removeGoneInPages((after) => this.deps.folders.atOrUnder(folder.id, p, after, PAGE));
    return removed;
  }

  /**
   * Waits until these batches are done (or `signal` aborts), and returns one line for each item that failed
   * (a file that vanished mid-read, a file that is not a photo), for the folder's message.
   */
  async settle(batchIds: number[], signal?: AbortSignal): Promise<string[]> {
    const problems: string[] = [];
    for (const id of batchIds) {
      for (;;) {
        if (signal?.aborted) return problems;
        const batch = await this.deps.ingest.waitForBatch(id, 2);
        if (batch.status === 'DONE' || batch.status === 'FAILED') break;
      }
      for (const item of await this.deps.ingest.batchItemsOf(id)) {
        if (item.error_code) problems.push(`${item.file_name}: ${item.error_code} ${item.error_message ?? ''}`.trim());
      }
    }
    return problems;
  }

  /** Records the folder's state and tells the album's followers. */
  async setState(
    folder: WatchedFolderRow,
    state: WatchedFolderStateValue,
    problems: string[] | string | null,
    scanned = false,
  ): Promise<WatchedFolderRow | undefined> {
    const message = typeof problems === 'string' || problems === null ? problems : summarise(problems);
    const row = await this.deps.folders.setState(folder.id, state, message, scanned);
    if (row) await this.announce(row, state, row.files_scanned, message);
    return row;
  }

  /** The folder as stored now (undefined once unwatched). */
  reload(folderId: number): Promise<WatchedFolderRow | undefined> {
    return this.deps.folders.findById(folderId);
  }

  /**
   * A read found an in-place photo missing or changed (PhotoStore.onStale): a changed one is queued for
   * analysis again (its new reading replaces the image), a missing one is left to its folder's watcher.
   */
  async recheck(photo: PhotoRef, reason: 'missing' | 'changed'): Promise<void> {
    if (reason !== 'changed' || !photo.source_path) return;
    const last = this.rechecked.get(photo.id);
    if (last !== undefined && Date.now() - last < 60_000) return;
    this.rechecked.set(photo.id, Date.now());
    if (this.rechecked.size > 10_000) this.rechecked.clear();
    const image = await this.deps.images.findAnyById(photo.id);
    if (!image) return;
    await this.deps.ingest.enqueueInPlace(image.album_id, image.watched_folder_id, [{ path: photo.source_path }]);
  }

  /** {@link removeGone} over every page `page(afterId)` gives, in id order; returns how many left. */
  private async removeGoneInPages(page: (afterId: number) => Promise<IndexedFile[]>): Promise<number> {
    let removed = 0;
    for (let after = 0; ; ) {
      const images = await page(after);
      if (images.length === 0) return removed;
      after = images[images.length - 1].id;
      removed += await this.removeGone(images);
    }
  }

  private async removeGone(images: IndexedFile[]): Promise<number> {
    const gone: number[] = [];
    for (const image of images) {
      try {
        if (!(await this.deps.imports.stat(image.source_path ?? ''))) gone.push(image.id);
      } catch {
        // Cannot tell (unreadable, outside the root now): kept until a later scan can.
      }
    }
    return gone.length > 0 ? this.deps.albums.removeImages(gone) : 0;
  }

  private async findFolder(albumId: number, requested: string): Promise<WatchedFolderRow | undefined> {
    try {
      const { rel } = await this.deps.imports.folder(requested);
      const found = await this.deps.folders.find(albumId, rel);
      if (found) return found;
    } catch {
      // Gone or moved: matched by the path as written.
    }
    const lexical = path.posix.normalize(requested.split(path.sep).join('/')).replace(/\/+$/, '') || '.';
    return this.deps.folders.find(albumId, lexical);
  }

  private wake(): void {
    for (const listener of this.wakeListeners) listener();
  }

  private async announce(folder: WatchedFolderRow, state: string, filesScanned: number, message: string | null): Promise<void> {
    try {
      await this.deps.events?.publish({ kind: 'folder', albumId: folder.album_id, folderId: folder.id, state, filesScanned, message });
    } catch (err) {
      console.error(`[watch] could not publish a folder event: ${(err as Error).message}`);
    }
  }
}

/** The file is as it was indexed: same size and mtime (a scan then neither reads nor hashes it). */
function sameFile(image: IndexedFile, file: FolderFile): boolean {
  return Number(image.source_size) === file.size && Number(image.source_mtime_ms) === file.mtimeMs;
}

function summarise(problems: string[]): string | null {
  if (problems.length === 0) return null;
  const named = problems.slice(0, NAMED_PROBLEMS).join('; ');
  return problems.length > NAMED_PROBLEMS ? `${named}; and ${problems.length - NAMED_PROBLEMS} more` : named;
}
