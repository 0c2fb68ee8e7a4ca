import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/tables.js';
import { lockPeople, refreshPeople } from './people-write.js';

/**
 * The write of a clustering run (`ClusteringRepository.apply`): its assignments, new people and dissolved
 * people's dismissals in one transaction under the people lock, never overwriting an assignment a user made
 * while the run computed.
 */

/** Face ids a statement takes at most, in pages of `ANY(array)` (as the repository's reads). */
const PAGE = 20_000;

/** What a clustering run changes, for {@link applyClusteringChanges}. */
export interface ClusteringChanges {
  /** The owner of the run's scope: people it creates are theirs. */
  ownerId: number;
  /** Faces to put in an existing person. */
  assign: { faceId: number; personId: number }[];
  /** Machine-made assignments to drop: the face is nobody for now. */
  unassign: number[];
  /** New people: their faces and the face that represents them. */
  create: { faceIds: number[]; thumbnailFaceId: number }[];
  /** People whose faces changed (for the cached counts, centroids and thumbnails). */
  touched: number[];
  /**
   * Machine-made people the run dissolves, each with the person that takes
   * most of its faces (an existing one, or the `created`-th of `create`):
   * their "not the same person" pairs pass to it.
   */
  successors: { personId: number; to: { personId: number } | { created: number } }[];
  /**
   * Whether machine-made assignments written since the run read its faces may
   * be replaced (a full run); an incremental run only places faces that are
   * still nobody's, so two of them racing (two worker processes) cannot undo
   * each other.
   */
  replaceMachine: boolean;
}

/** Writes a clustering run's outcome in one transaction; returns the ids of the people created. */
export async function applyClusteringChanges(db: Kysely<DB>, changes: ClusteringChanges): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await lockPeople(trx);
    const created: number[] = [];
    /** Per entry of `create`, the new person's id (undefined where it was not made). */
    const createdIds: (number | undefined)[] = [];
    const assign = [...changes.assign];
    if (changes.create.length > 0) {
      const rows = await sql<{ id: number; thumbnail_face_id: number }>`
        INSERT INTO people (owner_id, thumbnail_face_id)
        SELECT ${changes.ownerId}, f FROM unnest(${changes.create.map((p) => p.thumbnailFaceId)}::bigint[]) AS t(f)
        WHERE EXISTS (SELECT 1 FROM faces WHERE faces.id = t.f)
        RETURNING id, thumbnail_face_id`.execute(trx);
      const idOf = new Map(rows.rows.map((r) => [Number(r.thumbnail_face_id), Number(r.id)]));
      for (const person of changes.create) {
        // Its representative face was deleted while the run computed: the next run will place these faces.
        const id = idOf.get(person.thumbnailFaceId);
        createdIds.push(id);
        if (id === undefined) continue;
        created.push(id);
        for (const faceId of person.faceIds) assign.push({ faceId, personId: id });
      }
    }
    // Whoever holds these faces now (another process may have written since this run read them)
    // gets its cached counts refreshed too.
    const faceIds = [...changes.unassign, ...assign.map((a) => a.faceId)];
    const holders: number[] = [];
    for (let i = 0; i < faceIds.length; i += PAGE) {
      const rows = await sql<{ person_id: number }>`
        SELECT DISTINCT person_id FROM face_people WHERE face_id = ANY(${faceIds.slice(i, i + PAGE)}::bigint[]) AND person_id IS NOT NULL`.execute(
        trx,
      );
      for (const r of rows.rows) holders.push(Number(r.person_id));
    }
    for (let i = 0; i < changes.unassign.length; i += PAGE) {
      const ids = changes.unassign.slice(i, i + PAGE);
      await sql`DELETE FROM face_people WHERE face_id = ANY(${ids}::bigint[]) AND assigned_by = 'machine'`.execute(trx);
    }
    for (let i = 0; i < assign.length; i += PAGE) {
      const page = assign.slice(i, i + PAGE);
      // A user's assignment made while the run computed wins over the run's.
      await sql`
        INSERT INTO face_people (face_id, person_id, assigned_by)
        SELECT f, p, 'machine' FROM unnest(${page.map((a) => a.faceId)}::bigint[], ${page.map((a) => a.personId)}::bigint[]) AS t(f, p)
        WHERE EXISTS (SELECT 1 FROM people WHERE people.id = t.p AND people.merged_into_id IS NULL)
          AND EXISTS (SELECT 1 FROM faces WHERE faces.id = t.f)
        ON CONFLICT (face_id) DO UPDATE SET person_id = EXCLUDED.person_id, updated_at = now()
        WHERE face_people.assigned_by = 'machine' AND ${changes.replaceMachine}::boolean`.execute(trx);
    }
    for (const s of changes.successors) {
      const to = 'personId' in s.to ? s.to.personId : createdIds[s.to.created];
      if (to !== undefined) await passDismissals(trx, s.personId, to);
    }
    await refreshPeople(trx, [...changes.touched, ...holders, ...created]);
    return created;
  });
}

/** Copies the "not the same person" pairs of `from` to `to` (the rows of `from` go with it when it is deleted). */
async function passDismissals(trx: Kysely<DB>, from: number, to: number): Promise<void> {
  await sql`
    INSERT INTO person_dismissals (person_a_id, person_b_id)
    SELECT least(other, ${to}::bigint), greatest(other, ${to}::bigint) FROM (
      SELECT CASE WHEN person_a_id = ${from} THEN person_b_id ELSE person_a_id END AS other
      FROM person_dismissals WHERE person_a_id = ${from} OR person_b_id = ${from}) d
    WHERE other <> ${to}
    ON CONFLICT DO NOTHING`.execute(trx);
}
