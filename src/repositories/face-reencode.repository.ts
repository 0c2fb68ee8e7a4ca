import type { ExpressionBuilder, Kysely } from 'kysely';
import type { DB, FaceRow } from '../db/tables.js';
import { FACE_COLUMNS, type FaceMeasurement, measuredColumns } from './face-columns.js';
import { lockPeople, refreshPeople } from './people-write.js';

export interface FaceReencoding extends FaceMeasurement {
  id: number;
}

/**
 * A face the running pipeline would measure otherwise: embedded by another model, or stored before the
 * pipeline measured P(male) (its embedding is current, but clustering's gender cannot-link needs the value).
 */
function stale(model: string) {
  return (eb: ExpressionBuilder<DB, 'faces'>) => eb.or([eb('model', '<>', model), eb('male_probability', 'is', null)]);
}

/**
 * The `faces` queries of a model change: which faces were embedded by another
 * model than the running one, and rewriting them in place. Rows are updated,
 * never replaced, so face ids — and whatever points at them (people, names) —
 * survive. (Kept apart from FaceRepository, which serves the read paths.)
 */
export class FaceReencodeRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Ids of images having a face that is stale under `model` ({@link stale}), in id order, after `afterId`. */
  async imagesWithOtherModel(
    ownerId: number,
    model: string,
    albumId: number | undefined,
    afterId: number,
    limit: number,
  ): Promise<number[]> {
    let q = this.db
      .selectFrom('faces')
      .select('image_id')
      .distinct()
      .where('owner_id', '=', ownerId)
      .where(stale(model))
      .where('image_id', '>', afterId)
      .orderBy('image_id')
      .limit(limit);
    if (albumId !== undefined) q = q.where('album_id', '=', albumId);
    return (await q.execute()).map((r) => r.image_id);
  }

  async countOtherModel(ownerId: number, model: string, albumId?: number): Promise<number> {
    let q = this.db
      .selectFrom('faces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_id', '=', ownerId)
      .where(stale(model));
    if (albumId !== undefined) q = q.where('album_id', '=', albumId);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  facesWithOtherModel(imageId: number, model: string): Promise<FaceRow[]> {
    return this.db.selectFrom('faces').select(FACE_COLUMNS).where('image_id', '=', imageId).where(stale(model)).orderBy('id').execute();
  }

  /**
   * Rewrites the faces' geometry and embedding under `model`, all in one transaction, and refreshes the people
   * they are in (their centroids and gender counts follow the new values).
   */
  async reencode(faces: FaceReencoding[], model: string): Promise<void> {
    if (faces.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      for (const f of faces) {
        await trx
          .updateTable('faces')
          .set({ ...measuredColumns(f), model })
          .where('id', '=', f.id)
          .execute();
      }
      const people = await trx
        .selectFrom('face_people')
        .select('person_id')
        .distinct()
        .where(
          'face_id',
          'in',
          faces.map((f) => f.id),
        )
        .where('person_id', 'is not', null)
        .execute();
      await refreshPeople(
        trx,
        people.map((p) => p.person_id!),
      );
    });
  }
}
