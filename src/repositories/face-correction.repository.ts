import type { Kysely } from 'kysely';
import type { DB, FaceRow, ImageRow } from '../db/tables.js';
import { FACE_COLUMNS } from './face.repository.js';
import { faceValues, type NewFace } from './image.repository.js';
import { lockPeople, refreshPeople } from './people-write.js';

/**
 * Faces a user adds to or removes from a photo. Writes take ids the service
 * has already found among the caller's.
 */
export class FaceCorrectionRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Stores one more face of a stored image. */
  addFace(image: ImageRow, face: NewFace): Promise<FaceRow> {
    return this.db
      .insertInto('faces')
      .values(faceValues(image.id, image.album_id, face))
      .returning(FACE_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /**
   * Deletes a face for good. Its assignment, rejections and merge history
   * rows cascade; its person's cached count, centroid and thumbnail are
   * refreshed under the people lock, and a person left with no face is
   * removed by the same rule as everywhere (`refreshPeople`: unless named,
   * hidden or part of a merge, whose row is kept so its name and undo stay).
   * Returns the person the face was in, if any.
   */
  async deleteFace(faceId: number): Promise<number | null> {
    return this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      const assignment = await trx.selectFrom('face_people').select('person_id').where('face_id', '=', faceId).executeTakeFirst();
      await trx.deleteFrom('faces').where('id', '=', faceId).execute();
      const personId = assignment?.person_id ?? null;
      if (personId !== null) await refreshPeople(trx, [personId]);
      return personId;
    });
  }
}
