/**
 * The queue as facegraph sees it: a durable list of small jobs, each claimed
 * by one worker at a time, retried with backoff when its handler throws, and
 * moved to a dead-letter queue when the retries run out. Two engines sit
 * behind it: pg-boss on PostgreSQL (many processes, many hosts) and a job
 * table on the embedded PGlite (one process).
 */
export interface JobQueue {
  /** `pg-boss` or `local`. */
  readonly kind: string;
  /** Installs what the queue needs (schema, queues) and starts its housekeeping. */
  start(): Promise<void>;
  /** Stops housekeeping and closes connections; claimed jobs are left to expire and be retried. */
  stop(): Promise<void>;
  /**
   * Adds jobs. A job whose id is already queued is ignored, so sending the
   * same work twice is harmless. With `tx`, the jobs are written inside the
   * caller's transaction and exist exactly when its other rows do.
   */
  enqueue(jobs: JobRequest[], tx?: SqlExecutor): Promise<void>;
  /** Claims the next job of a queue, or null when none is due. */
  fetch(queue: string): Promise<ClaimedJob | null>;
  /** The job succeeded (or was skipped): it will not run again. */
  complete(job: ClaimedJob): Promise<void>;
  /** The job failed: retry later, or dead-letter it when out of retries. */
  fail(job: ClaimedJob, error: Error): Promise<void>;
  /**
   * Extends the claim on a running job to `seconds` from now, so that the queue
   * does not presume its worker dead. False when the job is no longer this
   * worker's (its lease ran out and it was handed back, or it was finished).
   */
  renew(job: ClaimedJob, seconds: number): Promise<boolean>;
  /** Jobs waiting (created or due for retry) per queue. */
  depth(): Promise<Record<string, number>>;
  /** Wakes this process's idle consumers: new jobs were just sent. */
  onNotify(listener: () => void): () => void;
  notify(): void;
}

export interface JobRequest {
  queue: string;
  /** Deterministic per unit of work (see `jobId`), which makes enqueueing idempotent. */
  id: string;
  data: Record<string, unknown>;
  /** Higher runs first. */
  priority?: number;
}

export interface ClaimedJob {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** On a dead letter: why the job gave up, as far as the queue knows. */
  lastError?: string;
}

/** The minimal "run this SQL" handle a queue needs to write inside someone else's transaction. */
export interface SqlExecutor {
  // biome-ignore lint/suspicious/noExplicitAny: raw SQL rows, typed by each caller's own row interface
  executeSql(text: string, values: unknown[]): Promise<{ rows: any[] }>;
}

/** The queue settings both engines share. */
export interface QueuePolicy {
  retries: number;
  retryDelaySeconds: number;
  /** A claimed job not renewed for this long is failed back to the queue: its worker is presumed dead. */
  leaseSeconds: number;
}

/**
 * Job handlers report expected conditions as outcomes instead of throwing:
 * `skipped` when the work was already done (a retry after a crash), `failed`
 * when the input itself is bad (recorded, never retried). Throwing means
 * "unexpected, try again".
 */
export type JobOutcome = 'success' | 'skipped' | 'failed';

export type JobHandler = (job: ClaimedJob) => Promise<JobOutcome>;

/** Queue names. Each work queue has a dead-letter queue named `<queue>-dead`. */
export const QUEUES = {
  ingestPhoto: 'ingest-photo',
  reencodeImage: 'reencode-image',
} as const;

export const deadLetterOf = (queue: string): string => `${queue}-dead`;

export const WORK_QUEUES: readonly string[] = Object.values(QUEUES);
export const ALL_QUEUES: readonly string[] = WORK_QUEUES.flatMap((q) => [q, deadLetterOf(q)]);
