import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';
import { astronautPhotos, folderWith, startTestServer, usingPostgres, type TestServer } from '../helpers/harness.js';
import { subscribe, within, wsClient } from '../helpers/subscription-client.js';
import { WorkerProcess, workerEnv } from '../support/worker-process.js';

// Events that cross processes: a `facegraph worker` process stores the photos, the API process (which runs
// no workers) holds the subscriptions and hears of them through PostgreSQL's LISTEN/NOTIFY.

const SKIP = usingPostgres() ? false : "needs PostgreSQL: set DATABASE_URL (runs in CI's PostgreSQL pass)";

describe('subscriptions fed by a worker in another process (PostgreSQL)', { skip: SKIP }, () => {
  let server: TestServer | undefined;
  let worker: WorkerProcess | undefined;
  after(async () => {
    worker?.kill('SIGKILL');
    await server?.destroy();
  });

  test('ingestBatchProgress and albumEvents follow a batch that another process ingests', async () => {
    // Four photos of the astronaut, under an import root the worker reads too.
    const photos = await astronautPhotos(4);
    const root = await folderWith(Object.fromEntries(photos.map((p) => [`astronaut/${p.name}`, p.bytes])));
    server = await startTestServer({ FACEGRAPH_WORKERS: '0', FACEGRAPH_IMPORT_ROOT: root });
    const { services } = server.facegraph;
    const album = await services.albums.create(LOCAL_OWNER.id, 'elsewhere');
    const paths = photos.map((p) => `astronaut/${p.name}`);
    const batch = await services.ingest.enqueuePaths(LOCAL_OWNER.id, album.id, paths);
    assert.equal(batch.status, 'QUEUED');

    // Single-user server: no key needed.
    const client = wsClient(server.url);
    try {
      const events = subscribe(
        client,
        `subscription($a: ID!) { albumEvents(albumId: $a) { kind faceCount image { fileName } newPeople } }`,
        { a: String(album.id) },
      );
      const progress = subscribe(
        client,
        `subscription($id: ID!) { ingestBatchProgress(id: $id) { batch { status done total } finishedItems { fileName } } }`,
        { id: String(batch.id) },
      );
      await within(progress.first, 30_000, 'first progress');
      assert.equal(progress.values[0].data?.ingestBatchProgress.batch.status, 'QUEUED');
      await new Promise((r) => setTimeout(r, 300));

      worker = await WorkerProcess.start(workerEnv(server.config, { FACEGRAPH_IMPORT_ROOT: root }), 'elsewhere');
      assert.equal(await within(progress.ended, 180_000, 'progress to end'), 'complete');
      const steps = progress.values.map((v) => v.data!.ingestBatchProgress);
      assert.deepEqual(steps[steps.length - 1].batch, { status: 'DONE', done: 4, total: 4 });
      assert.ok(steps.length >= 3, `changes were sent as they happened: ${JSON.stringify(steps)}`);
      const files = steps.flatMap((s) => s.finishedItems.map((i: { fileName: string }) => i.fileName)).sort();
      assert.deepEqual(files, paths.map((p) => p.split('/').pop()).sort());

      const deadline = Date.now() + 60_000;
      while (!events.values.some((v) => v.data?.albumEvents.kind === 'PEOPLE_CHANGED')) {
        assert.ok(Date.now() < deadline, `no PEOPLE_CHANGED: ${JSON.stringify(events.values)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const stored = events.values.filter((v) => v.data?.albumEvents.kind === 'PHOTO_STORED');
      assert.equal(stored.length, 4);
      assert.ok(stored.every((v) => v.data.albumEvents.faceCount === 1 && v.data.albumEvents.image.fileName.startsWith('astronaut-')));
    } finally {
      await client.dispose();
    }
    await worker.stop();
  });
});
