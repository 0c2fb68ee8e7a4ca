import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { assertConsistent } from '../helpers/consistency.js';
import { fileFromPath, gqlUpload } from '../helpers/graphql-client.js';
import { astronautPhotos, folderWith, startTestServer, usingPostgres, type TestServer } from '../helpers/harness.js';
import { WorkerProcess, workerEnv } from '../support/worker-process.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';

// Scale-out and fault tolerance with real processes: `facegraph worker`s on the
// test PostgreSQL, an API process that only enqueues (FACEGRAPH_WORKERS=0).

const SKIP = usingPostgres() ? false : "needs PostgreSQL: set DATABASE_URL (runs in CI's PostgreSQL pass)";
/**
 * The import root the API and its workers read: 100 photos of one face each (`astronaut/astronaut-NNN.jpg`,
 * one person: which faces are whose does not matter here), made once per process.
 */
let photos: Promise<{ root: string; paths: string[] }> | undefined;
function album100(): Promise<{ root: string; paths: string[] }> {
  photos ??= astronautPhotos(100).then(async (made) => {
    const root = await folderWith(Object.fromEntries(made.map((p) => [`astronaut/${p.name}`, p.bytes])));
    return { root, paths: made.map((p) => `astronaut/${p.name}`).sort() };
  });
  return photos;
}
const photoPaths = async () => (await album100()).paths;

/** The API side: PostgreSQL, no workers, ingestPaths under the photos' folder; the same job settings as its workers. */
async function apiServer(jobs: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({ FACEGRAPH_WORKERS: '0', FACEGRAPH_IMPORT_ROOT: (await album100()).root, ...jobs });
}

const workerSettings = async () => ({ FACEGRAPH_IMPORT_ROOT: (await album100()).root, FACEGRAPH_JOB_RETRY_DELAY_SECONDS: '1' });

