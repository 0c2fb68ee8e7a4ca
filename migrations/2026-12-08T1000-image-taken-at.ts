import { sql, type Kysely } from 'kysely';

/**
 * When each photo was taken (EXIF DateTimeOriginal), and which reading of its metadata a row holds:
 * rows stored before have metadata_version 0 and a NULL taken_at until the start-up backfill reads
 * their stored photo again (images_metadata_unread_idx finds them). images_album_taken_at_idx serves
 * `Album.images(orderBy: TAKEN_AT)`: its default order (ascending, NULLs last) is the listing's, and
 * `id` breaks ties for keyset paging.
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('images')
    .addColumn('taken_at', 'timestamptz')
    .addColumn('metadata_version', 'smallint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('images_album_taken_at_idx').on('images').columns(['album_id', 'taken_at', 'id']).execute();
  // The rows the backfill has still to read: empty once it is done, so a start finds that out at once.
  await db.schema.createIndex('images_metadata_unread_idx').on('images').column('id').where(sql.ref('metadata_version'), '<', 1).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('images_metadata_unread_idx').execute();
  await db.schema.dropIndex('images_album_taken_at_idx').execute();
  await db.schema.alterTable('images').dropColumn('metadata_version').dropColumn('taken_at').execute();
}
