import type { Kysely } from 'kysely';

/**
 * A person's birth date (a calendar date, no time zone): a face in a photo taken before it never
 * joins or is suggested for that person automatically. NULL: unknown. `peopleTogether` needs no new
 * index: face_people_person_idx (person_id, face_id) and faces_image_id_idx serve it.
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('people').addColumn('birth_date', 'date').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('people').dropColumn('birth_date').execute();
}
