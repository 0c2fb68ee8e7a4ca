import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { mulberry32 } from '../src/clustering/neighbour-graph.js';
import { openDatabase } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { FaceRepository } from '../src/repositories/face.repository.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';
import type { FaceAnalyzer } from '../src/services/face-analyzer.js';
import { FaceService } from '../src/services/face.service.js';
import { syntheticLibrary } from '../test/support/synthetic-people.js';
import { exactTopTen, storeSyntheticFaces, timeSimilar } from '../test/support/stored-library.js';
import { median, percentile } from './photos.js';
import { OwnershipRepository } from '../src/repositories/ownership.repository.js';
import { OwnerAccess } from '../src/services/owner-access.js';

export interface EmbeddedBench {
  faces: number;
  /** Faces stored a second, index kept up to date as ingestion does, per step of the growing library. */
  growth: { faces: number; insertFacesPerSec: number; p95Ms: number }[];
  recallAt10: number;
  p50Ms: number;
  p95Ms: number;
  exactP95Ms: number;
  dataDirMb: number;
  rssMb: number;
}

/**
 * `npm run bench -- --only embedded`: what the embedded default (PGlite, one WASM process) holds.
 * Faces are stored in steps into a data folder on disk with the migrations' k-NN index in place, as
 * ingestion stores them; after each step, k-NN p95 through `FaceService.similar`. At the end,
 * recall@10 against an exact scan and the exact scan's p95 as the baseline.
 * BENCH_EMBEDDED_FACES (default 100,000) and BENCH_EMBEDDED_STEP (default 10,000) pick other sizes.
 */
export async function benchEmbedded(): Promise<EmbeddedBench> {
  const total = Number(process.env.BENCH_EMBEDDED_FACES ?? 100_000);
  const step = Number(process.env.BENCH_EMBEDDED_STEP ?? 10_000);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-embedded-'));
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  const log = (line: string) => console.error(`  ${line}`);
  try {
    const { db } = database;
    await migrateToLatest(db);
    const lib = syntheticLibrary(total);
    const album = await db
      .insertInto('albums')
      .values({ owner_id: LOCAL_OWNER.id, name: 'embedded' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const faces = new FaceService({
      access: new OwnerAccess(new OwnershipRepository(db)),
      faces: new FaceRepository(db),
      analyzer: undefined as unknown as FaceAnalyzer,
      maxPage: 100,
    });
    const random = mulberry32(9);
    const ids: number[] = [];
    const growth: EmbeddedBench['growth'] = [];
    const timeQueries = async (count: number) => {
      const ms: number[] = [];
      for (let q = 0; q < count; q++) {
        const s = performance.now();
        await faces.similar(LOCAL_OWNER.id, ids[Math.floor(random() * ids.length)], { limit: 10 });
        ms.push(performance.now() - s);
      }
      return ms;
    };
    for (let from = 0; from < total; from += step) {
      const rows = Int32Array.from({ length: Math.min(step, total - from) }, (_, i) => from + i);
      const t = performance.now();
      ids.push(...(await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album.id }, lib.embeddings, rows, lib.imageId)));
      const insertFacesPerSec = rows.length / ((performance.now() - t) / 1000);
      const p95Ms = percentile(await timeQueries(50), 95);
      growth.push({ faces: ids.length, insertFacesPerSec, p95Ms });
      log(`${ids.length} faces: ${insertFacesPerSec.toFixed(0)} faces/s stored, k-NN p95 ${p95Ms.toFixed(1)} ms`);
    }
    const queries = 200;
    const picks = Array.from({ length: queries }, () => Math.floor(random() * total));
    const all = Int32Array.from({ length: total }, (_, i) => i);
    const truths = exactTopTen(lib.embeddings, all, picks);
    const { ms, recallAt10 } = await timeSimilar((id) => faces.similar(LOCAL_OWNER.id, id, { limit: 10 }), ids, picks, truths);
    const exactMs: number[] = [];
    for (const i of picks.slice(0, 20)) {
      const s = performance.now();
      await db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_indexscan = off`.execute(trx);
        const row = await trx.selectFrom('faces').select('embedding').where('id', '=', ids[i]).executeTakeFirstOrThrow();
        await sql`SELECT id FROM faces WHERE owner_id = ${LOCAL_OWNER.id} ORDER BY embedding <=> ${row.embedding}::vector LIMIT 10`.execute(
          trx,
        );
      });
      exactMs.push(performance.now() - s);
    }
    await database.close();
    const dataDirMb = (await folderBytes(dataDir)) / 2 ** 20;
    const result: EmbeddedBench = {
      faces: total,
      growth,
      recallAt10,
      p50Ms: median(ms),
      p95Ms: percentile(ms, 95),
      exactP95Ms: percentile(exactMs, 95),
      dataDirMb,
      rssMb: process.memoryUsage().rss / 2 ** 20,
    };
    log(
      `at ${total}: recall@10 ${result.recallAt10.toFixed(3)}, p95 ${result.p95Ms.toFixed(1)} ms, exact p95 ${result.exactP95Ms.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await database.close().catch(() => undefined);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return bytes;
}
