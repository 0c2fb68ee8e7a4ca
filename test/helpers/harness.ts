import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { createFacegraph, type Facegraph } from '../../src/facegraph.js';
import { buildFacegraphSchema } from '../../src/graphql/schema.js';
import { startHttpServer, type HttpServer } from '../../src/server/app.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import type { FaceEngine } from '../../src/vision/types.js';

export { DATASETS, DEMO_DIR } from './datasets.js';

/**
 * The engine end-to-end tests run: ONNX (the default engine, ~10x faster)
 * unless FACEGRAPH_TEST_ENGINE=tfjs, at the precision a server here would
 * run. Its fp32 parity with the tfjs reference is proven by
 * test/vision/onnx-parity.test.ts, int8 against fp32 by
 * test/vision/int8-precision.test.ts. One per test process: loading
 * the networks costs seconds.
 */
let sharedEngine: FaceEngine | undefined;
export const TEST_ENGINE = (process.env.FACEGRAPH_TEST_ENGINE ?? 'onnx') as 'onnx' | 'tfjs';
export function testEngine(): FaceEngine {
  // The precision a server on this machine would run (FACEGRAPH_PRECISION, default auto: int8 on VNNI CPUs).
  sharedEngine ??= createEngine({ engine: TEST_ENGINE, threads: os.availableParallelism(), precision: loadConfig(process.env).precision });
  return sharedEngine;
}

export interface TestServer {
  facegraph: Facegraph;
  http: HttpServer;
  url: string;
  config: Readonly<Config>;
  dataDir: string;
  /** Stops the server and closes the database, keeping the data (for restart tests). */
  stop(): Promise<void>;
  /** Stops and deletes everything the test made (data folder, PostgreSQL database). */
  destroy(): Promise<void>;
}

/**
 * A real facegraph server on a free loopback port. On PGlite by default; on a
 * fresh PostgreSQL database (created here, dropped by destroy) when the
 * environment has DATABASE_URL — so the same suite runs on both.
 */
export async function startTestServer(env: Record<string, string> = {}, reuse?: { dataDir: string; databaseUrl?: string }): Promise<TestServer> {
  const dataDir = reuse?.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-test-')));
  const databaseUrl = reuse ? reuse.databaseUrl : await createTestDatabase();
  const config = loadConfig({
    // End-to-end tests read a batch's items from the mutation itself; test/jobs tests the asynchronous default.
    FACEGRAPH_INGEST_WAIT_SECONDS: env.FACEGRAPH_WORKERS === '0' ? '0' : 'until-done',
    FACEGRAPH_DATA_DIR: dataDir,
    PORT: '0',
    FACEGRAPH_ENGINE: TEST_ENGINE,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const facegraph = await createFacegraph(config, { engine: testEngine() });
  const http = await startHttpServer(await buildFacegraphSchema(), facegraph.services, config);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await http.stop();
    await facegraph.close();
  };
  return {
    facegraph,
    http,
    url: http.url,
    config,
    dataDir,
    stop,
    destroy: async () => {
      await stop();
      if (databaseUrl) await dropTestDatabase(databaseUrl);
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** With DATABASE_URL set: a new empty database on that server, for one test file. */
async function createTestDatabase(): Promise<string | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const name = `facegraph_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropTestDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export const usingPostgres = () => Boolean(process.env.DATABASE_URL);
