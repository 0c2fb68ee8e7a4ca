import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createFacegraph } from '../src/facegraph.js';
import { WorkerProcess, workerEnv } from '../test/support/worker-process.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';
import { datasetsRoot, lfw10Paths } from './photos.js';
import { createBenchDatabase } from './bench-database.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

interface WorkersRound {
  count: number;
  seconds: number;
  photosPerSec: number;
  /** Against the one-worker round of the same run. */
  speedup: number;
  /** 1-minute load average when the round ended: other work on the machine shows here. */
  loadAverage: number;
}

/**
 * Scale-out: the 100 photos of lfw10 ingested through pg-boss by 1, 2 and 3
 * `facegraph worker` processes (ONNX engine, one intra-op thread each) on one
 * PostgreSQL. Each round gets a fresh database; the clock runs from the
 * enqueue (workers already started, models loaded) to the batch being DONE.
 * On a 2-core machine the ceiling is about 2x, reached only when nothing else
 * runs: each round records the load average beside its time.
 */
export async function benchWorkers(): Promise<Record<string, unknown>> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_URL;
  const counts = (process.env.BENCH_WORKER_COUNTS ?? '1,2,3').split(',').map(Number);
  const paths = await lfw10Paths();
  const rounds: WorkersRound[] = [];
  for (const count of counts) {
    const seconds = await round(base, count, paths);
    console.error(`  ${count} worker(s): ${paths.length} photos in ${seconds.toFixed(1)} s`);
    rounds.push({ count, seconds, photosPerSec: paths.length / seconds, speedup: 0, loadAverage: os.loadavg()[0] });
  }
  const one = rounds.find((r) => r.count === 1)?.seconds ?? rounds[0].seconds;
  for (const r of rounds) r.speedup = one / r.seconds;
  return {
    photos: paths.length,
    engine: 'onnx',
    threadsPerWorker: 1,
    cpus: os.availableParallelism(),
    workers: rounds,
  };
}

async function round(base: string, count: number, paths: string[]): Promise<number> {
  const datasets = datasetsRoot();
  const scratch = await createBenchDatabase(base, 'facegraph_bench_w');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-bench-workers-'));
  const config = loadConfig({
    DATABASE_URL: scratch.url,
    FACEGRAPH_DATA_DIR: dataDir,
    FACEGRAPH_WORKERS: '0',
    FACEGRAPH_IMPORT_ROOT: datasets,
  });
  const api = await createFacegraph(config);
  const workers: WorkerProcess[] = [];
  try {
    const env = workerEnv(config, { FACEGRAPH_IMPORT_ROOT: datasets });
    workers.push(...(await Promise.all(Array.from({ length: count }, (_, i) => WorkerProcess.start(env, `w${i + 1}`)))));
    const album = await api.services.albums.create(LOCAL_OWNER.id, `bench ${count}`);
    const started = performance.now();
    const batch = await api.services.ingest.enqueuePaths(LOCAL_OWNER.id, album.id, paths);
    const done = await api.services.ingest.waitForBatch(batch.id, 3600);
    const seconds = (performance.now() - started) / 1000;
    if (done.status !== 'DONE' || done.done !== paths.length)
      throw new Error(`round with ${count} workers ended ${done.status} ${done.done}/${done.total}`);
    return seconds;
  } finally {
    await Promise.all(workers.map((w) => w.stop().catch(() => w.kill('SIGKILL'))));
    await api.close();
    await scratch.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
