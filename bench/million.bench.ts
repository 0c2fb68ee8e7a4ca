import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { mulberry32 } from '../src/clustering/neighbour-graph.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import type { DB } from '../src/db/tables.js';
import { EMBEDDING_DIMENSIONS, toVectorText } from '../src/db/vector.js';
import { pairwiseClusteringMetrics } from '../src/eval/clustering-metrics.js';
import { FaceRepository } from '../src/repositories/face.repository.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';
import type { FaceAnalyzer } from '../src/services/face-analyzer.js';
import { FaceService } from '../src/services/face.service.js';
import { syntheticLibrary, type SyntheticLibrary } from '../test/support/synthetic-people.js';
import { exactTopTen, storeSyntheticFaces, timeSimilar } from '../test/support/stored-library.js';
import type { ClusteringChildResult } from './million-clustering.js';
import { median, percentile } from './photos.js';
import { OwnershipRepository } from '../src/repositories/ownership.repository.js';
import { OwnerAccess } from '../src/services/owner-access.js';
import { createBenchDatabase } from './bench-database.js';

const run = promisify(execFile);
const HNSW_INDEX = 'faces_embedding_hnsw_idx';

export interface MillionBench {
  faces: number;
  otherOwnerFaces: number;
  loadSeconds: number;
  indexDefinition: string;
  indexBuildSeconds: number;
  indexMb: number;
  tableMb: number;
  queries: number;
  recallAt10: number;
  p50Ms: number;
  p95Ms: number;
  exactQueries: number;
  exactP95Ms: number;
  /** Share of the exact SQL scans whose ten faces are the ten the bench's own exact scan found. */
  exactAgreement: number;
  clusterSeconds: number;
  clusterRssMb: number;
  clusterF1: number;
  clusterPrecision: number;
  clusterRecall: number;
  people: number;
  incrementalFaces: number;
  incrementalSeconds: number;
  incrementalRssMb: number;
  /** New faces placed in a person (`placeNewFaces`), and of those, in a person most of whose faces are their true person's. */
  incrementalJoined: number;
  incrementalJoinedCorrectly: number;
}

/**
 * `npm run bench -- --only million` (needs DATABASE_URL: a PostgreSQL with pgvector): a library of
 * 1,000,000 synthetic faces (test/support/synthetic-people.ts: heavy-tailed people, group photos,
 * distances fitted to face-api's) in one owner and 10,000 in a second, in a database of its own,
 * schema and index from the migrations. Measures the index build, k-NN through `FaceService.similar`
 * (the API's query path, owner filter included) against an exact scan, a full clustering of the
 * million and the incremental run that places 1,000 new faces, each clustering in a process of its
 * own so that its peak RSS is its own. BENCH_MILLION_FACES, BENCH_MILLION_QUERIES pick other sizes;
 * BENCH_INDEX_DEFINITION tries another index.
 */
