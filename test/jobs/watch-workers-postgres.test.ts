import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { gql } from '../helpers/graphql-client.js';
import { astronautPhotos, folderWith, startTestServer, usingPostgres, type TestServer } from '../helpers/harness.js';
import { WorkerProcess, workerEnv } from '../support/worker-process.js';

/**
 * A watched folder on PostgreSQL with `facegraph worker`s (issue 36, item 2): an API process that runs no
 * workers, two worker processes; the folder is scanned and watched by exactly one of them (its lease), the
 * photos analysed by both; when that worker is killed, the other takes the folder over, scans it again and
 * follows its changes.
 */
const SKIP = usingPostgres() ? false : "needs PostgreSQL: set DATABASE_URL (runs in CI's PostgreSQL pass)";

describe('watched folders with workers on PostgreSQL', { skip: SKIP }, () => {
  let api: TestServer;
  const workers: WorkerProcess[] = [];
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api?.destroy();
  });

  test('one watcher a folder across processes; a killed watcher is taken over', async () => {
    const made = await astronautPhotos(4);
    const root = await folderWith(Object.fromEntries(made.slice(0, 3).map((p) => [`w/${p.name}`, p.bytes])));
    api = await startTestServer({ FACEGRAPH_WORKERS: '0', FACEGRAPH_IMPORT_ROOT: root });
    const env = workerEnv({ databaseUrl: api.config.databaseUrl, dataDir: api.dataDir }, { FACEGRAPH_IMPORT_ROOT: root });
    workers.push(...(await Promise.all(['w1', 'w2'].map((n) => WorkerProcess.start(env, n)))));
    const album = (await gql(api.url, `mutation { createAlbum(name: "w") { id } }`)).data.createAlbum.id;
    const watched = await gql(api.url, `mutation($a: ID!) { watchFolder(albumId: $a, path: "w") { id } }`, { a: album });
    assert.equal(watched.errors, undefined, JSON.stringify(watched.errors));
    const { db } = api.facegraph.database;
    const row = () => db.selectFrom('watched_folders').select(['scan', 'state', 'lease_holder']).executeTakeFirstOrThrow();
    const count = async () => (await gql(api.url, `query($a: ID!) { album(id: $a) { imageCount } }`, { a: album })).data.album.imageCount;

    let deadline = Date.now() + 120_000;
    while ((await row()).state !== 'WATCHING' || (await count()) !== 3) {
      assert.ok(Date.now() < deadline, `not indexed: ${JSON.stringify(await row())}`);
      await sleep(250);
    }
    const first = await row();
    assert.equal(first.scan, 1, 'scanned once: by one process');
    const holder = workers.find((w) => first.lease_holder?.includes(`:${w.child.pid}:`));
    assert.ok(holder, `held by a worker: ${first.lease_holder}`);

    holder.kill('SIGKILL');
    // The lease (30 s) runs out, the other worker claims the folder and scans it again.
    deadline = Date.now() + 90_000;
    while ((await row()).scan < 2 || (await row()).state !== 'WATCHING') {
      assert.ok(Date.now() < deadline, `not taken over: ${JSON.stringify(await row())}`);
      await sleep(500);
    }
    const other = workers.find((w) => w !== holder)!;
    assert.match((await row()).lease_holder ?? '', new RegExp(`:${other.child.pid}:`));
    await fs.writeFile(path.join(root, 'w', made[3].name), made[3].bytes);
    deadline = Date.now() + 30_000;
    while ((await count()) !== 4) {
      assert.ok(Date.now() < deadline, 'the new watcher follows changes');
      await sleep(250);
    }
    await other.stop();
  });
});
