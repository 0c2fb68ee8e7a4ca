import { EventEmitter } from 'node:events';
import { CompiledQuery, type Kysely } from 'kysely';
import { jobId } from './job-id.js';
import { deadLetterOf, WORK_QUEUES, type ClaimedJob, type JobQueue, type JobRequest, type QueuePolicy, type SqlExecutor } from './job-queue.js';

/**
 * The queue on the embedded PGlite: the `local_jobs` table, consumed by the
 * one process that owns the database. It keeps pg-boss's contract — durable,
 * idempotent ids, retries with exponential backoff, dead letters — so the job
 * handlers are the same code on both databases. Like pg-boss it is a storage
 * adapter that speaks SQL itself; nothing else reads its table.
 *
 * Single process by construction (PGlite is embedded), so a job found `active`
 * at start-up belonged to a process that died, and is due again at once.
 */
export class LocalQueue implements JobQueue {
  readonly kind = 'local';
  private readonly events = new EventEmitter();
  private readonly sql: SqlExecutor;

  constructor(
    db: Kysely<any>,
    private readonly policy: QueuePolicy,
  ) {
    this.sql = {
      executeSql: async (text, values) => ({ rows: [...(await db.executeQuery(CompiledQuery.raw(text, values))).rows] }),
    };
  }

  async start(): Promise<void> {
    await this.sql.executeSql(`UPDATE local_jobs SET state = 'retry', run_after = now() WHERE state = 'active'`, []);
  }

  async stop(): Promise<void> {
    this.events.removeAllListeners();
  }

  async enqueue(jobs: JobRequest[], tx?: SqlExecutor): Promise<void> {
    const executor = tx ?? this.sql;
    for (let i = 0; i < jobs.length; i += 1000) {
      const rows = jobs.slice(i, i + 1000).map((j) => ({ id: j.id, queue: j.queue, data: j.data, priority: j.priority ?? 0 }));
      await executor.executeSql(
        `INSERT INTO local_jobs (id, queue, data, priority)
         SELECT id, queue, data, priority FROM json_to_recordset($1::json) AS x(id text, queue text, data jsonb, priority integer)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(rows)],
      );
    }
  }

  async fetch(queue: string): Promise<ClaimedJob | null> {
    const { rows } = await this.sql.executeSql(
      `UPDATE local_jobs SET state = 'active', attempts = attempts + 1
       WHERE id = (
         SELECT id FROM local_jobs
         WHERE queue = $1 AND state IN ('created', 'retry') AND run_after <= now()
         ORDER BY priority DESC, created_at, id
         LIMIT 1
       )
       RETURNING id, queue, data, attempts`,
      [queue],
    );
    const row = rows[0];
    if (!row) return null;
    const { error, ...data } = row.data as Record<string, unknown>;
    return { id: row.id, queue: row.queue, data, attempt: row.attempts, lastError: typeof error === 'string' ? error : undefined };
  }

  async complete(job: ClaimedJob): Promise<void> {
    await this.sql.executeSql(`DELETE FROM local_jobs WHERE id = $1`, [job.id]);
  }

  async fail(job: ClaimedJob, error: Error): Promise<void> {
    const isDeadLetter = !WORK_QUEUES.includes(job.queue);
    const retries = isDeadLetter ? 0 : this.policy.retries;
    if (job.attempt <= retries) {
      // pg-boss's backoff: delay * 2^attempt / 2, plus up to as much again of jitter.
      const base = Math.max(1, this.policy.retryDelaySeconds) * 2 ** Math.min(16, job.attempt) / 2;
      const seconds = base + base * Math.random();
      await this.sql.executeSql(
        `UPDATE local_jobs SET state = 'retry', last_error = $2, run_after = now() + $3 * interval '1 second' WHERE id = $1`,
        [job.id, error.message, seconds],
      );
      return;
    }
    await this.sql.executeSql(`UPDATE local_jobs SET state = 'failed', last_error = $2 WHERE id = $1`, [job.id, error.message]);
    if (!isDeadLetter) {
      await this.enqueue([{ queue: deadLetterOf(job.queue), id: jobId(`dead\u0000${job.id}`), data: { ...job.data, error: error.message } }]);
      this.notify();
    }
  }

  /** One process owns the database, so a job cannot outlive its worker: nothing to renew. */
  async renew(): Promise<boolean> {
    return true;
  }

  async depth(): Promise<Record<string, number>> {
    const { rows } = await this.sql.executeSql(
      `SELECT queue, count(*)::int AS n FROM local_jobs WHERE state IN ('created', 'retry') GROUP BY queue`,
      [],
    );
    const out: Record<string, number> = {};
    for (const queue of WORK_QUEUES) {
      out[queue] = 0;
      out[deadLetterOf(queue)] = 0;
    }
    for (const row of rows) out[row.queue] = Number(row.n);
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
