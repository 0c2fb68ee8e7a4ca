import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { DB, IngestBatchRow, IngestItemRow, ItemSourceKind } from '../db/tables.js';

export type { ItemSourceKind } from '../db/tables.js';

export interface ItemOutcome {
  position: number;
  fileName?: string;
  imageId: number | null;
  error: { code: string; message: string } | null;
}

export interface NewItem {
  fileName: string;
  /** Where to read the bytes; absent when the item failed before it could be kept (`error`). */
  source?: { kind: ItemSourceKind; ref: string };
  error?: { code: string; message: string };
}

export interface PendingItem {
  batchId: number;
  albumId: number;
  position: number;
  fileName: string;
  sourceKind: ItemSourceKind | null;
  source: string | null;
  /** The batch's status when the item was read: a `QUEUED` batch is marked running by its first photo. */
  batchStatus: IngestBatchRow['status'];
}

/** Raw SQL inside a transaction: how a queue writes its jobs atomically with a batch. */
export interface TransactionSql {
  // biome-ignore lint/suspicious/noExplicitAny: raw SQL rows, typed by each caller's own row interface
  executeSql(text: string, values: unknown[]): Promise<{ rows: any[] }>;
}

export interface RecordResult {
  /** False when the item already had its outcome (a retried job): nothing changed. */
  recorded: boolean;
  /** The batch finished with this item. */
  finished: boolean;
  /** The batch after the change (when recorded), for progress events. */
  batch?: IngestBatchRow;
}

/**
 * Item error codes that mean "this file never got a real outcome" — the job
 * gave up after its retries, or the batch was stopped — and so make the batch
 * FAILED rather than DONE. A bad file (UNSUPPORTED_IMAGE, ...) is an outcome.
 */
export const GAVE_UP_CODES = ['INTERNAL_SERVER_ERROR', 'CANCELLED'] as const;

/**
 * The `ingest_batches` and `ingest_items` tables: what was asked, where each
 * file waits, and what became of it. Recording an outcome is idempotent, so a
 * retried job can never count a file twice.
 */
