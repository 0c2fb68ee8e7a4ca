import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Owners and their API keys. Every album belongs to an owner; faces and people
 * carry their owner too (denormalised, like `faces.album_id`) so that every
 * k-NN search and every people query filters on one indexed column. What was
 * stored before this migration belongs to owner 1, `local`: the single user of
 * a server without keys. Keys are stored as a SHA-256 of their secret part only.
 * `instance_secrets` holds the key that signs thumbnail and photo URLs.
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('owners')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`INSERT INTO owners (name) VALUES ('local')`.execute(db);

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('owner_id', 'bigint', (c) => c.notNull().references('owners.id').onDelete('cascade'))
    // The public part of the key (`fg_<prefix>_...`), shown in listings and used to find the row.
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    // Hex SHA-256 of the secret part; the secret itself is shown once and never stored.
    .addColumn('secret_sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('instance_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('instance_secrets')
    .values({ name: 'url_signing', value: randomBytes(32).toString('hex') })
    .execute();

  for (const table of ['albums', 'faces', 'people']) {
    await db.schema
      .alterTable(table)
      .addColumn('owner_id', 'bigint', (c) => c.notNull().defaultTo(1).references('owners.id').onDelete('cascade'))
      .execute();
    // Existing rows got owner 1; new rows must say whose they are.
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN owner_id DROP DEFAULT`.execute(db);
  }
  await db.schema.createIndex('albums_owner_idx').on('albums').columns(['owner_id', 'id']).execute();
  await db.schema.createIndex('faces_owner_idx').on('faces').columns(['owner_id', 'id']).execute();
  await db.schema.createIndex('people_owner_idx').on('people').columns(['owner_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['people', 'faces', 'albums']) {
    await db.schema.alterTable(table).dropColumn('owner_id').execute();
  }
  for (const table of ['instance_secrets', 'api_keys', 'owners']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
