import { sql, type Kysely } from 'kysely';

/**
 * How each face was found: `detector` (the SSD detector, every face stored
 * before this migration) or `whole-image` (a tight face crop in which the
 * detector found nothing, taken whole after the landmark check said it is a
 * face). Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('faces')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('detector').check(sql`source IN ('detector', 'whole-image')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('faces').dropColumn('source').execute();
}