export class IngestBatchRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Creates a batch with its items. Items that carry an error are recorded at
   * once; the rest wait for workers. `beforeCommit` runs inside the same
   * transaction (the queue writes the jobs there), so a batch never exists
   * without its jobs, nor jobs without their batch.
   */
  createWithItems(
    albumId: number,
    items: NewItem[],
    beforeCommit?: (batch: IngestBatchRow, tx: TransactionSql) => Promise<void>,
  ): Promise<IngestBatchRow> {
    return this.db.transaction().execute(async (trx) => {
      const failed = items.filter((i) => i.error).length;
      const finished = failed === items.length;
      const batch = await trx
        .insertInto('ingest_batches')
        .values({ album_id: albumId, status: finished ? 'DONE' : 'QUEUED', total: items.length, failed })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (finished) {
        await trx.updateTable('ingest_batches').set({ finished_at: new Date() }).where('id', '=', batch.id).execute();
      }
      for (let i = 0; i < items.length; i += 1000) {
        await trx
          .insertInto('ingest_items')
          .values(
            items.slice(i, i + 1000).map((item, k) => ({
              batch_id: batch.id,
              position: i + k,
              file_name: item.fileName,
              image_id: null,
              error_code: item.error?.code ?? null,
              error_message: item.error?.message ?? null,
              source_kind: item.error ? null : (item.source?.kind ?? null),
              source: item.error ? null : (item.source?.ref ?? null),
              recorded_at: item.error ? new Date() : null,
            })),
          )
          .execute();
      }
      if (beforeCommit) await beforeCommit(batch, transactionSql(trx));
      return (await trx.selectFrom('ingest_batches').selectAll().where('id', '=', batch.id).executeTakeFirstOrThrow()) as IngestBatchRow;
    });
  }

  findById(id: number): Promise<IngestBatchRow | undefined> {
    return this.db.selectFrom('ingest_batches').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByAlbum(albumId: number, limit: number): Promise<IngestBatchRow[]> {
    return this.db.selectFrom('ingest_batches').selectAll().where('album_id', '=', albumId).orderBy('id', 'desc').limit(limit).execute();
  }

  items(batchId: number): Promise<IngestItemRow[]> {
    return this.db
      .selectFrom('ingest_items')
      .select(['batch_id', 'position', 'file_name', 'image_id', 'error_code', 'error_message'])
      .where('batch_id', '=', batchId)
      .orderBy('position')
      .execute();
  }

  /** The item, if it still waits for its outcome. */
  async pendingItem(batchId: number, position: number): Promise<PendingItem | undefined> {
    const row = await this.db
      .selectFrom('ingest_items as i')
      .innerJoin('ingest_batches as b', 'b.id', 'i.batch_id')
      .select(['i.batch_id', 'b.album_id', 'b.status', 'i.position', 'i.file_name', 'i.source_kind', 'i.source'])
      .where('i.batch_id', '=', batchId)
      .where('i.position', '=', position)
      .where('i.recorded_at', 'is', null)
      .executeTakeFirst();
    return (
      row && {
        batchId: row.batch_id,
        albumId: row.album_id,
        position: row.position,
        fileName: row.file_name,
        sourceKind: row.source_kind,
        source: row.source,
        batchStatus: row.status as IngestBatchRow['status'],
      }
    );
  }

  /** The item's source, whether or not it has its outcome (to clean up after a retried job). */
  async itemSource(batchId: number, position: number): Promise<{ kind: ItemSourceKind | null; ref: string | null } | undefined> {
    const row = await this.db
      .selectFrom('ingest_items')
      .select(['source_kind', 'source'])
      .where('batch_id', '=', batchId)
      .where('position', '=', position)
      .executeTakeFirst();
    return row && { kind: row.source_kind, ref: row.source };
  }

  /** Positions still waiting in a batch, in order. */
  async pendingPositions(batchId: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('ingest_items')
      .select('position')
      .where('batch_id', '=', batchId)
      .where('recorded_at', 'is', null)
      .orderBy('position')
      .execute();
    return rows.map((r) => r.position);
  }

  /** QUEUED -> RUNNING when the first of its files starts; the batch when this call moved it, else undefined. */
  async markRunning(batchId: number): Promise<IngestBatchRow | undefined> {
    return (await this.db
      .updateTable('ingest_batches')
      .set({ status: 'RUNNING' })
      .where('id', '=', batchId)
      .where('status', '=', 'QUEUED')
      .returningAll()
      .executeTakeFirst()) as IngestBatchRow | undefined;
  }

  /**
   * Records one file's outcome, once: the update only touches an item that has
   * none yet, and the batch counters move only when it did. The item that
   * completes the batch also closes it, in the same transaction.
   */
  recordItem(batchId: number, outcome: ItemOutcome): Promise<RecordResult> {
    return this.db.transaction().execute(async (trx) => {
      // The item and the batch's counters in one statement (the counters move only through the item's update);
      // the transaction is for the last item, which also closes the batch.
      const counted = (await trx
        .with('item', (db) =>
          db
            .updateTable('ingest_items')
            .set({
              image_id: outcome.imageId,
              error_code: outcome.error?.code ?? null,
              error_message: outcome.error?.message ?? null,
              recorded_at: new Date(),
            })
            .where('batch_id', '=', batchId)
            .where('position', '=', outcome.position)
            .where('recorded_at', 'is', null)
            .returning('batch_id'),
        )
        .updateTable('ingest_batches')
        .from('item')
        .set(outcome.error ? { failed: sql`failed + 1` } : { done: sql`done + 1` })
        .whereRef('ingest_batches.id', '=', 'item.batch_id')
        .returningAll('ingest_batches')
        .executeTakeFirst()) as IngestBatchRow | undefined;
      if (!counted) return { recorded: false, finished: false };
      const finished = counted.done + counted.failed >= counted.total;
      if (!finished) return { recorded: true, finished, batch: counted };
      await closeBatch(trx, batchId);
      const batch = (await trx
        .selectFrom('ingest_batches')
        .selectAll()
        .where('id', '=', batchId)
        .executeTakeFirstOrThrow()) as IngestBatchRow;
      return { recorded: true, finished, batch };
    });
  }

  /** Gives every waiting item of a batch the same error, and closes the batch (Ctrl-C in the CLI). */
  cancelPending(batchId: number, error: { code: string; message: string }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('ingest_items')
        .set({ error_code: error.code, error_message: error.message, recorded_at: new Date() })
        .where('batch_id', '=', batchId)
        .where('recorded_at', 'is', null)
        .returning('position')
        .execute();
      if (rows.length > 0) {
        await trx
          .updateTable('ingest_batches')
          .set({ failed: sql`failed + ${rows.length}` })
          .where('id', '=', batchId)
          .execute();
      }
      const batch = await trx.selectFrom('ingest_batches').select(['status']).where('id', '=', batchId).executeTakeFirst();
      if (batch && batch.status !== 'DONE' && batch.status !== 'FAILED') await closeBatch(trx, batchId);
      return rows.length;
    });
  }

  /** Of these spool refs, the ones a waiting item still needs (the spool sweep keeps those). */
  async spoolRefsInUse(refs: string[]): Promise<Set<string>> {
    const used = new Set<string>();
    for (let i = 0; i < refs.length; i += 1000) {
      const rows = await this.db
        .selectFrom('ingest_items')
        .select('source')
        .where('source_kind', '=', 'spool')
        .where('source', 'in', refs.slice(i, i + 1000))
        .where('recorded_at', 'is', null)
        .execute();
      for (const r of rows) if (r.source) used.add(r.source);
    }
    return used;
  }

  /** A trivial query: is the database reachable? (for /healthz) */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }
}

/** DONE, or FAILED when some item never got a real outcome (see GAVE_UP_CODES). */
async function closeBatch(trx: Transaction<DB>, batchId: number): Promise<void> {
  const gaveUp = await trx
    .selectFrom('ingest_items')
    .select('position')
    .where('batch_id', '=', batchId)
    .where('error_code', 'in', [...GAVE_UP_CODES])
    .limit(1)
    .executeTakeFirst();
  await trx
    .updateTable('ingest_batches')
    .set({ status: gaveUp ? 'FAILED' : 'DONE', finished_at: new Date() })
    .where('id', '=', batchId)
    .execute();
}

function transactionSql(trx: Transaction<DB>): TransactionSql {
  return {
    executeSql: async (text, values) => ({ rows: [...(await trx.executeQuery(CompiledQuery.raw(text, values ?? []))).rows] }),
  };
}
