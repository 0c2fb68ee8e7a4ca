import { sql, type Kysely } from 'kysely';

/**
 * People: persons made by clustering or by users, which person each face is
 * (and whether a user or the machine said so), and the history of merges so
 * that a merge can be undone. Frozen: later changes go in new migrations.
 *
 * Assignments live in their own table rather than as a column of `faces`:
 * re-clustering rewrites them by the hundred thousand, and an UPDATE of a
 * `faces` row would write a new row version with its 128-d vector and a new
 * HNSW index entry each time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text')
    .addColumn('hidden', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('thumbnail_face_id', 'bigint', (c) => c.references('faces.id').onDelete('set null'))
    // Chosen by a user (kept while the face stays in the person), or by the machine (recomputed).
    .addColumn('thumbnail_by_user', 'boolean', (c) => c.notNull().defaultTo(false))
    // Cached from face_people: the count and the mean of the faces' unit embeddings (not unit length).
    .addColumn('face_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('centroid', sql`vector(128)`)
    // Set when the person was merged into another; the row stays so that the merge can be undone.
    .addColumn('merged_into_id', 'bigint', (c) => c.references('people.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('people_merged_into_idx').on('people').column('merged_into_id').execute();

  await db.schema
    .createTable('face_people')
    .addColumn('face_id', 'bigint', (c) => c.primaryKey().references('faces.id').onDelete('cascade'))
    // NULL with assigned_by = 'user': a user said this face is nobody; clustering leaves it alone.
    .addColumn('person_id', 'bigint', (c) => c.references('people.id').onDelete('cascade'))
    .addColumn('assigned_by', 'text', (c) => c.notNull().check(sql`assigned_by IN ('machine', 'user')`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('face_people_person_idx').on('face_people').columns(['person_id', 'face_id']).execute();

  await db.schema
    .createTable('person_merges')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('into_person_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('from_person_ids', 'jsonb', (c) => c.notNull())
    // The surviving person's name, hidden flag and thumbnail before the merge.
    .addColumn('previous', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('undone_at', 'timestamptz')
    .execute();

  // Every face a merge touched, where it was and who had put it there.
  await db.schema
    .createTable('person_merge_faces')
    .addColumn('merge_id', 'bigint', (c) => c.notNull().references('person_merges.id').onDelete('cascade'))
    .addColumn('face_id', 'bigint', (c) => c.notNull().references('faces.id').onDelete('cascade'))
    .addColumn('person_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('assigned_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('person_merge_faces_pkey', ['merge_id', 'face_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['person_merge_faces', 'person_merges', 'face_people', 'people']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
