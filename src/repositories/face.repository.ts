import { sql, type Kysely } from 'kysely';
import type { DB, FaceRow } from '../db/tables.js';
import { faceCandidates, reRanked } from '../db/knn.js';
import { fromVectorText, toVectorSql } from '../db/vector.js';
import { FACE_COLUMNS } from './face-columns.js';
import { POOR_QUALITY } from '../vision/face-quality.js';

export { FACE_COLUMNS } from './face-columns.js';

export interface NearestQuery {
  /** Only this owner's faces are candidates. */
  ownerId: number;
  embedding: ArrayLike<number>;
  limit: number;
  maxDistance?: number;
  albumId?: number;
  excludeFaceId?: number;
}

export interface FaceDistance {
  face: FaceRow;
  distance: number;
}

/**
 * The `faces` table and its vector search. k-NN runs inside PostgreSQL on the
 * HNSW cosine index; vectors are never pulled into Node to be compared. Reads
 * by id name the owner, and every search filters on it.
 */
export class FaceRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(ownerId: number, id: number): Promise<FaceRow | undefined> {
    return this.db.selectFrom('faces').select(FACE_COLUMNS).where('owner_id', '=', ownerId).where('id', '=', id).executeTakeFirst();
  }

  findByIds(ownerId: number, ids: readonly number[]): Promise<FaceRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('faces').select(FACE_COLUMNS).where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
  }

  /** Faces of images the caller already holds (and so owns). */
  listByImageIds(imageIds: readonly number[]): Promise<FaceRow[]> {
    if (imageIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('faces').select(FACE_COLUMNS).where('image_id', 'in', imageIds).orderBy('id').execute();
  }

  listByAlbumAfter(albumId: number, afterId: number, limit: number): Promise<FaceRow[]> {
    return this.db
      .selectFrom('faces')
      .select(FACE_COLUMNS)
      .where('album_id', '=', albumId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async embedding(ownerId: number, id: number): Promise<number[] | undefined> {
    const row = await this.db
      .selectFrom('faces')
      .select(sql<string>`embedding::text`.as('embedding'))
      .where('owner_id', '=', ownerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? fromVectorText(row.embedding) : undefined;
  }

  /** Cosine distance between two stored faces (ids the caller owns), computed by pgvector. */
  async distanceBetween(a: number, b: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('faces as a')
      .innerJoin('faces as b', (j) => j.on('b.id', '=', b))
      .select(sql<number>`a.embedding <=> b.embedding`.as('distance'))
      .where('a.id', '=', a)
      .executeTakeFirst();
    return row ? Number(row.distance) : undefined;
  }

  /**
   * The `limit` nearest faces by cosine distance, through the k-NN helper (db/knn.ts): candidates
   * from the HNSW index, re-ranked by exact distance; `maxDistance` applies after the top-k is
   * chosen, so the index is always used. No other owner's face can be a result, however near.
   */
  async nearest(q: NearestQuery): Promise<FaceDistance[]> {
    let candidates = faceCandidates(this.db, q.ownerId, toVectorSql(q.embedding), q.limit).select(FACE_COLUMNS);
    if (q.albumId !== undefined) candidates = candidates.where('album_id', '=', q.albumId);
    if (q.excludeFaceId !== undefined) candidates = candidates.where('id', '!=', q.excludeFaceId);
    // Poor faces (small, blurred, faded: vision/face-quality.ts) come after the others, nearest first in each.
    let outer = reRanked(this.db, candidates, q.limit, sql`coalesce(nn.quality, 1) < ${POOR_QUALITY}`);
    if (q.maxDistance !== undefined) outer = outer.where(sql`nn.distance`, '<=', q.maxDistance);
    const rows = await outer.execute();
    return rows.map(({ distance, ...face }) => ({ face: face as FaceRow, distance: Number(distance) }));
  }
}
