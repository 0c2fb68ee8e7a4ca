import type { ClaimedJob, JobQueue } from './job-queue.js';

export interface JobLeaseOptions {
  /** The lease each renewal grants; renewed every quarter of it. */
  leaseSeconds: number;
  /** Renewals stop once the job has run this long, so a handler stuck for good lets its job go. */
  timeoutSeconds: number;
  /** Reports a lease this worker can no longer hold (for logs). */
  onLost?: (job: ClaimedJob, reason: string) => void;
}

/**
 * The heartbeat of one running job: while its handler works, the claim is
 * renewed every quarter lease, so a slow photo on a loaded machine keeps its
 * worker, while a worker that dies stops renewing and loses the job a lease
 * later. Three renewals may fail in a row (a database blip) before the lease
 * runs out. Renewal errors are never thrown into the handler: the worst a
 * lost lease costs is the job running once more elsewhere, which its
 * idempotent handler turns into a `skipped`.
 */
export class JobLease {
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();
  private renewing = false;
  private stopped = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly job: ClaimedJob,
    private readonly options: JobLeaseOptions,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(250, (options.leaseSeconds * 1000) / 4));
    // A job abandoned at shutdown must not keep the process alive through its heartbeat.
    this.timer.unref();
  }

  /** The job ended: no more renewals. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.stopped) return;
    if (Date.now() - this.started > this.options.timeoutSeconds * 1000) {
      this.stop();
      this.options.onLost?.(this.job, `ran past its ${this.options.timeoutSeconds} s timeout; its lease is left to run out`);
      return;
    }
    this.renewing = true;
    try {
      const held = await this.queue.renew(this.job, this.options.leaseSeconds);
      if (!held && !this.stopped) {
        this.stop();
        this.options.onLost?.(this.job, 'lost its lease (handed back to the queue); it may run again elsewhere');
      }
    } catch {
      // A database blip: the next renewal, a quarter lease later, tries again.
    } finally {
      this.renewing = false;
    }
  }
}