export async function benchMillion(): Promise<MillionBench> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!base) throw new Error('needs PostgreSQL: set DATABASE_URL');
  const total = Number(process.env.BENCH_MILLION_FACES ?? 1_000_000);
  const queries = Number(process.env.BENCH_MILLION_QUERIES ?? 1000);
  const newFaces = 1000;
  const otherFaces = Math.min(10_000, Math.ceil(total / 100));
  const scratch = await createBenchDatabase(base, 'facegraph_million');
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: null });
  const log = (line: string) => console.error(`  ${line}`);
  try {
    const { db } = database;
    await migrateToLatest(db);

    // The library, with 1,000 of its faces held back: the new photos of people it already holds.
    let t = performance.now();
    const lib = syntheticLibrary(total + newFaces);
    const other = syntheticLibrary(otherFaces, 11);
    const random = mulberry32(3);
    const held = new Set<number>();
    while (held.size < newFaces) held.add(Math.floor(random() * lib.person.length));
    const stored = Int32Array.from({ length: lib.person.length }, (_, i) => i).filter((i) => !held.has(i));
    log(`generated ${lib.person.length + otherFaces} faces in ${seconds(t).toFixed(1)} s`);

    const definition = await dropIndex(db);
    const ownerB = await db.insertInto('owners').values({ name: 'bench-other' }).returning('id').executeTakeFirstOrThrow();
    const album = await newAlbum(db, LOCAL_OWNER.id, 'million');
    const albumB = await newAlbum(db, ownerB.id, 'other');
    t = performance.now();
    const ids = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album }, lib.embeddings, stored, lib.imageId);
    await storeSyntheticFaces(db, { ownerId: ownerB.id, albumId: albumB }, other.embeddings, range(otherFaces), other.imageId);
    const loadSeconds = seconds(t);
    log(`stored ${ids.length + otherFaces} faces in ${loadSeconds.toFixed(1)} s`);
    await checkStored(db, ids, stored, lib);

    t = performance.now();
    const indexDefinition = process.env.BENCH_INDEX_DEFINITION ?? definition;
    await db.connection().execute(async (conn) => {
      // The build's own session: the graph in memory (else it spills and crawls), both cores.
      await sql`SET maintenance_work_mem = '4GB'`.execute(conn);
      await sql`SET max_parallel_maintenance_workers = 1`.execute(conn);
      await sql.raw(indexDefinition).execute(conn);
    });
    const indexBuildSeconds = seconds(t);
    await sql`VACUUM ANALYZE faces`.execute(db);
    const sizes = await sql<{ index: string; table: string }>`
      SELECT pg_relation_size(${HNSW_INDEX}::regclass) AS index, pg_table_size('faces'::regclass) AS table`.execute(db);
    const indexMb = Number(sizes.rows[0].index) / 2 ** 20;
    const tableMb = Number(sizes.rows[0].table) / 2 ** 20;
    log(`index built in ${indexBuildSeconds.toFixed(1)} s: ${indexMb.toFixed(0)} MB (table ${tableMb.toFixed(0)} MB)`);

    // k-NN: random stored faces of the first owner as queries, the truth by an exact scan over the same owner.
    const picks = Array.from({ length: queries }, () => Math.floor(random() * ids.length));
    t = performance.now();
    const truths = exactTopTen(lib.embeddings, stored, picks);
    log(`exact top-10 of ${queries} queries in ${seconds(t).toFixed(1)} s (in this process)`);
    const faces = new FaceService({
      access: new OwnerAccess(new OwnershipRepository(db)),
      faces: new FaceRepository(db),
      analyzer: undefined as unknown as FaceAnalyzer,
      maxPage: 100,
    });
    for (const i of picks.slice(0, 20)) await faces.similar(LOCAL_OWNER.id, ids[i], { limit: 10 }); // warm the index's pages
    const { ms, recallAt10 } = await timeSimilar((id) => faces.similar(LOCAL_OWNER.id, id, { limit: 10 }), ids, picks, truths);
    log(`k-NN: recall@10 ${recallAt10.toFixed(4)}, p50 ${median(ms).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms`);
    // The exact scan in SQL, the baseline: a sequential scan of the owner's faces.
    const exactQueries = Math.min(100, queries);
    const exactMs: number[] = [];
    let agree = 0;
    for (const [q, i] of picks.slice(0, exactQueries).entries()) {
      const s = performance.now();
      const rows = await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_indexscan = off`.execute(trx);
        return sql<{ id: number }>`
          SELECT id FROM faces WHERE owner_id = ${LOCAL_OWNER.id} AND id <> ${ids[i]}
          ORDER BY embedding <=> ${vectorOf(lib, stored[i])}::vector LIMIT 10`.execute(trx);
      });
      exactMs.push(performance.now() - s);
      const truth = new Set(truths[q].map((r) => ids[r]));
      if (rows.rows.every((r) => truth.has(Number(r.id)))) agree++;
    }
    log(`exact scan in SQL: p95 ${percentile(exactMs, 95).toFixed(0)} ms`);

    // Full clustering of the owner's library, in a process of its own.
    const full = await clusterInChild(scratch.url, 'full', album);
    const personOf = await peopleOf(db, ids);
    const truthPeople = Array.from(stored, (f) => String(lib.person[f]));
    const metrics = pairwiseClusteringMetrics(truthPeople, personOf);
    log(
      `full clustering: ${full.seconds.toFixed(1)} s, peak RSS ${full.maxRssMb.toFixed(0)} MB, ${full.summary.newPeople} people, F1 ${metrics.pairwiseF1.toFixed(4)}`,
    );

    // 1,000 new photos' faces, placed as every ingested batch's are (placeNewFaces).
    const heldRows = Int32Array.from(held).sort();
    const newIds = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album }, lib.embeddings, heldRows, newPhotos(lib));
    const incremental = await clusterInChild(scratch.url, 'new', album, Math.min(...newIds));
    const placed = await peopleOf(db, newIds);
    const truthOf = majorityTruth(stored, lib, personOf);
    let joined = 0;
    let correct = 0;
    heldRows.forEach((f, k) => {
      if (placed[k] === null) return;
      joined++;
      if (truthOf.get(placed[k]) === lib.person[f]) correct++;
    });
    log(`incremental: ${newFaces} new faces in ${incremental.seconds.toFixed(2)} s, ${joined} joined a person (${correct} the right one)`);

    return {
      faces: ids.length,
      otherOwnerFaces: otherFaces,
      loadSeconds,
      indexDefinition,
      indexBuildSeconds,
      indexMb,
      tableMb,
      queries,
      recallAt10,
      p50Ms: median(ms),
      p95Ms: percentile(ms, 95),
      exactQueries,
      exactP95Ms: percentile(exactMs, 95),
      exactAgreement: agree / exactQueries,
      clusterSeconds: full.seconds,
      clusterRssMb: full.maxRssMb,
      clusterF1: metrics.pairwiseF1,
      clusterPrecision: metrics.pairwisePrecision,
      clusterRecall: metrics.pairwiseRecall,
      people: full.summary.newPeople,
      incrementalFaces: newFaces,
      incrementalSeconds: incremental.seconds,
      incrementalRssMb: incremental.maxRssMb,
      incrementalJoined: joined,
      incrementalJoinedCorrectly: correct,
    };
  } finally {
    await database.close();
    const keep = Boolean(process.env.BENCH_MILLION_KEEP);
    if (keep) console.error(`  kept database ${scratch.name}`);
    await scratch.drop(keep);
  }
}

/** Drops the migrations' k-NN index (a bulk load into an HNSW index is ten times slower) and returns its definition. */
async function dropIndex(db: Kysely<DB>): Promise<string> {
  const found = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE indexname = ${HNSW_INDEX}`.execute(db);
  await sql`DROP INDEX ${sql.id(HNSW_INDEX)}`.execute(db);
  return found.rows[0].indexdef;
}

