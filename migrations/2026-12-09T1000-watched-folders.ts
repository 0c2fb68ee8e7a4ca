import { sql, type Kysely } from 'kysely';

/**
 * Watched folders, indexed in place (`watchFolder`): a folder under the import root whose photos are read where
 * they lie, never copied. An image records where its bytes are: `source_kind` 'store' (copied into the photo
 * store, every image before this migration) or 'in_place' (at `source_path`, relative to the import root), with
 * the size and mtime a scan compares to tell an unchanged file without reading it, and the scan that last saw it
 * (`seen_scan`: what a scan did not see is gone). A folder row holds its state for the API and the lease that
 * lets one process at a time watch it (`lease_holder` until `lease_until`).
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('watched_folders')
    .addColumn('id', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('album_id', 'bigint', (c) => c.notNull().references('albums.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('SCANNING'))
    .addColumn('message', 'text')
    .addColumn('scan', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('files_scanned', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_scan_at', 'timestamptz')
    .addColumn('lease_holder', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('watched_folders_album_path_key', ['album_id', 'path'])
    .execute();
  await db.schema
    .alterTable('images')
    .addColumn('source_kind', 'text', (c) => c.notNull().defaultTo('store'))
    .addColumn('source_path', 'text')
    .addColumn('watched_folder_id', 'bigint', (c) => c.references('watched_folders.id').onDelete('set null'))
    .addColumn('source_size', 'bigint')
    .addColumn('source_mtime_ms', 'double precision')
    .addColumn('seen_scan', 'bigint')
    .execute();
  await db.schema.createIndex('images_watched_folder_path_idx').on('images').columns(['watched_folder_id', 'source_path']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('images_watched_folder_path_idx').execute();
  await db.schema
    .alterTable('images')
    .dropColumn('seen_scan')
    .dropColumn('source_mtime_ms')
    .dropColumn('source_size')
    .dropColumn('watched_folder_id')
    .dropColumn('source_path')
    .dropColumn('source_kind')
    .execute();
  await db.schema.dropTable('watched_folders').ifExists().execute();
}
