import { sql, type Kysely } from 'kysely';
import type { DB, ImageRow, WatchedFolderRow, WatchedFolderStateValue } from '../db/tables.js';

/** What a scan compares to tell an unchanged file without reading it. */
export type IndexedFile = Pick<ImageRow, 'id' | 'source_path' | 'source_size' | 'source_mtime_ms'>;

/**
 * The `watched_folders` table — the folders albums index in place, their state
 * and the lease that gives each to one process at a time — and the lookups of
 * a folder's images by path that its scans and change rounds make.
 */
export class WatchedFolderRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The folder's row, created SCANNING if the album does not watch it yet. */
  async upsert(albumId: number, path: string): Promise<{ folder: WatchedFolderRow; created: boolean }> {
    const inserted = await this.db
      .insertInto('watched_folders')
      .values({ album_id: albumId, path })
      .onConflict((oc) => oc.columns(['album_id', 'path']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { folder: inserted, created: true };
    return { folder: (await this.find(albumId, path))!, created: false };
  }

  find(albumId: number, path: string): Promise<WatchedFolderRow | undefined> {
    return this.db.selectFrom('watched_folders').selectAll().where('album_id', '=', albumId).where('path', '=', path).executeTakeFirst();
  }

  findById(id: number): Promise<WatchedFolderRow | undefined> {
    return this.db.selectFrom('watched_folders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByAlbum(albumId: number): Promise<WatchedFolderRow[]> {
    return this.db.selectFrom('watched_folders').selectAll().where('album_id', '=', albumId).orderBy('id').execute();
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('watched_folders').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Takes the lease of every folder nobody holds (never held, expired, or already this holder's) for
   * `seconds`, and renews this holder's: one statement, so two processes never both win a folder.
   * Returns the folders this holder now holds.
   */
  claim(holder: string, seconds: number): Promise<WatchedFolderRow[]> {
    return this.db
      .updateTable('watched_folders')
      .set({ lease_holder: holder, lease_until: sql<Date>`now() + make_interval(secs => ${seconds})` })
      .where((eb) => eb.or([eb('lease_holder', 'is', null), eb('lease_until', '<', sql<Date>`now()`), eb('lease_holder', '=', holder)]))
      .returningAll()
      .execute();
  }

  /** Gives the holder's leases back (a process stopping cleanly), so another process takes them at once. */
  async release(holder: string): Promise<void> {
    await this.db
      .updateTable('watched_folders')
      .set({ lease_holder: null, lease_until: null })
      .where('lease_holder', '=', holder)
      .execute();
  }

  /** Starts a scan: its number (images it sees get it in `seen_scan`), state SCANNING, nothing scanned yet. */
  async beginScan(id: number): Promise<number | undefined> {
    const row = await this.db
      .updateTable('watched_folders')
      .set((eb) => ({ scan: eb('scan', '+', 1), state: 'SCANNING', files_scanned: 0 }))
      .where('id', '=', id)
      .returning('scan')
      .executeTakeFirst();
    return row?.scan;
  }

  async progress(id: number, filesScanned: number): Promise<void> {
    await this.db.updateTable('watched_folders').set({ files_scanned: filesScanned }).where('id', '=', id).execute();
  }

  /** Records the folder's state (and why); `scanned` also stamps the end of a scan. */
  async setState(
    id: number,
    state: WatchedFolderStateValue,
    message: string | null,
    scanned = false,
  ): Promise<WatchedFolderRow | undefined> {
    return this.db
      .updateTable('watched_folders')
      .set({ state, message, ...(scanned ? { last_scan_at: sql<Date>`now()` } : {}) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  /** How many images each folder holds. */
  async photoCounts(folderIds: readonly number[]): Promise<Map<number, number>> {
    if (folderIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('images')
      .select(['watched_folder_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('watched_folder_id', 'in', folderIds)
      .groupBy('watched_folder_id')
      .execute();
    return new Map(rows.map((r) => [r.watched_folder_id as number, Number(r.n)]));
  }

  /** The folder's images in id order after `afterId`. */
  imagesAfter(folderId: number, afterId: number, limit: number): Promise<ImageRow[]> {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('watched_folder_id', '=', folderId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** The folder's images recorded at these paths. */
  imagesAtPaths(folderId: number, paths: readonly string[]): Promise<IndexedFile[]> {
    if (paths.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('images')
      .select(['id', 'source_path', 'source_size', 'source_mtime_ms'])
      .where('watched_folder_id', '=', folderId)
      .where('source_path', 'in', paths)
      .execute();
  }

  /** Marks images as seen by a scan. */
  async markSeen(ids: readonly number[], scan: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('images').set({ seen_scan: scan }).where('id', 'in', ids).execute();
  }

  /** The folder's images a scan did not see (gone, or moved while it ran), in id order after `afterId`. */
  unseen(folderId: number, scan: number, afterId: number, limit: number): Promise<IndexedFile[]> {
    return this.db
      .selectFrom('images')
      .select(['id', 'source_path', 'source_size', 'source_mtime_ms'])
      .where('watched_folder_id', '=', folderId)
      .where((eb) => eb.or([eb('seen_scan', 'is', null), eb('seen_scan', '<>', scan)]))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** The folder's images at this path or under this folder path, in id order after `afterId`. */
  atOrUnder(folderId: number, path: string, afterId: number, limit: number): Promise<IndexedFile[]> {
    const prefix = `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
    return this.db
      .selectFrom('images')
      .select(['id', 'source_path', 'source_size', 'source_mtime_ms'])
      .where('watched_folder_id', '=', folderId)
      .where((eb) => eb.or([eb('source_path', '=', path), eb('source_path', 'like', prefix)]))
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Ids of the folder's images, in id order after `afterId` (unwatching deletes them page by page). */
  async imageIds(folderId: number, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('images')
      .select('id')
      .where('watched_folder_id', '=', folderId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }
}
