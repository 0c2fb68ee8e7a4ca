import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/tables.js';
import { genderCounts } from './gender-sql.js';

/**
 * The people-write protocol every repository that writes people follows: take the
 * people lock, write, then refresh the people touched (counts, centroid, gender counts,
 * thumbnail, empty machine-made people dropped). Person, clustering, merge, correction,
 * re-encode and image repositories import it.
 */

type Db = Kysely<DB> | Transaction<DB>;

/** Any fixed number: every write to people takes this transaction-scoped advisory lock, so edits and clustering runs never interleave. */
const PEOPLE_LOCK = 0x7065_6f70;

/** Serialises writers to the people tables until the transaction ends. */
export async function lockPeople(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${PEOPLE_LOCK})`.execute(trx);
}

/**
 * Recomputes the cached face count, centroid and gender counts of these people, re-picks the
 * thumbnail where the old one left the person, and deletes people left with no
 * face that nobody named, hid or merged (machine-made ones clustering dropped).
 */
export async function refreshPeople(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const list = sql`${[...new Set(ids)]}::bigint[]`;
  const gender = genderCounts('f');
  await sql`
    WITH stats AS (
      SELECT ids.id, count(f.id)::int AS n, avg(f.embedding) AS c, ${gender.male} AS male, ${gender.female} AS female
      FROM unnest(${list}) AS ids(id)
      LEFT JOIN face_people fp ON fp.person_id = ids.id
      LEFT JOIN faces f ON f.id = fp.face_id
      GROUP BY ids.id
    )
    UPDATE people p SET face_count = stats.n, centroid = stats.c, male_faces = stats.male, female_faces = stats.female,
      updated_at = now()
    FROM stats WHERE p.id = stats.id`.execute(db);
  // The face nearest the centroid is the most typical one. "+ 0" keeps the planner off the HNSW index,
  // which would filter after its approximate scan and could find no face of this person at all.
  await sql`
    UPDATE people p SET thumbnail_by_user = false, thumbnail_face_id = (
      SELECT fp.face_id FROM face_people fp JOIN faces f ON f.id = fp.face_id
      WHERE fp.person_id = p.id
      ORDER BY (f.embedding <=> p.centroid) + 0, fp.face_id
      LIMIT 1)
    WHERE p.id = ANY(${list}) AND p.merged_into_id IS NULL AND (p.thumbnail_face_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM face_people fp WHERE fp.face_id = p.thumbnail_face_id AND fp.person_id = p.id))`.execute(db);
  await sql`
    DELETE FROM people p
    WHERE p.id = ANY(${list}) AND p.face_count = 0 AND p.name IS NULL AND NOT p.hidden AND p.merged_into_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM people q WHERE q.merged_into_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM person_merges m WHERE m.into_person_id = p.id)`.execute(db);
}

/**
 * Puts a face in the owner's person of this exact name (an active one, the
 * oldest if several; created if there is none) as a user's assignment, and
 * confirms the person's faces, as moving a face by hand does. Runs inside
 * the caller's transaction, which holds the people lock.
 */
export async function assignFaceByName(trx: Transaction<DB>, ownerId: number, faceId: number, name: string): Promise<number> {
  const existing = await trx
    .selectFrom('people')
    .select('id')
    .where('owner_id', '=', ownerId)
    .where('name', '=', name)
    .where('merged_into_id', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
  const personId =
    existing?.id ?? (await trx.insertInto('people').values({ owner_id: ownerId, name }).returning('id').executeTakeFirstOrThrow()).id;
  await trx
    .insertInto('face_people')
    .values({ face_id: faceId, person_id: personId, assigned_by: 'user' })
    .onConflict((oc) => oc.column('face_id').doUpdateSet({ person_id: personId, assigned_by: 'user', updated_at: new Date() }))
    .execute();
  await pinFaces(trx, personId);
  await refreshPeople(trx, [personId]);
  return personId;
}

/** Marks all current faces of a person as confirmed by the user. */
export async function pinFaces(trx: Transaction<DB>, personId: number): Promise<void> {
  await trx
    .updateTable('face_people')
    .set({ assigned_by: 'user', updated_at: new Date() })
    .where('person_id', '=', personId)
    .where('assigned_by', '=', 'machine')
    .execute();
}
