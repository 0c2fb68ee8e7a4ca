import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { loadConfig, type Config } from '../../src/config.js';
import { createFacegraph, type Facegraph } from '../../src/facegraph.js';
import { buildFacegraphSchema } from '../../src/graphql/schema.js';
import { startHttpServer, type HttpServer } from '../../src/server/app.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import type { FaceEngine } from '../../src/vision/types.js';

import { ONEFACE_DIR } from '../support/datasets.js';

export { DATASETS, DEMO_DIR } from '../support/datasets.js';

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
export async function startTestServer(
  env: Record<string, string> = {},
  reuse?: { dataDir: string; databaseUrl?: string },
): Promise<TestServer> {
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

/** A photo a test made: what an upload sends (`UploadFile`), or a file it writes. */
export interface MadePhoto {
  name: string;
  bytes: Buffer;
}

/**
 * Photos 1..`count` (at most 100) of one person, the astronaut (Eileen Collins) of the package photo
 * test/fixtures/photos/oneface/astronaut.png: photo k (from 0) is that photo 512 - 2 (k mod 5) px wide,
 * saved as JPEG at quality 95 - (k div 5), named `astronaut-NNN.jpg` (NNN = k + 1). New bytes each, one
 * face each, and for clustering and search photos of one person, as an lfw10 folder's are: measured, all
 * 100 faces within cosine distance 0.004 of each other, far inside the same-person threshold. The package's
 * other face, camera.png (the cameraman), is another person (at more than 0.16 from every one of them);
 * re-encoded, though, his small grey face is sometimes missed, so tests use that photo only as it is.
 */
export async function astronautPhotos(count: number): Promise<MadePhoto[]> {
  if (count > 100) throw new Error('at most 100 astronaut photos');
  const source = path.join(ONEFACE_DIR, 'astronaut.png');
  return Promise.all(
    Array.from({ length: count }, async (_, k) => ({
      name: `astronaut-${String(k + 1).padStart(3, '0')}.jpg`,
      bytes: await sharp(source)
        .resize({ width: 512 - 2 * (k % 5) })
        .jpeg({ quality: 95 - Math.floor(k / 5) })
        .toBuffer(),
    })),
  );
}

const madeFolders = new Set<string>();

/**
 * A new folder holding `files` (path inside it -> bytes, or a file to copy), for FACEGRAPH_IMPORT_ROOT
 * or the CLI: removed when the process exits. Copies, not links: ingestPaths refuses a link that leads
 * out of its root.
 */
export async function folderWith(files: Record<string, Uint8Array | string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-photos-'));
  if (madeFolders.size === 0) process.once('exit', () => madeFolders.forEach((d) => rmSync(d, { recursive: true, force: true })));
  madeFolders.add(dir);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (typeof content === 'string') await fs.copyFile(content, file);
    else await fs.writeFile(file, content);
  }
  return dir;
}
