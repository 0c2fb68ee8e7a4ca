import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { jobId } from '../../src/jobs/job-id.js';
import type { JobOutcome } from '../../src/jobs/job-queue.js';
import { JobWorkers } from '../../src/jobs/job-workers.js';
import { LocalQueue } from '../../src/jobs/local-queue.js';

// The embedded queue keeps pg-boss's contract; these run on an in-memory PGlite.
let database: Database;
const policy = { retries: 2, retryDelaySeconds: 1, leaseSeconds: 60 };

before(async () => {
  database = await openDatabase({ databaseUrl: undefined, dataDir: null });
  await migrateToLatest(database.db);
});
after(async () => database?.close());
beforeEach(async () => {
  await sql`DELETE FROM local_jobs`.execute(database.db);
});

/** Makes every waiting job due now (instead of sleeping through its backoff). */
const makeDue = () => sql`UPDATE local_jobs SET run_after = now()`.execute(database.db);

describe('LocalQueue', () => {
  test('sending the same job id twice queues it once', async () => {
    const queue = new LocalQueue(database.db, policy);
    await queue.start();
    const job = { queue: 'ingest-photo', id: jobId('same'), data: { n: 1 } };
    await queue.enqueue([job]);
    await queue.enqueue([job, { ...job, id: jobId('other') }]);
    assert.equal((await queue.depth())['ingest-photo'], 2);
  });

  test('jobs come out by priority, then in sequence order within one send', async () => {
    const queue = new LocalQueue(database.db, policy);
    await queue.enqueue([3, 1, 0, 2].map((i) => ({ queue: 'ingest-photo', id: jobId('batch', i), data: { i } })));
    await queue.enqueue([{ queue: 'ingest-photo', id: jobId('urgent'), data: { i: 'urgent' }, priority: 1 }]);
    const order: unknown[] = [];
    for (let job = await queue.fetch('ingest-photo'); job; job = await queue.fetch('ingest-photo')) {
      order.push(job.data.i);
      await queue.complete(job);
    }
    assert.deepEqual(order, ['urgent', 0, 1, 2, 3]);
    assert.equal((await queue.depth())['ingest-photo'], 0);
  });

  test('a failed job is retried after a backoff, then dead-lettered with its error', async () => {
    const queue = new LocalQueue(database.db, policy);
    await queue.enqueue([{ queue: 'ingest-photo', id: jobId('flaky'), data: { batchId: 7, position: 3 } }]);
    for (let attempt = 1; attempt <= policy.retries + 1; attempt++) {
      const job = await queue.fetch('ingest-photo');
      assert.ok(job, `attempt ${attempt} is due`);
      assert.equal(job.attempt, attempt);
      await queue.fail(job, new Error(`boom ${attempt}`));
      // Backoff: not due again at once.
      assert.equal(await queue.fetch('ingest-photo'), null);
      await makeDue();
    }
    assert.equal(await queue.fetch('ingest-photo'), null, 'out of retries');
    const dead = await queue.fetch('ingest-photo-dead');
    assert.ok(dead);
    assert.deepEqual(dead.data, { batchId: 7, position: 3 });
    assert.equal(dead.lastError, 'boom 3');
    // Dead letters are never retried nor dead-lettered again.
    await queue.fail(dead, new Error('dead handler failed'));
    await makeDue();
    assert.equal(await queue.fetch('ingest-photo-dead'), null);
  });

  test('a job left active by a process that died is due again when the queue starts', async () => {
    const first = new LocalQueue(database.db, policy);
    await first.enqueue([{ queue: 'reencode-image', id: jobId('crash'), data: { imageId: 1 } }]);
    const claimed = await first.fetch('reencode-image');
    assert.ok(claimed);
    assert.equal(await first.fetch('reencode-image'), null, 'claimed jobs are not handed out twice');
    const restarted = new LocalQueue(database.db, policy);
    await restarted.start();
    const again = await restarted.fetch('reencode-image');
    assert.equal(again?.id, claimed.id);
    assert.equal(again?.attempt, 2);
  });
});

describe('JobWorkers', () => {
  test('run each job once, retry a throwing handler, report outcomes, and stop cleanly', async () => {
    const queue = new LocalQueue(database.db, { ...policy, retryDelaySeconds: 0 });
    const seen: number[] = [];
    let throwOnce = true;
    const handler = async (job: { data: Record<string, unknown> }): Promise<JobOutcome> => {
      const n = job.data.n as number;
      if (n === 2 && throwOnce) {
        throwOnce = false;
        await makeDue(); // the retry is due as soon as it is failed (after this handler returns)
        throw new Error('transient');
      }
      seen.push(n);
      return n === 4 ? 'skipped' : 'success';
    };
    const finished: string[] = [];
    const workers = new JobWorkers(queue, new Map([['ingest-photo', handler]]), {
      concurrency: 2,
      pollSeconds: 0.5,
      observer: { jobFinished: (_q, outcome) => finished.push(outcome) },
    });
    workers.start();
    await queue.enqueue([0, 1, 2, 3, 4].map((n) => ({ queue: 'ingest-photo', id: jobId('w', n), data: { n } })));
    queue.notify();
    const deadline = Date.now() + 30_000;
    while (seen.length < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      await makeDue();
    }
    await workers.stop(5000);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(workers.stats['ingest-photo'], { success: 4, skipped: 1, error: 1 });
    assert.equal(finished.length, 6);
    assert.equal((await queue.depth())['ingest-photo'], 0);
    assert.equal(workers.running, false);
  });
});
