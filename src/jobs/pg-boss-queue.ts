import { EventEmitter } from 'node:events';
import PgBoss from 'pg-boss';
import {
  ALL_QUEUES,
  deadLetterOf,
  WORK_QUEUES,
  type ClaimedJob,
  type JobQueue,
  type JobRequest,
  type QueuePolicy,
  type SqlExecutor,
} from './job-queue.js';

export interface PgBossQueueOptions extends QueuePolicy {
  connectionString: string;
  /** Connections pg-boss may open (its own pool, beside the application's). */
  poolSize?: number;
}

/**
 * The queue on PostgreSQL: pg-boss 10 (the last line that runs on Node 20).
 * Jobs live in the `pgboss` schema of the application's own database, are
 * claimed with `FOR UPDATE SKIP LOCKED`, retried with exponential backoff, and
 * dead-lettered to `<queue>-dead` when out of retries.
 *
 * A dead worker (kill -9, lost host) is found by its lease: a job's pg-boss
 * expiry is `leaseSeconds`, and `renew` pushes it forward while the job runs
 * (see `JobLease`). pg-boss's maintenance — run every quarter lease by whichever
 * process gets its lock — fails jobs whose lease ran out into a retry, in one
 * statement that checks the expiry itself, so a lease renewed a moment earlier
 * is never taken. pg-boss 10 has no API to extend a running job, so `renew`
 * writes `expire_in` of the job row, the column its expiry reads.
 *
 * Consumption uses `fetch` / `complete` / `fail` rather than `boss.work()`:
 * pg-boss's worker loop does not await its completion calls, so a database
 * restart at the wrong moment becomes an unhandled rejection that kills the
 * process. Our loop (`JobWorkers`) awaits and retries them instead.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = 'pg-boss';
  private readonly boss: PgBoss;
  private readonly events = new EventEmitter();
  private lastErrorLog = 0;

  constructor(private readonly options: PgBossQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      max: options.poolSize ?? 4,
      application_name: 'facegraph-jobs',
      schedule: false,
      // Jobs whose lease ran out (their worker died) are noticed at this pace.
      maintenanceIntervalSeconds: Math.max(1, Math.ceil(options.leaseSeconds / 4)),
    });
    // Without a listener an 'error' event would throw; connection errors during
    // a database restart are expected and pg-boss recovers from them itself.
    this.boss.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog > 5000) {
        this.lastErrorLog = now;
        console.error(`[jobs] pg-boss: ${err.message}`);
      }
    });
  }

  async start(): Promise<void> {
    await this.boss.start();
    const { retries, retryDelaySeconds, leaseSeconds } = this.options;
    for (const queue of WORK_QUEUES) {
      const dead = deadLetterOf(queue);
      // Dead letters are kept two weeks and never retried: they are the record of what gave up.
      await this.boss.createQueue(dead, { name: dead, retryLimit: 0, retentionMinutes: 14 * 24 * 60 });
      const policy = {
        name: queue,
        retryLimit: retries,
        retryDelay: Math.max(1, retryDelaySeconds),
        retryBackoff: true,
        expireInSeconds: leaseSeconds,
        deadLetter: dead,
      };
      await this.boss.createQueue(queue, policy);
      // createQueue keeps an existing queue's settings; bring them in line with this configuration.
      await this.boss.updateQueue(queue, policy);
    }
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: true, timeout: 5000 });
  }

  async enqueue(jobs: JobRequest[], tx?: SqlExecutor): Promise<void> {
    if (jobs.length === 0) return;
    const rows = jobs.map((j) => ({ id: j.id, name: j.queue, data: j.data, priority: j.priority ?? 0 }));
    // pg-boss inserts through whatever `db` it is given: the caller's transaction when there is one.
    for (let i = 0; i < rows.length; i += 1000) {
      await this.boss.insert(rows.slice(i, i + 1000), tx ? { db: tx as PgBoss.Db } : {});
    }
  }

  async fetch(queue: string): Promise<ClaimedJob | null> {
    // pg-boss's fetch answers [] when the database is unreachable, so an idle
    // worker simply keeps polling through a restart.
    const [job] = await this.boss.fetch<Record<string, unknown>>(queue, { batchSize: 1, includeMetadata: true });
    if (!job) return null;
    return { id: job.id, queue, data: job.data ?? {}, attempt: job.retryCount + 1, lastError: errorMessageOf(job.output) };
  }

  async complete(job: ClaimedJob): Promise<void> {
    await this.boss.complete(job.queue, job.id);
  }

  async fail(job: ClaimedJob, error: Error): Promise<void> {
    await this.boss.fail(job.queue, job.id, { message: error.message });
  }

  async renew(job: ClaimedJob, seconds: number): Promise<boolean> {
    const { rows } = await this.boss.getDb().executeSql(
      `UPDATE pgboss.job SET expire_in = (now() - started_on) + $3 * interval '1 second'
       WHERE name = $1 AND id = $2 AND state = 'active'
       RETURNING id`,
      [job.queue, job.id, seconds],
    );
    return rows.length > 0;
  }

  async depth(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const queue of ALL_QUEUES) out[queue] = await this.boss.getQueueSize(queue);
    return out;
  }

  onNotify(listener: () => void): () => void {
    this.events.on('notify', listener);
    return () => this.events.off('notify', listener);
  }

  notify(): void {
    this.events.emit('notify');
  }
}

/** pg-boss stores a failure as `{ message }` (our fail) or `{ value: { message } }` (its timeout). */
function errorMessageOf(output: unknown): string | undefined {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null | undefined;
  const message = o?.message ?? o?.value?.message;
  return typeof message === 'string' ? message : undefined;
}
