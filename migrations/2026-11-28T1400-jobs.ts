import { sql, type Kysely } from 'kysely';

/**
 * Durable ingestion: each ingest item remembers where its bytes are until it
 * is processed (an upload moved into the spool, or a path under the import
 * root), and the embedded database gets a job table for its in-process queue.
 * On PostgreSQL the queue is pg-boss, which keeps its own schema (`pgboss`).
 * Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ingest_items')
    // 'spool' (path relative to the data folder), 'import' (path under the import root) or 'file' (absolute, CLI only).
    .addColumn('source_kind', 'text')
    .addColumn('source', 'text')
    // When the item got its outcome. image_id alone cannot tell: deleting the image sets it back to null.
    .addColumn('recorded_at', 'timestamptz')
    .execute();
  // Before this migration every item was recorded inside its request.
  await sql`UPDATE ingest_items SET recorded_at = now()`.execute(db);
  // Items not yet recorded: what workers, progress and the spool sweep look for.
  await sql`CREATE INDEX ingest_items_pending_idx ON ingest_items (batch_id, position) WHERE recorded_at IS NULL`.execute(db);

  await db.schema
    .createTable('local_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    // created | retry | active | failed (completed jobs are deleted)
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('created'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_after', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX local_jobs_fetch_idx ON local_jobs (queue, priority DESC, created_at, id) WHERE state IN ('created', 'retry')`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('local_jobs').ifExists().execute();
  await sql`DROP INDEX IF EXISTS ingest_items_pending_idx`.execute(db);
  await db.schema.alterTable('ingest_items').dropColumn('recorded_at').dropColumn('source').dropColumn('source_kind').execute();
}
