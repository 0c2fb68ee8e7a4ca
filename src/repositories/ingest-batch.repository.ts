import { sql, type Kysely } from 'kysely';
import type { DB, IngestBatchRow, IngestItemRow } from '../db/tables.js';

export interface ItemOutcome {
  position: number;
  fileName: string;
  imageId: number | null;
  error: { code: string; message: string } | null;
}

/** The `ingest_batches` and `ingest_items` tables: what was asked, and what became of each file. */
export class IngestBatchRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(albumId: number, fileNames: string[], status: IngestBatchRow['status']): Promise<IngestBatchRow> {
    return this.db.transaction().execute(async (trx) => {
      const batch = await trx
        .insertInto('ingest_batches')
        .values({ album_id: albumId, status, total: fileNames.length })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (fileNames.length > 0) {
        await trx
          .insertInto('ingest_items')
          .values(fileNames.map((file_name, position) => ({ batch_id: batch.id, position, file_name, image_id: null, error_code: null, error_message: null })))
          .execute();
      }
      return batch;
    });
  }

  findById(id: number): Promise<IngestBatchRow | undefined> {
    return this.db.selectFrom('ingest_batches').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByAlbum(albumId: number, limit: number): Promise<IngestBatchRow[]> {
    return this.db.selectFrom('ingest_batches').selectAll().where('album_id', '=', albumId).orderBy('id', 'desc').limit(limit).execute();
  }

  items(batchId: number): Promise<IngestItemRow[]> {
    return this.db.selectFrom('ingest_items').selectAll().where('batch_id', '=', batchId).orderBy('position').execute();
  }

  async setStatus(batchId: number, status: IngestBatchRow['status']): Promise<void> {
    const finished = status === 'DONE' || status === 'FAILED';
    await this.db
      .updateTable('ingest_batches')
      .set({ status, ...(finished ? { finished_at: new Date() } : {}) })
      .where('id', '=', batchId)
      .execute();
  }

  /** Records one file's outcome and bumps the batch counters in one statement pair. */
  async recordItem(batchId: number, outcome: ItemOutcome): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('ingest_items')
        .set({
          image_id: outcome.imageId,
          error_code: outcome.error?.code ?? null,
          error_message: outcome.error?.message ?? null,
        })
        .where('batch_id', '=', batchId)
        .where('position', '=', outcome.position)
        .execute();
      await trx
        .updateTable('ingest_batches')
        .set(outcome.error ? { failed: sql`failed + 1` } : { done: sql`done + 1` })
        .where('id', '=', batchId)
        .execute();
    });
  }
}
