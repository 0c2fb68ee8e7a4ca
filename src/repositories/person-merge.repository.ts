import { sql, type Kysely } from 'kysely';
import type { DB, PersonMergeRow } from '../db/tables.js';
import { lockPeople, refreshPeople } from './people-write.js';

/** Why a merge or its undo cannot be done, for the service to turn into a client error. */
export type MergeRefusal =
  | { reason: 'inactive'; personId: number }
  | { reason: 'same-photo'; imageId: number }
  | { reason: 'already-undone' }
  | { reason: 'target-merged'; personId: number };

/**
 * The `person_merges` history: merging moves every face of the merged people
 * into one, records where each face was and who had put it there, and keeps
 * the merged people's rows (marked `merged_into_id`) so that an undo restores
 * them with their ids, names and faces.
 */
export class PersonMergeRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(ownerId: number, id: number): Promise<PersonMergeRow | undefined> {
    return this.db
      .selectFrom('person_merges')
      .selectAll('person_merges')
      .innerJoin('people', 'people.id', 'person_merges.into_person_id')
      .where('people.owner_id', '=', ownerId)
      .where('person_merges.id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Merges `from` into `into` in one transaction. All their faces become
   * user-confirmed members of `into`; `into` takes the first name among them
   * if it has none. Refused when a person is missing or already merged, or
   * when two of them have faces in one photo. Only the owner's people exist here.
   */
  async merge(ownerId: number, into: number, from: readonly number[]): Promise<PersonMergeRow | MergeRefusal> {
    return this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      const ids = [into, ...from];
      const people = await trx.selectFrom('people').selectAll().where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
      for (const id of ids) {
        const p = people.find((row) => row.id === id);
        if (!p || p.merged_into_id !== null) return { reason: 'inactive', personId: id } as const;
      }
      const clash = await sql<{ image_id: number }>`
        SELECT f.image_id FROM face_people fp JOIN faces f ON f.id = fp.face_id
        WHERE fp.person_id = ANY(${ids}::bigint[])
        GROUP BY f.image_id HAVING count(DISTINCT fp.person_id) > 1 LIMIT 1`.execute(trx);
      if (clash.rows.length > 0) return { reason: 'same-photo', imageId: Number(clash.rows[0].image_id) } as const;

      const target = people.find((p) => p.id === into)!;
      const adopted = target.name ?? from.map((id) => people.find((p) => p.id === id)!.name).find((n) => n !== null) ?? null;
      const merge = await trx
        .insertInto('person_merges')
        .values({
          into_person_id: into,
          from_person_ids: JSON.stringify(from),
          previous: JSON.stringify({
            name: target.name,
            hidden: target.hidden,
            thumbnailFaceId: target.thumbnail_face_id,
            thumbnailByUser: target.thumbnail_by_user,
          }),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await sql`
        INSERT INTO person_merge_faces (merge_id, face_id, person_id, assigned_by)
        SELECT ${merge.id}, face_id, person_id, assigned_by FROM face_people WHERE person_id = ANY(${ids}::bigint[])`.execute(trx);
      await sql`
        UPDATE face_people SET person_id = ${into}, assigned_by = 'user', updated_at = now()
        WHERE person_id = ANY(${ids}::bigint[])`.execute(trx);
      await trx
        .updateTable('people')
        .set({ merged_into_id: into, updated_at: new Date() })
        .where('id', 'in', [...from])
        .execute();
      await trx.updateTable('people').set({ name: adopted, updated_at: new Date() }).where('id', '=', into).execute();
      await refreshPeople(trx, ids);
      return merge;
    });
  }

  /**
   * Takes a merge back: the merged people return with their names, and each
   * face still in the surviving person returns to where it was, with the same
   * user-or-machine mark. Faces moved elsewhere since stay where the user put
   * them. Refused once undone, or while the surviving person is itself merged
   * into another (undo that later merge first).
   */
  async undo(ownerId: number, mergeId: number): Promise<PersonMergeRow | MergeRefusal | undefined> {
    return this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      const merge = await trx
        .selectFrom('person_merges')
        .selectAll()
        .where('id', '=', mergeId)
        .where('into_person_id', 'in', (eb) => eb.selectFrom('people').select('id').where('owner_id', '=', ownerId))
        .forUpdate()
        .executeTakeFirst();
      if (!merge) return undefined;
      if (merge.undone_at !== null) return { reason: 'already-undone' } as const;
      const into = await trx
        .selectFrom('people')
        .select(['id', 'name', 'merged_into_id'])
        .where('id', '=', merge.into_person_id)
        .executeTakeFirstOrThrow();
      if (into.merged_into_id !== null) return { reason: 'target-merged', personId: into.merged_into_id } as const;
      const from = merge.from_person_ids;
      await trx.updateTable('people').set({ merged_into_id: null, updated_at: new Date() }).where('id', 'in', from).execute();
      await sql`
        UPDATE face_people fp SET person_id = mf.person_id, assigned_by = mf.assigned_by, updated_at = now()
        FROM person_merge_faces mf
        WHERE mf.merge_id = ${mergeId} AND fp.face_id = mf.face_id AND fp.person_id = ${merge.into_person_id}`.execute(trx);
      const previous = merge.previous;
      // The name goes back only if the merge gave it (a rename since is the user's newer word).
      const name = previous.name === null && into.name !== null && isNameOfAny(into.name, await namesOf(trx, from)) ? null : into.name;
      await trx
        .updateTable('people')
        .set({
          name,
          hidden: previous.hidden,
          thumbnail_face_id: previous.thumbnailFaceId,
          thumbnail_by_user: previous.thumbnailByUser,
          updated_at: new Date(),
        })
        .where('id', '=', merge.into_person_id)
        .execute();
      const undone = await trx
        .updateTable('person_merges')
        .set({ undone_at: new Date() })
        .where('id', '=', mergeId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await refreshPeople(trx, [merge.into_person_id, ...from]);
      return undone;
    });
  }
}

async function namesOf(trx: Kysely<DB>, ids: number[]): Promise<(string | null)[]> {
  if (ids.length === 0) return [];
  return (await trx.selectFrom('people').select('name').where('id', 'in', ids).execute()).map((r) => r.name);
}

function isNameOfAny(name: string, names: (string | null)[]): boolean {
  return names.includes(name);
}
