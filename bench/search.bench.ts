import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { DEFAULT_EF_SEARCH, withEfSearch } from '../src/db/knn.js';
import { migrateToLatest } from '../src/db/migrator.js';
import type { DB } from '../src/db/tables.js';
import { toVectorText } from '../src/db/vector.js';
import { FaceRepository } from '../src/repositories/face.repository.js';
import { median, percentile } from './photos.js';
import { mulberry32 } from '../src/clustering/neighbour-graph.js';
import { syntheticFaces } from '../test/support/synthetic-faces.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';
import { createBenchDatabase } from './bench-database.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * k-NN at library scale on native PostgreSQL + pgvector: 100,000 stored faces
 * (synthetic, 20,000 people x 5), the real schema and index from the
 * migrations, queried through the real repository (`similarFaces`' path).
 * Reports latency inside the database (EXPLAIN ANALYZE execution time) and as
 * the client sees it, and recall@10 of the HNSW index against exact search.
 * The exact scan measured in the same run is the baseline.
 */
export async function benchSearch(): Promise<Record<string, unknown>> {
  const faces = Number(process.env.BENCH_SEARCH_FACES ?? 100_000);
  const queries = Number(process.env.BENCH_SEARCH_QUERIES ?? 200);
  const base = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_URL;
  const scratch = await createBenchDatabase(base);
  // One value, or several to compare on the same index (BENCH_EF_SEARCH=100,200,400); the JSON's top-level
  // figures are the server's default ef_search when it is among them.
  const efSearches = (process.env.BENCH_EF_SEARCH ?? String(DEFAULT_EF_SEARCH)).split(',').map(Number);
  // An IVFFlat index instead (BENCH_INDEX_DEFINITION naming it faces_embedding_hnsw_idx): these probes are swept
  // instead of ef_search (docs/benchmarks.md, Search at 100,000 faces).
  const probes = process.env.BENCH_IVFFLAT_PROBES?.split(',').map(Number);
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: null });
  try {
    const { db } = database;
    await migrateToLatest(db);
    const data = syntheticFaces(faces / 5, 5);

    // Bulk load without the index, then build it from the migration's own definition.
    const indexDef = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE indexname = 'faces_embedding_hnsw_idx'`.execute(
      db,
    );
    const definition = indexDef.rows[0].indexdef;
    await sql`DROP INDEX faces_embedding_hnsw_idx`.execute(db);
    const album = await db
      .insertInto('albums')
      .values({ owner_id: LOCAL_OWNER.id, name: 'bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    let t = performance.now();
    const IMAGES = 1000;
    for (let i = 0; i < data.length; i += IMAGES) {
      const chunk = data.slice(i, i + IMAGES);
      const images = await db
        .insertInto('images')
        .values(
          chunk.map((_, k) => ({
            album_id: album.id,
            sha256: (i + k).toString(16).padStart(64, '0'),
            file_name: `f${i + k}.jpg`,
            format: 'jpeg',
            width: 100,
            height: 100,
            byte_size: 1,
          })),
        )
        .returning('id')
        .execute();
      await db
        .insertInto('faces')
        .values(
          chunk.map((f, k) => ({
            image_id: images[k].id,
            album_id: album.id,
            owner_id: LOCAL_OWNER.id,
            box_x: 0,
            box_y: 0,
            box_width: 50,
            box_height: 50,
            score: 1,
            landmarks: '[]',
            embedding: toVectorText(f.vector),
            model: 'synthetic',
          })),
        )
        .execute();
    }
    const loadSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    // One connection: the settings must apply to the session that builds the index.
    await db.connection().execute(async (conn) => {
      await sql`SET maintenance_work_mem = '1GB'`.execute(conn);
      await sql`SET max_parallel_maintenance_workers = 2`.execute(conn);
      await sql.raw(process.env.BENCH_INDEX_DEFINITION ?? definition).execute(conn);
    });
    const indexSeconds = (performance.now() - t) / 1000;
    await sql`ANALYZE faces`.execute(db);
    console.error(`  loaded ${data.length} faces in ${loadSeconds.toFixed(1)} s, HNSW built in ${indexSeconds.toFixed(1)} s`);

    const ids = (await db.selectFrom('faces').select('id').orderBy('id').execute()).map((r) => r.id);
    const random = mulberry32(7);
    const picks = Array.from({ length: queries }, () => Math.floor(random() * data.length));
    // Exact top-10 by a sequential scan, for recall and as the baseline; computed once for every ef_search tried.
    const truths: Set<number>[] = [];
    const exactMs: number[] = [];
    for (const i of picks) {
      const s = performance.now();
      const exact = await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_indexscan = off`.execute(trx);
        return sql<{
          id: number;
        }>`SELECT id FROM faces WHERE id <> ${ids[i]} ORDER BY embedding <=> ${toVectorText(data[i].vector)}::vector LIMIT 10`.execute(trx);
      });
      exactMs.push(performance.now() - s);
      truths.push(new Set(exact.rows.map((r) => Number(r.id))));
    }
    // Each ef_search through its own pool, as a server configured with it would run.
    const sweep = [];
    for (const ef of probes ?? efSearches) {
      if (probes) await sql.raw(`ALTER DATABASE ${scratch.name} SET ivfflat.probes = ${ef}`).execute(db);
      const scoped = await openDatabase({ databaseUrl: scratch.url, dataDir: null, hnswEfSearch: probes ? DEFAULT_EF_SEARCH : ef });
      try {
        const repo = new FaceRepository(scoped.db);
        const clientMs: number[] = [];
        const dbMs: number[] = [];
        let hits = 0;
        for (const [n, i] of picks.entries()) {
          const query = data[i].vector;
          // Through the repository: what similarFaces runs, owner filter included.
          const s = performance.now();
          const found = await repo.nearest({ ownerId: LOCAL_OWNER.id, embedding: query, limit: 10, excludeFaceId: ids[i] });
          clientMs.push(performance.now() - s);
          hits += found.filter((f) => truths[n].has(f.face.id)).length;
          if (n < 100) dbMs.push(await explainMs(scoped.db, query, ids[i], ef));
        }
        sweep.push({
          efSearch: probes ? null : ef,
          ivfflatProbes: probes ? ef : null,
          p50Ms: median(dbMs),
          p95Ms: percentile(dbMs, 95),
          clientP50Ms: median(clientMs),
          clientP95Ms: percentile(clientMs, 95),
          speedupVsExact: median(exactMs) / median(clientMs),
          recallAt10: hits / (queries * 10),
        });
        console.error(
          `  ${probes ? 'probes' : 'ef_search'} ${ef}: recall@10 ${(hits / (queries * 10)).toFixed(3)}, p95 ${percentile(dbMs, 95).toFixed(2)} ms in the database`,
        );
      } finally {
        await scoped.close();
      }
    }
    const chosen = sweep.find((r) => r.efSearch === DEFAULT_EF_SEARCH) ?? sweep[0];
    return {
      faces: data.length,
      queries,
      p50Ms: chosen.p50Ms,
      p95Ms: chosen.p95Ms,
      clientP50Ms: chosen.clientP50Ms,
      clientP95Ms: chosen.clientP95Ms,
      exactP95Ms: percentile(exactMs, 95),
      speedupVsExact: chosen.speedupVsExact,
      recallAt10: chosen.recallAt10,
      index: {
        definition: process.env.BENCH_INDEX_DEFINITION ?? definition,
        efSearch: chosen.efSearch,
        iterativeScan: 'relaxed_order',
        buildSeconds: indexSeconds,
      },
      sweep,
    };
  } finally {
    await database.close();
    await scratch.drop();
  }
}

/** Execution time PostgreSQL reports for the repository's k-NN statement, with the same settings. */
async function explainMs(db: import('kysely').Kysely<DB>, query: Float32Array, exclude: number, efSearch: number): Promise<number> {
  return withEfSearch(db, { exactly: efSearch }, async (trx) => {
    const plan = await sql<{
      'QUERY PLAN': unknown;
    }>`EXPLAIN (ANALYZE, FORMAT JSON) SELECT id, embedding <=> ${toVectorText(query)}::vector AS distance FROM faces WHERE owner_id = ${LOCAL_OWNER.id} AND id <> ${exclude} ORDER BY embedding::halfvec(128) <=> ${toVectorText(query)}::halfvec(128) LIMIT 20`.execute(
      trx,
    );
    const json = plan.rows[0]['QUERY PLAN'] as [
      { 'Execution Time': number; Plan: { 'Node Type': string; Plans?: { 'Node Type': string }[] } },
    ];
    const text = JSON.stringify(json[0].Plan);
    if (!text.includes('faces_embedding_hnsw_idx')) throw new Error(`k-NN did not use the HNSW index: ${text.slice(0, 300)}`);
    return json[0]['Execution Time'];
  });
}
