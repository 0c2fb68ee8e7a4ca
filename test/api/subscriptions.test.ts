import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jobHandlers } from '../../src/jobs/job-handlers.js';
import { JobWorkers } from '../../src/jobs/job-workers.js';
import { gql } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, folderWith, startTestServer, type TestServer } from '../helpers/harness.js';
import { subscribe, within, wsClient, type Received } from '../helpers/subscription-client.js';

/**
 * GraphQL subscriptions over a real WebSocket (graphql-ws) on a real server, with
 * API keys on. The server only enqueues (FACEGRAPH_WORKERS=0); each test starts
 * the job consumers once its subscriptions are in place, so that they see the
 * batch run. On PGlite, and on PostgreSQL with DATABASE_URL (events then make the
 * round trip through NOTIFY); test/jobs/subscription-workers.test.ts has a worker
 * in another process.
 */
let server: TestServer;
let alice: string;
let bob: string;

const PROGRESS = `subscription($id: ID!) {
  ingestBatchProgress(id: $id) { batch { id status total done failed } finishedItems { fileName image { id } error { code } } }
}`;
const ALBUM_EVENTS = `subscription($a: ID!) { albumEvents(albumId: $a) { kind albumId batchId faceCount image { id } newPeople facesPlaced } }`;

/** Under the import root: three photos of the astronaut (one person), and the cameraman (another). */
const ASTRONAUT = ['astronaut/astronaut-001.jpg', 'astronaut/astronaut-002.jpg', 'astronaut/astronaut-003.jpg'];
const CAMERAMAN = 'camera.png';

