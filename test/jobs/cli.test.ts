import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.js';
import { gql } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, startTestServer, usingPostgres } from '../helpers/harness.js';
import { CLI, REPO } from '../support/worker-process.js';

// `facegraph` as a user runs it: a real process, on the embedded PGlite (with the
// default ONNX engine), or against a running server with --server.

/** Six photos of one face each: five of the astronaut (one person), then the cameraman. */
const PHOTOS = [
  'astronaut/astronaut-001.jpg',
  'astronaut/astronaut-002.jpg',
  'astronaut/astronaut-003.jpg',
  'astronaut/astronaut-004.jpg',
  'astronaut/astronaut-005.jpg',
  'camera/camera.png',
];

let photoDir: string;
let dataDir: string;

before(async () => {
  photoDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-cli-photos-'));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-cli-data-'));
  await fs.mkdir(path.join(photoDir, 'astronaut'));
  for (const p of await astronautPhotos(5)) await fs.writeFile(path.join(photoDir, 'astronaut', p.name), p.bytes);
  await fs.mkdir(path.join(photoDir, 'camera'));
  await fs.copyFile(path.join(ONEFACE_DIR, 'camera.png'), path.join(photoDir, 'camera/camera.png'));
  assert.deepEqual((await fs.readdir(photoDir, { recursive: true })).filter((f) => /\.(jpg|png)$/.test(f)).sort(), PHOTOS);
  await fs.writeFile(path.join(photoDir, 'notes.txt'), 'not a photo, not even looked at');
});
after(async () => {
  await fs.rm(photoDir, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the CLI; `onOutput` may interrupt it (it gets the child and the stderr so far). */
function cli(args: string[], onStderr?: (err: string, interrupt: () => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      // Embedded PGlite in a data folder of its own, whatever database the suite runs on.
      env: { ...process.env, DATABASE_URL: '', FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_ENGINE: 'onnx', FACEGRAPH_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      onStderr?.(err, () => child.kill('SIGINT'));
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

async function countImages(): Promise<{ images: number; shas: number; batches: string[] }> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    const images = await sql<{
      images: number;
      shas: number;
    }>`SELECT count(*)::int AS images, count(DISTINCT sha256)::int AS shas FROM images`.execute(database.db);
    const batches = await database.db.selectFrom('ingest_batches').select('status').orderBy('id').execute();
    return { ...images.rows[0], batches: batches.map((b) => b.status) };
  } finally {
    await database.close();
  }
}

// Embedded means PGlite here, so once is enough: skipped in the PostgreSQL pass.
describe('facegraph ingest (embedded)', { skip: usingPostgres() ? 'embedded PGlite: runs in the PGlite pass' : false }, () => {
  test('Ctrl-C stops cleanly after the current photo; running it again resumes without duplicates', async () => {
    let interrupted = false;
    const first = await cli(['ingest', photoDir, '--album', 'cli', '--progress', 'lines', '--interval', '0.2'], (err, interrupt) => {
      const m = /ingest: (\d+)\/6 photos/g;
      let done = 0;
      for (const match of err.matchAll(m)) done = Number(match[1]);
      if (!interrupted && done >= 2) {
        interrupted = true;
        interrupt();
      }
    });
    assert.ok(interrupted, `never saw two photos done:\n${first.err}`);
    assert.equal(first.code, 130, first.err);
    assert.match(first.err, /stopping after the current photo/);
    const stopped = /stopped after (\d+) of 6 photos \((\d+) not started\)/.exec(first.err);
    assert.ok(stopped, first.err);
    const doneFirst = Number(stopped[1]);
    assert.equal(doneFirst + Number(stopped[2]), 6);
    const afterStop = await countImages();
    assert.equal(afterStop.images, doneFirst);
    assert.deepEqual(afterStop.batches, ['FAILED'], 'the interrupted batch is closed, its photos not started marked CANCELLED');

    const second = await cli(['ingest', photoDir, '--album', 'cli', '--progress', 'lines']);
    assert.equal(second.code, 0, second.err);
    const summary = /(\d+) stored, (\d+) already in the album, (\d+) failed; (\d+) faces found/.exec(second.err);
    assert.ok(summary, second.err);
    assert.deepEqual(summary.slice(1, 4).map(Number), [6 - doneFirst, doneFirst, 0]);
    assert.equal(Number(summary[4]), 6 - doneFirst, 'one face per new photo');
    assert.match(second.err, /ingest: 6\/6 photos \(0 failed\)/, 'a plain final progress line off a terminal');
    const final = await countImages();
    assert.deepEqual(final, { images: 6, shas: 6, batches: ['FAILED', 'DONE'] });
  });

  test('similar FACE_ID prints the nearest faces; cluster says what it can do', async () => {
    const similar = await cli(['similar', '1', '--limit', '3']);
    assert.equal(similar.code, 0, similar.err);
    const lines = similar.out.trim().split('\n');
    assert.deepEqual(lines[0].split('\t'), ['distance', 'face', 'image', 'file']);
    assert.equal(lines.length, 4);
    // Face 1 is the astronaut's first photo: her other photos come first.
    for (const line of lines.slice(1)) assert.match(line, /\tastronaut\/astronaut-00[2-5]\.jpg$/);

    const cluster = await cli(['cluster', '--album', 'cli']);
    if (cluster.code === 2) assert.match(cluster.err, /clustering is not available/);
    else assert.equal(cluster.code, 0, cluster.err);
    const bad = await cli(['similar', 'abc']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /FACE_ID must be a numeric id/);
  });
});

describe('facegraph ingest --server', () => {
  test('uploads in batches to a running server and follows them to the end; a re-run adds nothing', async () => {
    const server = await startTestServer();
    try {
      const args = [
        'ingest',
        photoDir,
        '--album',
        'remote',
        '--server',
        server.url.replace(/\/graphql$/, ''),
        '--batch-size',
        '4',
        '--progress',
        'lines',
      ];
      const run = await cli(args);
      assert.equal(run.code, 0, run.err);
      assert.match(run.err, /6 stored or already there, 0 failed; 6 new faces/);
      const again = await cli(args);
      assert.equal(again.code, 0, again.err);
      assert.match(again.err, /0 new faces/);
      const albums = await gql(
        server.url,
        `{ albums(first: 10) { edges { node { name imageCount faceCount ingestBatches { status total } } } } }`,
      );
      const remote = albums.data.albums.edges.map((e: any) => e.node).find((a: any) => a.name === 'remote');
      assert.equal(remote.imageCount, 6);
      assert.equal(remote.faceCount, 6);
      assert.deepEqual(remote.ingestBatches.map((b: any) => `${b.status} ${b.total}`).sort(), ['DONE 2', 'DONE 2', 'DONE 4', 'DONE 4']);
    } finally {
      await server.destroy();
    }
  });

  test('batches that come back QUEUED are followed live through the ingestBatchProgress subscription', async () => {
    const server = await startTestServer({ FACEGRAPH_INGEST_WAIT_SECONDS: '0' });
    try {
      const args = [
        'ingest',
        photoDir,
        '--album',
        'live',
        '--server',
        server.url.replace(/\/graphql$/, ''),
        '--batch-size',
        '3',
        '--progress',
        'lines',
      ];
      const run = await cli(args);
      assert.equal(run.code, 0, run.err);
      assert.doesNotMatch(run.err, /polling instead/);
      assert.match(run.err, /6 stored or already there, 0 failed; 6 new faces/);
    } finally {
      await server.destroy();
    }
  });
});
