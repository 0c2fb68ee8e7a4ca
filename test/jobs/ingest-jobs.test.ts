import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { buildFacegraphSchema } from '../../src/graphql/schema.js';
import { jobHandlers } from '../../src/jobs/job-handlers.js';
import { JobWorkers } from '../../src/jobs/job-workers.js';
import { startHttpServer, startOpsServer } from '../../src/server/app.js';
import { assertConsistent } from '../helpers/consistency.js';
import { fileFromPath, gql, gqlUpload, type UploadFile } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, startTestServer, type TestServer } from '../helpers/harness.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';

// Ingestion through the durable queue, on whichever database the suite runs on
// (PGlite's in-process queue by default, pg-boss with DATABASE_URL).

/** Four photos of one face each (three of the astronaut, the cameraman), and a fifth of the astronaut's kept back. */
let PHOTOS: UploadFile[] = [];
let fifth: UploadFile;
const INGEST = `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { id status total done failed } }`;
const BATCH = `query($id: ID!) { ingestBatch(id: $id) { id status total done failed items { fileName error { code message } image { id faces { id } } } } }`;

let server: TestServer;

before(async () => {
  const astronaut = await astronautPhotos(4);
  PHOTOS = [...astronaut.slice(0, 3), await fileFromPath(path.join(ONEFACE_DIR, 'camera.png'))];
  fifth = astronaut[3];
  // Mutations return at once: the batch is followed with ingestBatch(id), as a client of a big album would.
  // One job consumer: the order test below relies on one worker taking a batch's jobs in order.
  server = await startTestServer({ FACEGRAPH_INGEST_WAIT_SECONDS: '0', FACEGRAPH_JOB_POLL_SECONDS: '0.5', FACEGRAPH_WORKERS: '1' });
});
after(async () => server?.destroy());

async function createAlbum(name: string): Promise<string> {
  return (await gql(server.url, 'mutation($n: String!) { createAlbum(name: $n) { id } }', { n: name })).data.createAlbum.id;
}