async function createAlbum(key: string, name: string): Promise<string> {
  const r = await gql(
    server.url,
    `mutation($n: String!) { createAlbum(name: $n) { id } }`,
    { n: name },
    { authorization: `Bearer ${key}` },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.createAlbum.id;
}

async function enqueue(key: string, album: string, paths: string[]): Promise<string> {
  const r = await gql(
    server.url,
    `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { id status } }`,
    { a: album, p: paths },
    { authorization: `Bearer ${key}` },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestPaths.status, 'QUEUED', 'nothing consumes jobs yet');
  return r.data.ingestPaths.id;
}

/** Consumes the queued jobs in this process until stopped. */
function startWorkers(): JobWorkers {
  const fg = server.facegraph;
  const workers = new JobWorkers(fg.queue, jobHandlers(fg.services.ingest, fg.services.reencode), { concurrency: 1, pollSeconds: 0.2 });
  workers.start();
  return workers;
}

const last = (r: Received) => r.values[r.values.length - 1]?.data?.ingestBatchProgress;

before(async () => {
  const root = await folderWith({
    ...Object.fromEntries((await astronautPhotos(3)).map((p) => [`astronaut/${p.name}`, p.bytes])),
    [CAMERAMAN]: path.join(ONEFACE_DIR, 'camera.png'),
  });
  server = await startTestServer({ FACEGRAPH_WORKERS: '0', FACEGRAPH_IMPORT_ROOT: root });
  alice = (await server.facegraph.services.keys.create('alice')).key;
  bob = (await server.facegraph.services.keys.create('bob')).key;
});
after(async () => {
  await server?.destroy();
});

describe('subscriptions over graphql-ws', () => {
  test('ingestBatchProgress: the batch now, then every change in order, ending DONE; albumEvents: photos stored, people changed', async () => {
    const album = await createAlbum(alice, 'live');
    const batchId = await enqueue(alice, album, [...ASTRONAUT, CAMERAMAN]);
    const client = wsClient(server.url, { authorization: `Bearer ${alice}` });
    try {
      const events = subscribe(client, ALBUM_EVENTS, { a: album });
      const progress = subscribe(client, PROGRESS, { id: batchId });
      await within(progress.first, 30_000, 'first progress');
      assert.deepEqual(progress.values[0].data?.ingestBatchProgress.batch, { id: batchId, status: 'QUEUED', total: 4, done: 0, failed: 0 });
      // The album subscription was sent first on the same socket; give it a moment to be in place.
      await new Promise((r) => setTimeout(r, 300));
      const workers = startWorkers();
      try {
        assert.equal(await within(progress.ended, 120_000, 'progress to end'), 'complete');
      } finally {
        await workers.stop();
      }
      const steps = progress.values.map((v) => {
        assert.equal(v.errors, undefined, JSON.stringify(v.errors));
        return v.data!.ingestBatchProgress;
      });
      assert.deepEqual(last(progress).batch, { id: batchId, status: 'DONE', total: 4, done: 4, failed: 0 });
      for (let i = 1; i < steps.length; i++) {
        assert.ok(steps[i].batch.done >= steps[i - 1].batch.done, 'counts never go back');
      }
      assert.ok(
        steps.some((s) => s.batch.status === 'RUNNING'),
        'RUNNING was sent',
      );
      const finished = steps.flatMap((s) => s.finishedItems);
      assert.deepEqual(finished.map((i) => i.fileName).sort(), [
        'astronaut-001.jpg',
        'astronaut-002.jpg',
        'astronaut-003.jpg',
        'camera.png',
      ]);
      for (const item of finished) assert.ok(item.image?.id, `${item.fileName} has its image`);

      // Clustering runs after the batch: three photos of one woman make a person.
      const deadline = Date.now() + 60_000;
      while (!events.values.some((v) => v.data?.albumEvents.kind === 'PEOPLE_CHANGED')) {
        assert.ok(Date.now() < deadline, `no PEOPLE_CHANGED: ${JSON.stringify(events.values)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const stored = events.values.map((v) => v.data!.albumEvents).filter((e) => e.kind === 'PHOTO_STORED');
      assert.equal(stored.length, 4, JSON.stringify(events.values));
      for (const e of stored) {
        assert.deepEqual([e.albumId, e.batchId, e.faceCount], [album, batchId, 1]);
        assert.ok(e.image.id);
      }
      const people = events.values.map((v) => v.data!.albumEvents).find((e) => e.kind === 'PEOPLE_CHANGED');
      assert.equal(people.newPeople, 1);
      assert.ok(people.facesPlaced >= 3);
    } finally {
      await client.dispose();
    }
  });

  test('a finished batch: one message, DONE, and the end', async () => {
    const album = await createAlbum(alice, 'finished');
    const batchId = await enqueue(alice, album, [CAMERAMAN]);
    const workers = startWorkers();
    try {
      await server.facegraph.services.ingest.waitForBatch(Number(batchId), 120);
    } finally {
      await workers.stop();
    }
    const client = wsClient(server.url, { authorization: `Bearer ${alice}` });
    try {
      const progress = subscribe(client, PROGRESS, { id: batchId });
      assert.equal(await within(progress.ended, 30_000, 'progress to end'), 'complete');
      assert.equal(progress.values.length, 1);
      assert.equal(last(progress).batch.status, 'DONE');
      assert.deepEqual(
        last(progress).finishedItems.map((i: any) => i.fileName),
        ['camera.png'],
      );
    } finally {
      await client.dispose();
    }
  });

  test("another owner's batch or album is NOT_FOUND, like a missing one, and sends nothing else", async () => {
    const album = await createAlbum(alice, 'private');
    const batchId = await enqueue(alice, album, [CAMERAMAN]);
    const client = wsClient(server.url, { authorization: `Bearer ${bob}` });
    try {
      for (const [query, variables] of [
        [PROGRESS, { id: batchId }],
        [PROGRESS, { id: '999999' }],
        [ALBUM_EVENTS, { a: album }],
      ] as const) {
        const r = subscribe(client, query, variables);
        await within(r.ended, 30_000, 'refusal');
        assert.equal(r.values.length, 1, JSON.stringify(r.values));
        assert.equal(r.values[0].data ?? null, null);
        assert.deepEqual(
          r.values[0].errors?.map((e) => e.extensions?.code),
          ['NOT_FOUND'],
        );
      }
      // Alice's batch runs meanwhile: Bob hears nothing of it.
      const watching = subscribe(client, PROGRESS, { id: batchId });
      await within(watching.ended, 30_000, 'refusal');
      const workers = startWorkers();
      try {
        await server.facegraph.services.ingest.waitForBatch(Number(batchId), 120);
      } finally {
        await workers.stop();
      }
      assert.equal(watching.values.length, 1);
    } finally {
      await client.dispose();
    }
  });

  test('without a key, or with a wrong one, the socket is closed with 4401', async () => {
    for (const params of [
      undefined,
      {},
      { authorization: 'Bearer fg_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { apiKey: 'nonsense' },
    ]) {
      const client = wsClient(server.url, params);
      try {
        const r = subscribe(client, PROGRESS, { id: '1' });
        assert.equal(await within(r.ended, 30_000, 'refusal'), 'error');
        assert.equal(r.closeCode, 4401, JSON.stringify(params));
        assert.equal(r.values.length, 0);
      } finally {
        await client.dispose();
      }
    }
    // The key as `apiKey` works as well as `authorization`.
    const client = wsClient(server.url, { apiKey: alice });
    try {
      const r = subscribe(client, PROGRESS, { id: '999999' });
      await within(r.ended, 30_000, 'answer');
      assert.deepEqual(
        r.values[0].errors?.map((e) => e.extensions?.code),
        ['NOT_FOUND'],
      );
    } finally {
      await client.dispose();
    }
  });

  test('a document that does not validate or parse is answered as over HTTP: a coded error with its message, no suggestion', async () => {
    const client = wsClient(server.url, { authorization: `Bearer ${alice}` });
    try {
      for (const [query, code, message] of [
        [
          `subscription($id: ID!) { ingestBatchProgress(id: $id) { nope } }`,
          'GRAPHQL_VALIDATION_FAILED',
          /^Cannot query field "nope" on type "IngestBatchProgress"\.$/,
        ],
        // A near miss: GraphQL would suggest the field, which HTTP hides (the schema stays unlisted without introspection).
        [
          `subscription($id: ID!) { ingestBatchProgress(id: $id) { batc { id } } }`,
          'GRAPHQL_VALIDATION_FAILED',
          /^Cannot query field "batc" on type "IngestBatchProgress"\. \[Suggestion hidden\]/,
        ],
        [
          `subscription { ingestBatchProgress { batch { id } } }`,
          'GRAPHQL_VALIDATION_FAILED',
          /^Field "ingestBatchProgress" argument "id" of type "ID!" is required, but it was not provided\.$/,
        ],
        // graphql-ws alone closed the whole socket (4500) on a syntax error.
        [
          `subscription($id: ID!) { ingestBatchProgress(id: $id) { `,
          'GRAPHQL_PARSE_FAILED',
          /^Syntax Error: Expected Name, found <EOF>\.$/,
        ],
      ] as const) {
        const r = subscribe(client, query, { id: '1' });
        assert.equal(await within(r.ended, 30_000, 'answer'), 'error', query);
        assert.equal(r.closeCode, undefined, 'answered on the socket, not by closing it');
        assert.deepEqual(r.values, []);
        assert.deepEqual(
          r.errors?.map((e) => e.extensions?.code),
          [code],
          JSON.stringify(r.errors),
        );
        assert.match(r.errors![0].message, message);
        assert.doesNotMatch(r.errors![0].message, /Did you mean/);
        // Word for word what HTTP answers.
        const http = await gql(server.url, query, { id: '1' }, { authorization: `Bearer ${alice}` });
        assert.deepEqual(
          r.errors!.map((e) => [e.message, e.locations, e.extensions?.code]),
          http.errors!.map((e: any) => [e.message, e.locations, e.extensions?.code]),
        );
      }
      // The socket still serves.
      const ok = subscribe(client, PROGRESS, { id: '999999' });
      await within(ok.ended, 30_000, 'answer');
      assert.deepEqual(
        ok.values[0].errors?.map((e) => e.extensions?.code),
        ['NOT_FOUND'],
      );
    } finally {
      await client.dispose();
    }
  });

  test('200 concurrent subscriptions on one server while a batch runs: every one ends with DONE', async () => {
    const album = await createAlbum(alice, 'crowd');
    const batchId = await enqueue(alice, album, [ASTRONAUT[0], CAMERAMAN]);
    const clients = Array.from({ length: 200 }, () => wsClient(server.url, { authorization: `Bearer ${alice}` }));
    try {
      const subs = clients.map((c) =>
        subscribe(c, `subscription($id: ID!) { ingestBatchProgress(id: $id) { batch { status done } } }`, { id: batchId }),
      );
      await within(Promise.all(subs.map((s) => s.first)), 60_000, 'first messages');
      const workers = startWorkers();
      try {
        await within(Promise.all(subs.map((s) => s.ended)), 120_000, 'all subscriptions to end');
      } finally {
        await workers.stop();
      }
      const endings = subs.map((s) => s.values[s.values.length - 1]?.data?.ingestBatchProgress.batch);
      const missing = endings.filter((b) => b?.status !== 'DONE' || b.done !== 2).length;
      assert.equal(missing, 0, `${missing} of 200 subscriptions missed the final DONE`);
      assert.ok(
        subs.every((s) => s.values[0].data?.ingestBatchProgress.batch.status === 'QUEUED'),
        'all were subscribed before it ran',
      );
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });
});
