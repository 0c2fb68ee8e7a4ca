import type { Kysely } from 'kysely';
import type { AlbumRow, DB } from '../db/tables.js';

export interface AlbumStats {
  imageCount: number;
  faceCount: number;
}

/** The `albums` table. */
export class AlbumRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(name: string): Promise<AlbumRow> {
    return this.db.insertInto('albums').values({ name }).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: number): Promise<AlbumRow | undefined> {
    return this.db.selectFrom('albums').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Albums in creation order after the `afterId` cursor; asks for one extra row to know if there is a next page. */
  listAfter(afterId: number, limit: number): Promise<AlbumRow[]> {
    return this.db.selectFrom('albums').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
  }

  async stats(id: number): Promise<AlbumStats> {
    const row = await this.db
      .selectNoFrom((eb) => [
        eb.selectFrom('images').where('album_id', '=', id).select(eb.fn.countAll<number>().as('n')).as('imageCount'),
        eb.selectFrom('faces').where('album_id', '=', id).select(eb.fn.countAll<number>().as('n')).as('faceCount'),
      ])
      .executeTakeFirstOrThrow();
    return { imageCount: Number(row.imageCount), faceCount: Number(row.faceCount) };
  }

  /** Deletes the album (cascading to images, faces, batches); returns whether it existed. */
  async delete(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('albums').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
