import { sql, type Kysely } from 'kysely';

/**
 * Corrections by hand. `faces.source` gains `manual`: a face a user drew on
 * the photo, landmarks and embedding computed inside that box. And
 * `face_person_rejections`: "this face is not this person", a cannot-link
 * that clustering keeps like the same-photo rule (a rejected pair is never
 * put together again). A face removed by a user is deleted outright, so no
 * column marks it. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE faces DROP CONSTRAINT faces_source_check`.execute(db);
  await sql`ALTER TABLE faces ADD CONSTRAINT faces_source_check CHECK (source IN ('detector', 'whole-image', 'manual'))`.execute(db);
  await db.schema
    .createTable('face_person_rejections')
    .addColumn('face_id', 'bigint', (c) => c.notNull().references('faces.id').onDelete('cascade'))
    .addColumn('person_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('face_person_rejections_pkey', ['face_id', 'person_id'])
    .execute();
  await db.schema.createIndex('face_person_rejections_person_idx').on('face_person_rejections').column('person_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('face_person_rejections').ifExists().execute();
  await sql`DELETE FROM faces WHERE source = 'manual'`.execute(db);
  await sql`ALTER TABLE faces DROP CONSTRAINT faces_source_check`.execute(db);
  await sql`ALTER TABLE faces ADD CONSTRAINT faces_source_check CHECK (source IN ('detector', 'whole-image'))`.execute(db);
}