async function newAlbum(db: Kysely<DB>, ownerId: number, name: string): Promise<number> {
  const row = await db.insertInto('albums').values({ owner_id: ownerId, name }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The face ids really hold the faces they were returned for: a sample read back. */
async function checkStored(db: Kysely<DB>, ids: number[], stored: Int32Array, lib: SyntheticLibrary): Promise<void> {
  for (const r of [0, 1, Math.floor(ids.length / 2), ids.length - 1]) {
    const row = await sql<{
      d: number;
    }>`SELECT embedding <=> ${vectorOf(lib, stored[r])}::vector AS d FROM faces WHERE id = ${ids[r]}`.execute(db);
    if (!(Number(row.rows[0]?.d) < 1e-6)) throw new Error(`face ${ids[r]} does not hold library face ${stored[r]}`);
  }
}

/** Each face's person (null: none) after a run. */
async function peopleOf(db: Kysely<DB>, faceIds: number[]): Promise<(number | null)[]> {
  const personOf = new Map<number, number>();
  for (let i = 0; i < faceIds.length; i += 50_000) {
    const rows = await sql<{ face_id: number; person_id: number }>`
      SELECT face_id, person_id FROM face_people WHERE face_id = ANY(${faceIds.slice(i, i + 50_000)}::bigint[]) AND person_id IS NOT NULL`.execute(
      db,
    );
    for (const r of rows.rows) personOf.set(Number(r.face_id), Number(r.person_id));
  }
  return faceIds.map((id) => personOf.get(id) ?? null);
}

/** For each stored person, the true person most of its faces are. */
function majorityTruth(stored: Int32Array, lib: SyntheticLibrary, personOf: (number | null)[]): Map<number, number> {
  const counts = new Map<number, Map<number, number>>();
  stored.forEach((f, r) => {
    const p = personOf[r];
    if (p === null) return;
    const inner = counts.get(p) ?? new Map<number, number>();
    inner.set(lib.person[f], (inner.get(lib.person[f]) ?? 0) + 1);
    counts.set(p, inner);
  });
  const out = new Map<number, number>();
  for (const [person, inner] of counts) out.set(person, [...inner].sort((a, b) => b[1] - a[1])[0][0]);
  return out;
}

/** The held-back faces arrive in new photos of their own (photo numbers past the library's). */
function newPhotos(lib: SyntheticLibrary): Int32Array {
  const first = lib.imageId.reduce((a, b) => Math.max(a, b), 0) + 1;
  return Int32Array.from(lib.imageId, (_, f) => first + f);
}

async function clusterInChild(url: string, mode: 'full' | 'new', albumId: number, firstNewFace = 0): Promise<ClusteringChildResult> {
  const script = path.join(import.meta.dirname, 'million-clustering.ts');
  const { stdout, stderr } = await run(
    process.execPath,
    ['--max-old-space-size=8192', '--import', 'tsx', script, url, mode, String(LOCAL_OWNER.id), String(albumId), String(firstNewFace)],
    { maxBuffer: 1 << 24 },
  );
  if (stderr.trim()) console.error(stderr.trim());
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ClusteringChildResult;
}

function vectorOf(lib: SyntheticLibrary, f: number): string {
  return toVectorText(lib.embeddings.subarray(f * EMBEDDING_DIMENSIONS, (f + 1) * EMBEDDING_DIMENSIONS));
}

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}
