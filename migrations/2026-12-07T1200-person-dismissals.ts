import { sql, type Kysely } from 'kysely';

/**
 * "These two people are not the same person" (`dismissMergeSuggestion`): a
 * cannot-link between two people that mergeSuggestions leaves out and that
 * clustering keeps, like `face_person_rejections` for a face. One row a pair,
 * the smaller id first; rows go with either person. Frozen: later changes go
 * in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('person_dismissals')
    .addColumn('person_a_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('person_b_id', 'bigint', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('person_dismissals_pkey', ['person_a_id', 'person_b_id'])
    .addCheckConstraint('person_dismissals_ordered', sql`person_a_id < person_b_id`)
    .execute();
  await db.schema.createIndex('person_dismissals_b_idx').on('person_dismissals').column('person_b_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('person_dismissals').ifExists().execute();
}
