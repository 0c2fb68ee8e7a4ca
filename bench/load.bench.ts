import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { datasetsRoot, lfw10Paths, median, percentile } from './photos.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Op = 'similarFaces' | 'facesPage' | 'searchByPhoto' | 'ingest';
const MIX: [Op, number][] = [
  ['similarFaces', 0.4],
  ['facesPage', 0.3],
  ['searchByPhoto', 0.15],
  ['ingest', 0.15],
];

/**
 * A bounded load test on loopback: a real facegraph server in its own process
 * (embedded PGlite, or PostgreSQL when DATABASE_URL is set), seeded with
 * lfw10, then `clients` concurrent clients for `seconds` mixing similarFaces,
 * faces paging, searchByPhoto and ingestion. Reports throughput and latency per
 * operation, errors, and the server's RSS at minute 1 and minute 2. Every
 * request carries an API key (made with `facegraph keys create` before the
 * server starts), as on a server with owners.
 */
export async function benchLoad(): Promise<Record<string, unknown>> {
  const datasets = datasetsRoot();
  const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 120);
  const clients = Number(process.env.BENCH_LOAD_CLIENTS ?? 20);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-load-'));
  const port = 4400 + Math.floor(Math.random() * 500);
  const url = `http://127.0.0.1:${port}/graphql`;
  const env = { ...process.env, PORT: String(port), FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_IMPORT_ROOT: datasets };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'src/cli/facegraph-bin.mjs'), 'keys', 'create', '--owner', 'load'],
    { cwd: ROOT, env },
  );
  auth.authorization = `Bearer ${stdout.trim().split('\n').pop()}`;
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitFor(url);
    const albumId = (await gql(url, 'mutation { createAlbum(name: "load") { id } }')).createAlbum.id as string;
    const paths = await lfw10Paths();
    const batchId = (
      await gql(url, 'mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { id } }', { a: albumId, p: paths })
    ).ingestPaths.id;
    // Large batches may run as a job: wait until it is finished.
    let batch: any;
    for (;;) {
      batch = (await gql(url, 'query($b: ID!) { ingestBatch(id: $b) { status items { image { faces { id } } } } }', { b: batchId }))
        .ingestBatch;
      if (batch.status === 'DONE' || batch.status === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const faceIds: string[] = batch.items.flatMap((i: any) => i.image?.faces.map((f: any) => f.id) ?? []);
    const probes = await Promise.all(paths.slice(0, 20).map((p) => fs.readFile(path.join(datasets, p))));
    console.error(`  seeded ${faceIds.length} faces; ${clients} clients for ${seconds} s`);

    const latencies: Record<Op, number[]> = { similarFaces: [], facesPage: [], searchByPhoto: [], ingest: [] };
    let errors = 0;
    const errorSamples: string[] = [];
    const rss: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const sampler = setInterval(async () => rss.push(await rssMb(server)), 1000);
    let counter = 0;
    const client = async (c: number) => {
      let cursor: string | null = null;
      while (performance.now() < deadline) {
        const op = pick(Math.random());
        const t = performance.now();
        try {
          if (op === 'similarFaces') {
            await gql(url, 'query($f: ID!) { similarFaces(faceId: $f, limit: 10) { distance face { id } } }', {
              f: faceIds[Math.floor(Math.random() * faceIds.length)],
            });
          } else if (op === 'facesPage') {
            const r: any = await gql(
              url,
              'query($a: ID!, $c: String) { faces(albumId: $a, first: 20, after: $c) { edges { node { id box { x y width height } } } pageInfo { hasNextPage endCursor } } }',
              { a: albumId, c: cursor },
            );
            cursor = r.faces.pageInfo.hasNextPage ? r.faces.pageInfo.endCursor : null;
          } else if (op === 'searchByPhoto') {
            await upload(
              url,
              'query($f: Upload!) { searchByPhoto(file: $f, limit: 5) { matches { distance } } }',
              'f',
              probes[c % probes.length],
              true,
            );
          } else {
            // New bytes each time (re-encoded), so every ingest runs the whole pipeline.
            const bytes = await sharp(probes[(c + counter++) % probes.length])
              .jpeg({ quality: 70 + (counter % 25) })
              .resize(240 + (counter % 10))
              .toBuffer();
            await upload(url, `mutation($f: [Upload!]!) { ingestImages(albumId: "${albumId}", files: $f) { failed } }`, 'f', bytes, false);
          }
          latencies[op].push(performance.now() - t);
        } catch (err) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`${op}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    clearInterval(sampler);
    const elapsed = (performance.now() - started) / 1000;
    const minute = Math.min(60, Math.floor(rss.length / 2));
    return {
      seconds: elapsed,
      clients,
      authenticated: true,
      errors,
      errorSamples,
      rssMbMinute1: median(rss.slice(Math.max(0, minute - 5), minute)),
      rssMbMinute2: median(rss.slice(-5)),
      operations: Object.fromEntries(
        Object.entries(latencies).map(([op, xs]) => [
          op,
          { count: xs.length, perSec: xs.length / elapsed, p50Ms: median(xs), p95Ms: percentile(xs, 95), p99Ms: percentile(xs, 99) },
        ]),
      ),
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** The API key every request sends. */
const auth: Record<string, string> = {};

function pick(r: number): Op {
  for (const [op, w] of MIX) {
    if (r < w) return op;
    r -= w;
  }
  return 'similarFaces';
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

async function upload(url: string, query: string, name: string, bytes: Uint8Array, single: boolean): Promise<any> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { [name]: single ? null : [null] } }));
  form.append('map', JSON.stringify({ 0: [single ? `variables.${name}` : `variables.${name}.0`] }));
  form.append('0', new Blob([bytes]), 'photo.jpg');
  const res = await fetch(url, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true', ...auth } });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

async function waitFor(url: string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(new URL('/healthz', url))).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('server did not start');
}

async function rssMb(child: ChildProcess): Promise<number> {
  const status = await fs.readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}