/** Polls the batch until it finishes; database errors (a restart) are waited out. */
async function waitForBatch(server: TestServer, id: number, timeoutMs: number, onProgress?: (done: number) => Promise<void>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const batch = await server.facegraph.services.ingest.getBatch(LOCAL_OWNER.id, id);
      if (batch.status === 'DONE' || batch.status === 'FAILED') return batch;
      await onProgress?.(batch.done + batch.failed);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    assert.ok(Date.now() < deadline, `batch ${id} did not finish in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every photo of the batch is in the album exactly once, with its faces once. */
async function assertExactlyOnce(server: TestServer, albumId: number, batchId: number, expected: number): Promise<void> {
  const { db } = server.facegraph.database;
  const batch = await server.facegraph.services.ingest.getBatch(LOCAL_OWNER.id, batchId);
  assert.equal(batch.status, 'DONE');
  assert.equal(batch.done, expected);
  assert.equal(batch.failed, 0);
  const items = await server.facegraph.services.ingest.batchItems(LOCAL_OWNER.id, batchId);
  assert.equal(items.length, expected);
  assert.equal(new Set(items.map((i) => i.image_id)).size, expected, 'every item has its own image');
  const images = await sql<{
    n: number;
    shas: number;
  }>`SELECT count(*)::int AS n, count(DISTINCT sha256)::int AS shas FROM images WHERE album_id = ${albumId}`.execute(db);
  assert.deepEqual(images.rows[0], { n: expected, shas: expected });
  // A face stored twice would share its image and box with another.
  const dupes = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM (SELECT image_id, box_x, box_y FROM faces WHERE album_id = ${albumId} GROUP BY 1, 2, 3 HAVING count(*) > 1) d`.execute(
    db,
  );
  assert.equal(dupes.rows[0].n, 0, 'no face stored twice');
  const facesPerImage = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM images i WHERE album_id = ${albumId} AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.image_id = i.id)`.execute(
    db,
  );
  assert.equal(facesPerImage.rows[0].n, 0, 'every photo has its face');
  await assertConsistent(server);
}

describe('workers on PostgreSQL (real processes)', { skip: SKIP }, () => {
  const workers: WorkerProcess[] = [];
  const servers: TestServer[] = [];
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    for (const s of servers) await s.destroy();
  });

  test('three workers ingest the 100-photo album: every photo processed exactly once, work shared, slow jobs keep their lease', async () => {
    // A 3 s lease, checked every second, and twenty consumers per process behind one serialised pipeline: each
    // process claims most of its ~33 photos at once and they wait their turn while claimed, so the later ones
    // stay active longer than their lease even on a quiet machine (with six consumers and 8 s they did only
    // when the machine was loaded; with 5 s, once the analysis threads warmed up before their first photo, the
    // longest took 4.6 s in one CI run). Renewed every 0.75 s by their live worker, none may be presumed dead
    // and run twice.
    const lease = 3;
    const jobs = { FACEGRAPH_JOB_LEASE_SECONDS: String(lease) };
    const server = await apiServer(jobs);
    servers.push(server);
    const env = workerEnv(server.config, { ...(await workerSettings()), ...jobs, FACEGRAPH_WORKERS: '20' });
    const three = await Promise.all(['a', 'b', 'c'].map((n) => WorkerProcess.start(env, n)));
    workers.push(...three);
    const album = await server.facegraph.services.albums.create(LOCAL_OWNER.id, '100 photos x3');
    const batch = await server.facegraph.services.ingest.enqueuePaths(LOCAL_OWNER.id, album.id, await photoPaths());
    assert.equal(batch.status, 'QUEUED', 'an API-only process returns at once');

    await waitForBatch(server, batch.id, 15 * 60_000);
    await assertExactlyOnce(server, album.id, batch.id, 100);

    const stats = await Promise.all(three.map((w) => w.stop()));
    const analysed = stats.map((s) => s['ingest-photo']?.success ?? 0);
    assert.equal(
      analysed.reduce((a, b) => a + b, 0),
      100,
      `each photo recorded once in all: ${analysed}`,
    );
    for (const n of analysed) assert.ok(n > 0, `every worker took a share: ${analysed}`);
    const rows = await sql<{ state: string; n: number; retried: number }>`
      SELECT state::text, count(*)::int AS n, count(*) FILTER (WHERE retry_count > 0)::int AS retried
      FROM pgboss.job WHERE name = 'ingest-photo' GROUP BY state`.execute(server.facegraph.database.db);
    const longest = await sql<{ s: number; over: number }>`
      SELECT max(extract(epoch FROM completed_on - started_on))::float AS s,
             count(*) FILTER (WHERE completed_on - started_on > make_interval(secs => ${lease}))::int AS over
      FROM pgboss.job WHERE name = 'ingest-photo'`.execute(server.facegraph.database.db);
    console.log(`# jobs that outlived their ${lease} s lease: ${longest.rows[0].over}, longest ${longest.rows[0].s.toFixed(1)} s`);
    assert.deepEqual(
      rows.rows,
      [{ state: 'completed', n: 100, retried: 0 }],
      three
        .map((w) =>
          w.output
            .split('\n')
            .filter((l) => /lease/.test(l))
            .join('\n'),
        )
        .join('\n'),
    );
    assert.ok(longest.rows[0].over > 0, 'some jobs ran longer than a lease, and were kept by their live worker');
  });

  test('kill -9 a worker in the middle of a photo: its job is back in work at once, the album DONE within 60 s, every photo once', async () => {
    // Default lease and retry delay: the time measured is what an operator would see.
    const server = await apiServer();
    servers.push(server);
    const env = workerEnv(server.config, { FACEGRAPH_IMPORT_ROOT: (await album100()).root });
    // Two consumers: the victim always holds a photo when it dies, one being analysed and one waiting.
    const victim = await WorkerProcess.start({ ...env, FACEGRAPH_WORKERS: '2' }, 'victim');
    const survivor = await WorkerProcess.start(env, 'survivor');
    workers.push(victim, survivor);
    const album = await server.facegraph.services.albums.create(LOCAL_OWNER.id, 'killed');
    // Uploads, so that the spool is part of what must survive.
    const paths = (await photoPaths()).filter((_, i) => i % 3 === 0).slice(0, 30);
    const files = await Promise.all(paths.map(async (p) => fileFromPath(path.join((await album100()).root, p))));
    const r = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { id status } }`,
      { a: String(album.id) },
      'f',
      files,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const batchId = Number(r.data.ingestImages.id);

    let killedAt = 0;
    await waitForBatch(server, batchId, 10 * 60_000, async (done) => {
      if (killedAt > 0 || done < 8) return;
      victim.kill('SIGKILL');
      killedAt = Date.now();
    });
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`# kill -9 to DONE: ${seconds.toFixed(1)} s`);
    assert.ok(killedAt > 0, 'the worker was killed before the album finished');
    assert.equal(victim.child.signalCode, 'SIGKILL');
    assert.ok(seconds < 60, `DONE ${seconds.toFixed(1)} s after the kill`);
    assert.ok(survivor.alive, 'the survivor worked on');
    await assertExactlyOnce(server, album.id, batchId, 30);
    // A victim that died after recording its photo but before completing its job leaves the job to run
    // again after the album is DONE: it is skipped, and changes nothing. Dying between the record and the
    // spool file's removal leaves that file to the same rerun, so the spool is checked once every job is done.
    const { db } = server.facegraph.database;
    const deadline = Date.now() + 60_000;
    // biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript infers the query's row type from the assignment in the loop
    let jobs;
    for (;;) {
      jobs = await sql<{ open: number; retried: number }>`
        SELECT count(*) FILTER (WHERE state <> 'completed')::int AS open, count(*) FILTER (WHERE retry_count > 0)::int AS retried
        FROM pgboss.job WHERE name = 'ingest-photo'`.execute(db);
      if (jobs.rows[0].open === 0) break;
      assert.ok(Date.now() < deadline, 'a job of the victim was never run again');
      await new Promise((r) => setTimeout(r, 500));
    }
    await assertExactlyOnce(server, album.id, batchId, 30);
    assert.deepEqual(await fs.readdir(path.join(server.dataDir, 'spool')), [], 'every spooled upload consumed');
    // The victim's photos (one or two) were failed back when their lease ran out and run again by the survivor.
    assert.ok(jobs.rows[0].retried >= 1 && jobs.rows[0].retried <= 2, `${jobs.rows[0].retried} job(s) retried`);
    const stats = await survivor.stop();
    assert.ok((stats['ingest-photo']?.success ?? 0) > 0, 'the survivor analysed photos');
  });

  test('restart PostgreSQL while workers run: they reconnect and finish', async (t) => {
    const cluster = postgresCluster();
    if (!cluster) {
      t.skip('pg_ctlcluster not found: cannot restart the server here');
      return;
    }
    const server = await apiServer();
    servers.push(server);
    const env = workerEnv(server.config, await workerSettings());
    const two = await Promise.all(['r1', 'r2'].map((n) => WorkerProcess.start(env, n)));
    workers.push(...two);
    const album = await server.facegraph.services.albums.create(LOCAL_OWNER.id, 'restarted');
    const paths = (await photoPaths()).filter((_, i) => i % 2 === 1).slice(0, 40);
    const batch = await server.facegraph.services.ingest.enqueuePaths(LOCAL_OWNER.id, album.id, paths);

    let restarted = false;
    await waitForBatch(server, batch.id, 10 * 60_000, async (done) => {
      if (restarted || done < 6) return;
      restarted = true;
      // Short, and only here: other suites share this server.
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'ignore', timeout: 60_000 });
    });
    assert.ok(restarted, 'PostgreSQL was restarted mid-album');
    for (const w of two) assert.ok(w.alive, `worker ${w.name} survived the restart:\n${w.output.slice(-2000)}`);
    await assertExactlyOnce(server, album.id, batch.id, 40);
    const stats = await Promise.all(two.map((w) => w.stop()));
    const analysed = stats.reduce((n, s) => n + (s['ingest-photo']?.success ?? 0), 0);
    // A job whose completion could not be reported during the restart runs again and is skipped: never counted twice.
    assert.ok(analysed <= 40 && analysed >= 30, `${analysed} photos recorded by the workers`);
  });
});

/** The PostgreSQL major version to restart (the cluster `main`), when this machine manages it with pg_ctlcluster. */
function postgresCluster(): string | undefined {
  try {
    execFileSync('pg_ctlcluster', ['--help'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  try {
    return execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split('\n').pop() || undefined;
  } catch {
    return undefined;
  }
}
