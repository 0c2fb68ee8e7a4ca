import type { Kysely } from 'kysely';
import type { DB } from '../db/tables.js';

/** What an id can name in the API; each kind knows how to reach its owner. */
export type OwnedKind = 'album' | 'image' | 'face' | 'person' | 'batch' | 'merge' | 'folder';

/**
 * Which of a list of ids belong to an owner, one query a call whatever the
 * kind: the SQL behind `OwnerAccess`, the one owner check of the services.
 */
export class OwnershipRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async owned(kind: OwnedKind, ownerId: number, ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const wanted = [...new Set(ids)];
    const rows = await this.query(kind, ownerId, wanted).execute();
    return new Set(rows.map((r) => r.id));
  }

  private query(kind: OwnedKind, ownerId: number, ids: number[]) {
    const db = this.db;
    switch (kind) {
      case 'album':
        return db.selectFrom('albums').select('id').where('owner_id', '=', ownerId).where('id', 'in', ids);
      case 'face':
        return db.selectFrom('faces').select('id').where('owner_id', '=', ownerId).where('id', 'in', ids);
      case 'person':
        return db.selectFrom('people').select('id').where('owner_id', '=', ownerId).where('id', 'in', ids);
      case 'image':
        return db
          .selectFrom('images')
          .innerJoin('albums', 'albums.id', 'images.album_id')
          .select('images.id as id')
          .where('albums.owner_id', '=', ownerId)
          .where('images.id', 'in', ids);
      case 'batch':
        return db
          .selectFrom('ingest_batches')
          .innerJoin('albums', 'albums.id', 'ingest_batches.album_id')
          .select('ingest_batches.id as id')
          .where('albums.owner_id', '=', ownerId)
          .where('ingest_batches.id', 'in', ids);
      case 'folder':
        return db
          .selectFrom('watched_folders')
          .innerJoin('albums', 'albums.id', 'watched_folders.album_id')
          .select('watched_folders.id as id')
          .where('albums.owner_id', '=', ownerId)
          .where('watched_folders.id', 'in', ids);
      case 'merge':
        return db
          .selectFrom('person_merges')
          .innerJoin('people', 'people.id', 'person_merges.into_person_id')
          .select('person_merges.id as id')
          .where('people.owner_id', '=', ownerId)
          .where('person_merges.id', 'in', ids);
    }
  }
}
