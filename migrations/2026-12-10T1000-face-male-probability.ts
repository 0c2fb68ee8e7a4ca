import type { Kysely } from 'kysely';

/**
 * P(male) of a face from face-api's age/gender net, 0..1: clustering never merges a group of faces confidently
 * male with one confidently female. NULL: stored before it was measured (then it takes no part). Not an API
 * field. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('faces').addColumn('male_probability', 'real').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('faces').dropColumn('male_probability').execute();
}
