import type { Kysely } from 'kysely';

/**
 * Each person's faces the age/gender net is confident of, male and female, cached beside `face_count` by
 * refreshPeople: the review queue, face and merge suggestions and the placement of new faces read a person's
 * gender from them without counting its faces. Every face stored so far has no P(male) yet (the previous
 * migration), so 0 is right for every existing person. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('people')
    .addColumn('male_faces', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('female_faces', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('people').dropColumn('male_faces').dropColumn('female_faces').execute();
}
