import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { LocalJobRepository } from '../repositories/local-job.repository.js';
import { jobId } from './job-id.js';
import {
  deadLetterOf,
  WORK_QUEUES,
  type ClaimedJob,
  type JobQueue,
  type JobRequest,
  type QueuePolicy,
  type SqlExecutor,
} from './job-queue.js';

/**
 * The queue on the embedded PGlite: the `local_jobs` table, consumed by the
 * one process that owns the database. It keeps pg-boss's contract — durable,
 * idempotent ids, retries with exponential backoff, dead letters — so the job
 * handlers are the same code on both databases. Its rows are read and written
 * by `LocalJobRepository` (`src/repositories/local-job.repository.ts`); the
 * policy — retries, backoff, dead letters — is here.
 *
 * Single process by construction (PGlite is embedded), so a job found `active`
 * at start-up belonged to a process that died, and is due again at once.
 */
export class LocalQueue implements JobQueue {
  readonly kind = 'local';
  private readonly events = new EventEmitter();
  private readonly jobs: LocalJobRepository;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: Kysely<any>: works on any database schema (migrations and raw SQL do not use the typed tables)
    db: Kysely<any>,
    private readonly policy: QueuePolicy,
  ) {
    this.jobs = new LocalJobRepository(db);
  }

  async start(): Promise<void> {
    await this.jobs.releaseActive();
  }

  async stop(): Promise<void> {
    this.events.removeAllListeners();
  }

  async enqueue(jobs: JobRequest[], tx?: SqlExecutor): Promise<void> {
    await this.jobs.insert(
      jobs.map((j) => ({ id: j.id, queue: j.queue, data: j.data, priority: j.priority ?? 0 })),
      tx,
    );
  }

  async fetch(queue: string): Promise<ClaimedJob | null> {
    const row = await this.jobs.claimNext(queue);
    if (!row) return null;
    const { error, ...data } = row.data as Record<string, unknown>;
    return { id: row.id, queue: row.queue, data, attempt: row.attempts, lastError: typeof error === 'string' ? error : undefined };
  }

  async complete(job: ClaimedJob): Promise<void> {
    await this.jobs.delete(job.id);
  }

  async fail(job: ClaimedJob, error: Error): Promise<void> {
    const isDeadLetter = !WORK_QUEUES.includes(job.queue);
    const retries = isDeadLetter ? 0 : this.policy.retries;
    if (job.attempt <= retries) {
      // pg-boss's backoff: delay * 2^attempt / 2, plus up to as much again of jitter.
      const base = (Math.max(1, this.policy.retryDelaySeconds) * 2 ** Math.min(16, job.attempt)) / 2;
      const seconds = base + base * Math.random();
      await this.jobs.retryLater(job.id, error.message, seconds);
      return;
    }
    await this.jobs.markFailed(job.id, error.message);
    if (!isDeadLetter) {
      await this.enqueue([
        { queue: deadLetterOf(job.queue), id: jobId(`dead\u0000${job.id}`), data: { ...job.data, error: error.message } },
      ]);
      this.notify();
    }
  }

  /** One process owns the database, so a job cannot outlive its worker: nothing to renew. */
  async renew(): Promise<boolean> {
    return true;
  }

  async depth(): Promise<Record<string, number>> {
    const rows = await this.jobs.waitingByQueue();
    const out: Record<string, number> = {};
    for (const queue of WORK_QUEUES) {
      out[queue] = 0;
      out[deadLetterOf(queue)] = 0;
    }
    for (const row of rows) out[row.queue] = row.n;
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
