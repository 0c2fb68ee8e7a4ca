import { CompiledQuery, type Kysely } from 'kysely';

/** Raw SQL on a connection or inside a caller's transaction (the shape of `TransactionSql` and the queue's `SqlExecutor`). */
export interface SqlRunner {
  // biome-ignore lint/suspicious/noExplicitAny: raw SQL rows, typed by each caller's own row interface
  executeSql(text: string, values: unknown[]): Promise<{ rows: any[] }>;
}

/** A job as the `local_jobs` table stores it. */
export interface LocalJobRow {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  priority: number;
}

/** A job claimed from the table: its data (with the error a dead letter carries) and its attempt count. */
export interface ClaimedLocalJob {
  id: string;
  queue: string;
  data: Record<string, unknown>;
  attempts: number;
}

/**
 * The `local_jobs` table: the storage of `LocalQueue` (`src/jobs/local-queue.ts`),
 * the job queue on the embedded PGlite. Only that queue uses it; the policy
 * (retries, backoff, dead letters) is the queue's, this class only reads and
 * writes rows. Raw SQL, so that `insert` also runs inside another
 * repository's transaction (`IngestBatchRepository.createWithItems`).
 */
export class LocalJobRepository {
  private readonly sql: SqlRunner;

  // biome-ignore lint/suspicious/noExplicitAny: Kysely<any>: works on any database schema (migrations and raw SQL do not use the typed tables)
  constructor(db: Kysely<any>) {
    this.sql = {
      executeSql: async (text, values) => ({ rows: [...(await db.executeQuery(CompiledQuery.raw(text, values))).rows] }),
    };
  }

  /** Jobs left `active` by a process that died are due again at once. */
  async releaseActive(): Promise<void> {
    await this.sql.executeSql(`UPDATE local_jobs SET state = 'retry', run_after = now() WHERE state = 'active'`, []);
  }

  /** Inserts jobs whose id is not there yet, through `tx` when given. */
  async insert(jobs: LocalJobRow[], tx?: SqlRunner): Promise<void> {
    const executor = tx ?? this.sql;
    for (let i = 0; i < jobs.length; i += 1000) {
      await executor.executeSql(
        `INSERT INTO local_jobs (id, queue, data, priority)
         SELECT id, queue, data, priority FROM json_to_recordset($1::json) AS x(id text, queue text, data jsonb, priority integer)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(jobs.slice(i, i + 1000))],
      );
    }
  }

  /** Marks the queue's next due job active (by priority, then age, then id) and returns it. */
  async claimNext(queue: string): Promise<ClaimedLocalJob | undefined> {
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
    return rows[0];
  }

  async delete(id: string): Promise<void> {
    await this.sql.executeSql(`DELETE FROM local_jobs WHERE id = $1`, [id]);
  }

  /** The job runs again in `seconds`. */
  async retryLater(id: string, error: string, seconds: number): Promise<void> {
    await this.sql.executeSql(
      `UPDATE local_jobs SET state = 'retry', last_error = $2, run_after = now() + $3 * interval '1 second' WHERE id = $1`,
      [id, error, seconds],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.sql.executeSql(`UPDATE local_jobs SET state = 'failed', last_error = $2 WHERE id = $1`, [id, error]);
  }

  /** Jobs waiting (created or due for retry), per queue that has any. */
  async waitingByQueue(): Promise<{ queue: string; n: number }[]> {
    const { rows } = await this.sql.executeSql(
      `SELECT queue, count(*)::int AS n FROM local_jobs WHERE state IN ('created', 'retry') GROUP BY queue`,
      [],
    );
    return rows.map((row) => ({ queue: row.queue, n: Number(row.n) }));
  }
}
