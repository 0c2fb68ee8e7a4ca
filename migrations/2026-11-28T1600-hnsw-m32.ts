import { sql, type Kysely } from 'kysely';

/**
 * Rebuilds the faces' HNSW index with m = 32, ef_construction = 400 (was
 * pgvector's defaults, 16 / 64). Measured with `npm run bench -- --only search`
 * at 100,000 faces (recall@10 against exact search / p95 inside PostgreSQL):
 * the defaults gave 0.85 at ef_search 100 and needed > 400 for 0.98; m = 16 /
 * ef_construction 200 gave 0.967 / 9.7 ms at ef_search 300; m = 32 /
 * ef_construction 200 gave 0.974 / 8.6 ms at 100 and 0.983 / 12.3 ms at 140;
 * m = 32 / ef_construction 400 gives 0.983 / 9.8 ms at 100 (the server's
 * default, see DEFAULT_EF_SEARCH). The price is a slower build (~4 min for
 * 100k faces on 2 cores) and slower inserts, which photo analysis outweighs
 * by far. Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS faces_embedding_hnsw_idx`.execute(db);
  await sql`CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops) WITH (m = 32, ef_construction = 400)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS faces_embedding_hnsw_idx`.execute(db);
  await sql`CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`.execute(
    db,
  );
}
