import { setTimeout as sleep } from 'node:timers/promises';
import { JobLease } from './job-lease.js';
import type { ClaimedJob, JobHandler, JobOutcome, JobQueue } from './job-queue.js';

export interface JobObserver {
  jobFinished(queue: string, outcome: JobOutcome | 'error', seconds: number): void;
}

export interface JobWorkersOptions {
  /** Consumer loops in this process; each runs one job at a time. */
  concurrency: number;
  /** How long an idle loop waits before looking again (a local `notify` wakes it sooner). */
  pollSeconds: number;
  /** The lease a running job's heartbeat renews (default 20 s; see `JobLease`). */
  leaseSeconds?: number;
  /** The longest a job keeps renewing its lease (default 300 s). */
  timeoutSeconds?: number;
  observer?: JobObserver;
}

/** Counts of finished jobs per queue and outcome, for logs and tests. */
export type JobStats = Record<string, Partial<Record<JobOutcome | 'error', number>>>;

/**
 * The consumer loops of one process. Each loop claims one job at a time from
 * the queues in the order the handlers were given (so ingestion goes before
 * re-encoding, and dead letters last), runs its handler, and reports the
 * result back to the queue. While a handler runs, its job's lease is renewed
 * (`JobLease`), so only a dead worker's jobs are handed to others. Database trouble never ends a loop: claiming is
 * retried at the poll pace and reporting with backoff, and a report that
 * cannot be made at all leaves the job to expire and run again — handlers are
 * idempotent, so that costs time, never correctness.
 */
export class JobWorkers {
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private lastErrorLog = 0;
  readonly stats: JobStats = {};
  /** Jobs currently being handled, for a clean stop. */
  private active = 0;

  constructor(
    private readonly queue: JobQueue,
    private readonly handlers: ReadonlyMap<string, JobHandler>,
    private readonly options: JobWorkersOptions,
  ) {}

  get running(): boolean {
    return this.loops.length > 0 && !this.stopping;
  }

  start(): void {
    if (this.loops.length > 0 || this.options.concurrency <= 0) return;
    this.unsubscribe = this.queue.onNotify(() => this.wakeAll());
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  /**
   * Stops claiming jobs and waits up to `graceMs` for the ones running to
   * finish. A job still running after that is abandoned to the queue's timeout.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    this.unsubscribe?.();
    if (this.loops.length === 0) return;
    const all = Promise.all(this.loops);
    const timer = sleep(graceMs, 'timeout' as const, { ref: false });
    const result = await Promise.race([all.then(() => 'done' as const), timer]);
    if (result === 'timeout') console.error(`[jobs] ${this.active} job(s) still running after ${graceMs} ms; left to their timeout`);
  }

  private async loop(): Promise<void> {
    const order = [...this.handlers.keys()];
    while (!this.stopping) {
      let job: ClaimedJob | null = null;
      for (const name of order) {
        try {
          job = await this.queue.fetch(name);
        } catch (err) {
          this.logThrottled(`[jobs] cannot claim from ${name}: ${(err as Error).message}`);
        }
        if (job || this.stopping) break;
      }
      if (this.stopping) {
        // Claimed just as we were told to stop: hand it back through a retry rather than sit on it.
        if (job) await this.report(job, () => this.queue.fail(job!, new Error('worker stopped before starting the job')));
        break;
      }
      if (!job) {
        await this.idle();
        continue;
      }
      await this.run(job);
    }
  }

  private async run(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.queue)!;
    const started = performance.now();
    this.active++;
    const lease = new JobLease(this.queue, job, {
      leaseSeconds: this.options.leaseSeconds ?? 20,
      timeoutSeconds: this.options.timeoutSeconds ?? 300,
      onLost: (lost, reason) => console.error(`[jobs] ${lost.queue} ${lost.id} ${reason}`),
    });
    let outcome: JobOutcome | 'error';
    let error: Error | undefined;
    try {
      outcome = await handler(job);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      outcome = 'error';
      console.error(`[jobs] ${job.queue} ${job.id} attempt ${job.attempt} failed: ${error.message}`);
    } finally {
      lease.stop();
      this.active--;
    }
    const seconds = (performance.now() - started) / 1000;
    const counts = (this.stats[job.queue] ??= {});
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    this.options.observer?.jobFinished(job.queue, outcome, seconds);
    await this.report(job, () => (error ? this.queue.fail(job, error) : this.queue.complete(job)));
  }

  /** Tells the queue how a job ended, retrying through a database outage for up to about a minute. */
  private async report(job: ClaimedJob, send: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await send();
        return;
      } catch (err) {
        if (attempt >= 20) {
          console.error(`[jobs] could not report job ${job.id} (${(err as Error).message}); it will run again after its timeout`);
          return;
        }
        this.logThrottled(`[jobs] reporting job ${job.id} failed, retrying: ${(err as Error).message}`);
        await sleep(Math.min(5000, 250 * 2 ** attempt));
      }
    }
  }

  private async idle(): Promise<void> {
    const controller = new AbortController();
    const wake = () => controller.abort();
    this.sleepers.add(wake);
    try {
      await sleep(this.options.pollSeconds * 1000, undefined, { signal: controller.signal });
    } catch {
      // woken early
    } finally {
      this.sleepers.delete(wake);
    }
  }

  private wakeAll(): void {
    for (const wake of this.sleepers) wake();
  }

  private logThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    console.error(message);
  }
}
