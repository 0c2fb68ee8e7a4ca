import type { Kysely } from 'kysely';
import type { AlbumRow, DB } from '../db/tables.js';

export interface AlbumStats {
  imageCount: number;
  faceCount: number;
}

/**
 * The `albums` table. Every lookup names the owner: another owner's album is
 * simply not there.
 */
export class AlbumRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(ownerId: number, name: string): Promise<AlbumRow> {
    return this.db.insertInto('albums').values({ owner_id: ownerId, name }).returningAll().executeTakeFirstOrThrow();
  }

  findById(ownerId: number, id: number): Promise<AlbumRow | undefined> {
    return this.db.selectFrom('albums').selectAll().where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
  }

  /** Whose album this is, for work that runs outside any request (job workers); undefined once deleted. */
  async ownerOf(id: number): Promise<number | undefined> {
    return (await this.db.selectFrom('albums').select('owner_id').where('id', '=', id).executeTakeFirst())?.owner_id;
  }

  /** The owner's albums in creation order after the `afterId` cursor. */
  listAfter(ownerId: number, afterId: number, limit: number): Promise<AlbumRow[]> {
    return this.db
      .selectFrom('albums')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
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
  async delete(ownerId: number, id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('albums').where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
