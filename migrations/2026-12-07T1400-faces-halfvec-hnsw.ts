import { sql, type Kysely } from 'kysely';

/**
 * The faces' k-NN index becomes an HNSW index over the embeddings read as `halfvec(128)` (16-bit
 * floats), m = 16, ef_construction = 64 (was `vector(128)`, m = 32, ef_construction = 400). The
 * stored embeddings keep full precision: queries walk the index in half precision and re-rank the
 * candidates by the exact distance (FaceRepository.nearest). Chosen at a million faces
 * (`npm run bench -- --only million`, docs/benchmarks.md "A million faces"): the old index would take
 * about an hour to build there and pass 1 GB; this one builds in ~11 minutes, takes ~540 MB, and
 * gives recall@10 0.98 at ef_search 100. Existing libraries get the new index when this runs (about a
 * minute per 100,000 faces on two cores). Frozen: later changes go in new migrations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS faces_embedding_hnsw_idx`.execute(db);
  // The graph must fit in maintenance_work_mem or the build slows down many times; not in the
  // embedded database, whose 32-bit WebAssembly heap holds libraries far smaller than that.
  const { rows } = await sql<{ wasm: boolean }>`SELECT version() LIKE '%wasm%' AS wasm`.execute(db);
  if (!rows[0].wasm) await sql`SET LOCAL maintenance_work_mem = '1GB'`.execute(db);
  await sql`CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw ((embedding::halfvec(128)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS faces_embedding_hnsw_idx`.execute(db);
  await sql`CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops) WITH (m = 32, ef_construction = 400)`.execute(
    db,
  );
}