async function waitForBatch(id: string, timeoutMs = 600_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await gql(server.url, BATCH, { id }).catch(() => gql(server.url, BATCH, { id }));
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const batch = r.data.ingestBatch;
    if (batch.status === 'DONE' || batch.status === 'FAILED') return batch;
    assert.ok(Date.now() < deadline, `batch ${id} still ${batch.status} (${batch.done}/${batch.total})`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const spoolFiles = () => fs.readdir(path.join(server.dataDir, 'spool')).catch(() => [] as string[]);

describe('ingestImages as durable jobs', () => {
  let albumId: string;
  let batchId: string;

  test('returns the batch at once, QUEUED; workers fill the items in; the spool is emptied', async () => {
    albumId = await createAlbum('jobs');
    const corrupt = { name: 'corrupt.jpg', bytes: PHOTOS[0].bytes.subarray(0, 500) };
    const r = await gqlUpload(server.url, INGEST, { a: albumId }, 'f', [...PHOTOS, corrupt]);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const queued = r.data.ingestImages;
    assert.equal(queued.total, 5);
    assert.ok(['QUEUED', 'RUNNING'].includes(queued.status), queued.status);
    assert.ok(queued.done + queued.failed < 5, 'returned before the photos were processed');
    batchId = queued.id;

    const batch = await waitForBatch(batchId);
    assert.equal(batch.status, 'DONE', 'a bad file is an outcome, not a failed batch');
    assert.equal(batch.done, 4);
    assert.equal(batch.failed, 1);
    assert.deepEqual(
      batch.items.map((i: any) => i.fileName),
      [...PHOTOS.map((p) => p.name), 'corrupt.jpg'],
    );
    for (const item of batch.items.slice(0, 4)) assert.equal(item.image.faces.length, 1, item.fileName);
    assert.equal(batch.items[4].error.code, 'UNSUPPORTED_IMAGE');
    // Images were stored in request order (one worker takes a batch's jobs in order).
    const ids = batch.items.slice(0, 4).map((i: any) => Number(i.image.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );

    const album = await gql(
      server.url,
      `query($id: ID!) { album(id: $id) { imageCount faceCount ingestBatches { id status done failed } } }`,
      { id: albumId },
    );
    assert.deepEqual(album.data.album.ingestBatches, [{ id: batchId, status: 'DONE', done: 4, failed: 1 }]);
    assert.equal(album.data.album.imageCount, 4);
    assert.deepEqual(await spoolFiles(), []);
    await assertConsistent(server);
  });

  test('a job run again (a retry after a crash) changes nothing', async () => {
    const ingest = server.facegraph.services.ingest;
    const before = await gql(server.url, BATCH, { id: batchId });
    for (let position = 0; position < 5; position++) assert.equal(await ingest.processItem(Number(batchId), position), 'skipped');
    assert.deepEqual((await gql(server.url, BATCH, { id: batchId })).data, before.data);

    // A worker that died after storing the photo but before recording its item:
    // the retry finds the image by its hash and records the item once.
    const bytes = fifth.bytes;
    const staged = path.join(server.dataDir, 'crash.upload');
    await fs.writeFile(staged, bytes);
    await server.facegraph.workers.stop();
    try {
      const batch = await ingest.enqueueUploads(LOCAL_OWNER.id, Number(albumId), [{ fileName: 'crash.jpg', path: staged }]);
      const stored = await ingest.ingestOne(Number(albumId), { fileName: 'crash.jpg', read: async () => bytes });
      assert.equal(stored.created, true);
      assert.equal(await ingest.processItem(batch.id, 0), 'success');
      assert.equal(await ingest.processItem(batch.id, 0), 'skipped');
      const after = await gql(server.url, BATCH, { id: String(batch.id) });
      assert.equal(after.data.ingestBatch.status, 'DONE');
      assert.equal(after.data.ingestBatch.done, 1);
      assert.equal(after.data.ingestBatch.items[0].image.id, String(stored.image.id));
      const count = await gql(server.url, `query($id: ID!) { album(id: $id) { imageCount faceCount } }`, { id: albumId });
      assert.deepEqual(count.data.album, { imageCount: 5, faceCount: 5 });
    } finally {
      // The server's own workers are stopped for good; later tests run their own.
    }
    assert.deepEqual(await spoolFiles(), []);
    await assertConsistent(server);
  });

  test('a photo whose job keeps failing is dead-lettered: its item gets an error and the batch is FAILED', async () => {
    const fg = server.facegraph;
    const staged = path.join(server.dataDir, 'lost.upload');
    await fs.writeFile(staged, PHOTOS[0].bytes);
    const batch = await fg.services.ingest.enqueueUploads(LOCAL_OWNER.id, Number(albumId), [{ fileName: 'lost.jpg', path: staged }]);
    // The spooled file vanishes (say, a worker host without the shared data folder): not the photo's fault, so retried, then given up.
    for (const f of await spoolFiles()) await fs.rm(path.join(server.dataDir, 'spool', f));
    const workers = new JobWorkers(fg.queue, jobHandlers(fg.services.ingest, fg.services.reencode), { concurrency: 1, pollSeconds: 0.2 });
    workers.start();
    try {
      const deadline = Date.now() + 120_000;
      let done: any;
      while (Date.now() < deadline) {
        // Skip the retry backoff.
        if (fg.database.kind === 'pglite') await sql`UPDATE local_jobs SET run_after = now() WHERE state = 'retry'`.execute(fg.database.db);
        else await sql`UPDATE pgboss.job SET start_after = now() WHERE state = 'retry'`.execute(fg.database.db);
        done = (await gql(server.url, BATCH, { id: String(batch.id) })).data.ingestBatch;
        if (done.status === 'FAILED' || done.status === 'DONE') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(done.status, 'FAILED');
      assert.equal(done.items[0].error.code, 'INTERNAL_SERVER_ERROR');
      assert.match(done.items[0].error.message, /gave up after retries.*not readable here/);
      assert.equal(workers.stats['ingest-photo']?.error, fg.config.jobs.retries + 1, 'every attempt ran');
    } finally {
      await workers.stop();
    }
  });

  test('reencodeFaces re-embeds faces of another model, and measures faces stored without a P(male), keeping their ids', async () => {
    const fg = server.facegraph;
    const { db } = fg.database;
    const original = await sql<{
      id: number;
      embedding: string;
      model: string;
      male_probability: number;
    }>`SELECT id, embedding::text AS embedding, model, male_probability FROM faces WHERE album_id = ${Number(albumId)} ORDER BY id`.execute(
      db,
    );
    assert.equal(original.rows.length, 5);
    const flat = `[${Array(128)
      .fill((1 / Math.sqrt(128)).toFixed(6))
      .join(',')}]`;
    const stale = original.rows.slice(0, 3).map((r) => r.id);
    await sql`UPDATE faces SET model = 'an-older-model', embedding = ${flat}::vector WHERE id IN (${sql.join(stale)})`.execute(db);
    // Stored by this model before faces carried a P(male).
    await sql`UPDATE faces SET male_probability = NULL WHERE id = ${original.rows[3].id}`.execute(db);

    const r = await gql(server.url, `mutation($a: ID) { reencodeFaces(albumId: $a) }`, { a: albumId });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.reencodeFaces, 4);
    const workers = new JobWorkers(fg.queue, jobHandlers(fg.services.ingest, fg.services.reencode), { concurrency: 1, pollSeconds: 0.2 });
    workers.start();
    try {
      const deadline = Date.now() + 300_000;
      for (;;) {
        const left = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM faces WHERE model <> ${fg.analyzer.model} OR male_probability IS NULL`.execute(db);
        if (left.rows[0].n === 0) break;
        assert.ok(Date.now() < deadline, 're-encode did not finish');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await workers.stop();
    }
    const now = await sql<{
      id: number;
      embedding: string;
      model: string;
      male_probability: number;
    }>`SELECT id, embedding::text AS embedding, model, male_probability FROM faces WHERE album_id = ${Number(albumId)} ORDER BY id`.execute(
      db,
    );
    assert.deepEqual(
      now.rows.map((f) => f.id),
      original.rows.map((f) => f.id),
      'same face ids',
    );
    for (const [i, face] of now.rows.entries()) {
      assert.equal(face.model, fg.analyzer.model);
      const a = JSON.parse(face.embedding) as number[];
      const b = JSON.parse(original.rows[i].embedding) as number[];
      const cos = a.reduce((s, v, k) => s + v * b[k], 0);
      assert.ok(cos > 0.999, `face ${face.id}: re-encoded embedding matches the original (cos ${cos})`);
      assert.ok(Math.abs(face.male_probability - original.rows[i].male_probability) < 1e-3, `face ${face.id}: P(male) measured again`);
    }
    assert.equal((await gql(server.url, `mutation { reencodeFaces }`)).data.reencodeFaces, 0);
  });
});

describe('operations endpoints', () => {
  test('/healthz checks the database; /metrics reports photos, faces, jobs, queue depth and stage timings', async () => {
    const fg = server.facegraph;
    const http = await startHttpServer(await buildFacegraphSchema(), fg.services, fg.config, {
      checkDatabase: fg.checkDatabase,
      metrics: fg.metrics,
    });
    const down = await startOpsServer({ checkDatabase: () => Promise.reject(new Error('connection refused')) }, 0, '127.0.0.1');
    try {
      const health = await fetch(new URL('/healthz', http.url));
      assert.equal(health.status, 200);
      const body = (await health.json()) as any;
      assert.deepEqual([body.status, body.database], ['ok', 'ok']);
      assert.ok(body.storage.freeBytes > 0, "the data folder's free space");
      const unhealthy = await fetch(`${down.url}/healthz`);
      assert.equal(unhealthy.status, 503);
      assert.equal(((await unhealthy.json()) as any).database, 'unreachable');

      const res = await fetch(new URL('/metrics', http.url));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      const text = await res.text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1]);
      assert.equal(value(/^facegraph_photos_ingested_total\{result="created"\} (\d+)/m), 5);
      assert.ok(value(/^facegraph_photos_ingested_total\{result="failed"\} (\d+)/m) >= 2);
      assert.equal(value(/^facegraph_faces_found_total (\d+)/m), 5);
      assert.ok(value(/^facegraph_job_duration_seconds_count\{queue="ingest-photo",outcome="success"\} (\d+)/m) >= 4);
      assert.match(text, /^facegraph_queue_depth\{queue="ingest-photo"\} 0$/m);
      for (const stage of ['decode', 'detect', 'landmarks', 'encode']) {
        assert.ok(value(new RegExp(`^facegraph_inference_stage_seconds_count\\{stage="${stage}"\\} (\\d+)`, 'm')) >= 5, stage);
      }
    } finally {
      await http.stop();
      await down.stop();
    }
  });
});
