import { sql, type Kysely } from 'kysely';

/**
 * How far each face's embedding can be trusted, 0..1 (vision/face-quality.ts): a poor face is stored
 * and shown but never makes, joins or bridges a person. NULL for faces stored before it was measured,
 * which keep the behaviour they had. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('faces')
    .addColumn('quality', 'real', (c) => c.check(sql`quality >= 0 AND quality <= 1`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('faces').dropColumn('quality').execute();
}
