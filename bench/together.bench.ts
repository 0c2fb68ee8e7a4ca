import { sql, type Kysely } from 'kysely';
import { mulberry32 } from '../src/clustering/neighbour-graph.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import type { DB } from '../src/db/tables.js';
import { toVectorText } from '../src/db/vector.js';
import { PeopleTogetherRepository } from '../src/repositories/people-together.repository.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';
import { median, percentile } from './photos.js';
import { createBenchDatabase } from './bench-database.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PAGE = 51;

/**
 * `peopleTogether` at library scale on native PostgreSQL: 100,000 faces of 20,000 people (5 each),
 * packed 1 to 4 people a photo (40,000 photos), plus one person in 5,000 more photos, each with
 * one other person (a library's "me"). The first page (50 photos) of pairs of people seen together,
 * through PeopleTogetherRepository as the server runs it (the person with fewer faces first), with
 * and without `only`. Baselines of the same run: the same statement with index scans turned off
 * (what it costs without face_people_person_idx / faces_image_id_idx), and the popular person put
 * first (what driving by the larger person costs).
 */
export async function benchTogether(): Promise<Record<string, unknown>> {
  const people = Number(process.env.BENCH_TOGETHER_PEOPLE ?? 20_000);
  const queries = Number(process.env.BENCH_TOGETHER_QUERIES ?? 200);
  const base = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_URL;
  const scratch = await createBenchDatabase(base);
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: null });
  try {
    const { db } = database;
    await migrateToLatest(db);
    // No k-NN here: loading without the HNSW index takes seconds instead of minutes.
    await sql`DROP INDEX faces_embedding_hnsw_idx`.execute(db);
    const random = mulberry32(11);
    const t = performance.now();
    const album = await db
      .insertInto('albums')
      .values({ owner_id: LOCAL_OWNER.id, name: 'bench' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const personIds: number[] = [];
    for (let i = 0; i < people; i += 5000) {
      const rows = await db
        .insertInto('people')
        .values(Array.from({ length: Math.min(5000, people - i) }, () => ({ owner_id: LOCAL_OWNER.id })))
        .returning('id')
        .execute();
      personIds.push(...rows.map((r) => r.id));
    }
    // Five faces of each person, shuffled, cut into photos of 1, 2, 3, 4, 1, 2, ... faces.
    const slots = personIds.flatMap((p) => [p, p, p, p, p]);
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [slots[i], slots[j]] = [slots[j], slots[i]];
    }
    const photos: number[][] = [];
    for (let i = 0, k = 0; i < slots.length; k++) {
      const size = (k % 4) + 1;
      photos.push([...new Set(slots.slice(i, i + size))]);
      i += size;
    }
    const popular = personIds[0];
    for (let k = 0; k < 5000; k++) {
      photos.push([popular, personIds[1 + Math.floor(random() * (people - 1))]]);
    }
    await load(db, album.id, photos);
    const loadSeconds = (performance.now() - t) / 1000;
    await sql`ANALYZE`.execute(db);
    console.error(`  loaded ${photos.length} photos, ${photos.reduce((s, p) => s + p.length, 0)} faces in ${loadSeconds.toFixed(1)} s`);

    const faceCount = new Map<number, number>();
    for (const p of photos) for (const id of p) faceCount.set(id, (faceCount.get(id) ?? 0) + 1);
    const bySize = (ids: number[]) => [...ids].sort((a, b) => faceCount.get(a)! - faceCount.get(b)! || a - b);
    const groups = photos.filter((p) => p.length >= 2 && !p.includes(popular));
    const pairs = Array.from({ length: queries }, () => {
      const p = groups[Math.floor(random() * groups.length)];
      return bySize([p[0], p[1]]);
    });
    const withPopular = Array.from({ length: queries }, (_, k) => bySize([popular, photos[photos.length - 1 - k][1]]));
    const repo = new PeopleTogetherRepository(db);
    const time = async (run: () => Promise<unknown>): Promise<number> => {
      const s = performance.now();
      await run();
      return performance.now() - s;
    };
    const series = async (list: number[][], only: boolean, how: 'index' | 'no-index' | 'largest-first') => {
      const ms: number[] = [];
      for (const ids of list) {
        if (how === 'index') ms.push(await time(() => repo.imagesAfter(ids, only, 0, PAGE)));
        else if (how === 'largest-first') ms.push(await time(() => repo.imagesAfter([...ids].reverse(), only, 0, PAGE)));
        else {
          ms.push(
            await time(() =>
              db.transaction().execute(async (trx) => {
                await sql`SET LOCAL enable_indexscan = off`.execute(trx);
                await sql`SET LOCAL enable_bitmapscan = off`.execute(trx);
                return new PeopleTogetherRepository(trx).imagesAfter(ids, only, 0, PAGE);
              }),
            ),
          );
        }
      }
      return { p50Ms: median(ms), p95Ms: percentile(ms, 95) };
    };
    // Warm the cache once, as a running server would be.
    await series(pairs.slice(0, 20), false, 'index');
    const pair = await series(pairs, false, 'index');
    const pairOnly = await series(pairs, true, 'index');
    const popularPair = await series(withPopular, false, 'index');
    const popularFirst = await series(withPopular, false, 'largest-first');
    const noIndex = await series(pairs.slice(0, 20), false, 'no-index');
    const out = {
      people,
      photos: photos.length,
      faces: photos.reduce((s, p) => s + p.length, 0),
      queries,
      pair,
      pairOnly,
      popularPair,
      popularFirst,
      noIndex,
      speedupVsNoIndex: noIndex.p50Ms / pair.p50Ms,
      speedupVsLargestFirst: popularFirst.p50Ms / popularPair.p50Ms,
    };
    console.error(`  ${JSON.stringify(out)}`);
    return out;
  } finally {
    await database.close();
    await scratch.drop();
  }
}

/** Photos, their faces (a constant embedding: nothing here compares them) and machine-made assignments. */
async function load(db: Kysely<DB>, albumId: number, photos: number[][]): Promise<void> {
  const embedding = toVectorText(new Float32Array(128).fill(1 / Math.sqrt(128)));
  const CHUNK = 2000;
  for (let i = 0; i < photos.length; i += CHUNK) {
    const chunk = photos.slice(i, i + CHUNK);
    const images = await db
      .insertInto('images')
      .values(
        chunk.map((_, k) => ({
          album_id: albumId,
          sha256: (i + k).toString(16).padStart(64, '0'),
          file_name: `p${i + k}.jpg`,
          format: 'jpeg',
          width: 100,
          height: 100,
          byte_size: 1,
        })),
      )
      .returning('id')
      .execute();
    const faces = chunk.flatMap((who, k) => who.map((personId) => ({ imageId: images[k].id, personId })));
    const rows = await db
      .insertInto('faces')
      .values(
        faces.map((f) => ({
          image_id: f.imageId,
          album_id: albumId,
          owner_id: LOCAL_OWNER.id,
          box_x: 0,
          box_y: 0,
          box_width: 50,
          box_height: 50,
          score: 1,
          landmarks: '[]',
          embedding,
          model: 'synthetic',
        })),
      )
      .returning('id')
      .execute();
    await db
      .insertInto('face_people')
      .values(rows.map((r, k) => ({ face_id: r.id, person_id: faces[k].personId, assigned_by: 'machine' as const })))
      .execute();
  }
  await sql`UPDATE people SET face_count = c.n FROM (SELECT person_id, count(*)::int AS n FROM face_people GROUP BY person_id) c WHERE c.person_id = people.id`.execute(
    db,
  );
}
