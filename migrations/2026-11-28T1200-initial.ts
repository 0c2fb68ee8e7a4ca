import { sql, type Kysely } from 'kysely';

/**
 * Albums, images, faces with their 128-d embeddings, and ingest batches.
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS vector`.execute(db);

  await db.schema
    .createTable('albums')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('images')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('album_id', 'bigint', (c) => c.notNull().references('albums.id').onDelete('cascade'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('byte_size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('images_album_sha256_key', ['album_id', 'sha256'])
    .execute();
  await db.schema.createIndex('images_sha256_idx').on('images').column('sha256').execute();

  await db.schema
    .createTable('faces')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('image_id', 'bigint', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('album_id', 'bigint', (c) => c.notNull().references('albums.id').onDelete('cascade'))
    .addColumn('box_x', 'real', (c) => c.notNull())
    .addColumn('box_y', 'real', (c) => c.notNull())
    .addColumn('box_width', 'real', (c) => c.notNull())
    .addColumn('box_height', 'real', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .addColumn('landmarks', 'jsonb', (c) => c.notNull())
    .addColumn('embedding', sql`vector(128)`, (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('faces_image_id_idx').on('faces').column('image_id').execute();
  await db.schema.createIndex('faces_album_id_idx').on('faces').columns(['album_id', 'id']).execute();
  // Cosine distance on unit vectors; m/ef_construction are pgvector's defaults, measured adequate up to 100k faces.
  await sql`CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`.execute(
    db,
  );

  await db.schema
    .createTable('ingest_batches')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('album_id', 'bigint', (c) => c.notNull().references('albums.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('ingest_batches_album_id_idx').on('ingest_batches').column('album_id').execute();

  await db.schema
    .createTable('ingest_items')
    .addColumn('batch_id', 'bigint', (c) => c.notNull().references('ingest_batches.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('image_id', 'bigint', (c) => c.references('images.id').onDelete('set null'))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addPrimaryKeyConstraint('ingest_items_pkey', ['batch_id', 'position'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['ingest_items', 'ingest_batches', 'faces', 'images', 'albums']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
