import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { faceCandidates, reRanked, withEfSearch } from '../db/knn.js';
import type { DB, FaceRow, PersonRow } from '../db/tables.js';
import { fromVectorText } from '../db/vector.js';
import { FACE_COLUMNS as FACE_COLUMN_NAMES } from './face.repository.js';
import { faceGender, personGender } from './gender-sql.js';
import { lockPeople, pinFaces, refreshPeople } from './people-write.js';

const PERSON_COLUMNS = [
  'people.id',
  'people.owner_id',
  'people.name',
  'people.hidden',
  'people.thumbnail_face_id',
  'people.thumbnail_by_user',
  'people.face_count',
  'people.merged_into_id',
  'people.created_at',
  'people.updated_at',
  sql<string | null>`to_char(people.birth_date, 'YYYY-MM-DD')`.as('birth_date'),
] as const;

/** face.repository's FACE_COLUMNS, qualified for joins. */
const FACE_COLUMNS = FACE_COLUMN_NAMES.map((c) => `faces.${c}` as const);

/** Which person a face is, and who said so. */
export interface FaceAssignment {
  faceId: number;
  personId: number | null;
  assignedBy: 'machine' | 'user';
}

export interface PersonSearch {
  /** Case-insensitive substring of the name; people without a name never match. */
  name?: string;
  includeHidden: boolean;
}

/**
 * The `people` table and the `face_people` assignments as users see and edit
 * them. Bulk writes of clustering runs are in ClusteringRepository; merges in
 * PersonMergeRepository. Reads name the owner; writes take ids the service
 * has already found among the owner's.
 */
export class PersonRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(ownerId: number, id: number): Promise<PersonRow | undefined> {
    return this.db
      .selectFrom('people')
      .select(PERSON_COLUMNS)
      .where('people.owner_id', '=', ownerId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByIds(ownerId: number, ids: readonly number[]): Promise<PersonRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('people').select(PERSON_COLUMNS).where('people.owner_id', '=', ownerId).where('id', 'in', ids).execute();
  }

  /** People with at least one face in the album, most faces first. */
  listByAlbum(ownerId: number, albumId: number, includeHidden: boolean): Promise<PersonRow[]> {
    let q = this.db
      .selectFrom('people')
      .select(PERSON_COLUMNS)
      .where('people.owner_id', '=', ownerId)
      .where('people.merged_into_id', 'is', null)
      .where(hasFaceInAlbum(albumId))
      .orderBy('people.face_count', 'desc')
      .orderBy('people.id');
    if (!includeHidden) q = q.where('people.hidden', '=', false);
    return q.execute();
  }

  /**
   * The album's people a merge could be suggested for, in id order: active,
   * shown, with a face in the album, each with its cached centroid (the mean
   * of all its faces' unit embeddings).
   */
  async mergeCandidates(ownerId: number, albumId: number): Promise<{ person: PersonRow; centroid: number[] }[]> {
    const rows = await this.db
      .selectFrom('people')
      .select(PERSON_COLUMNS)
      .select(sql<string>`people.centroid::text`.as('centroid'))
      .where('people.owner_id', '=', ownerId)
      .where('people.merged_into_id', 'is', null)
      .where('people.hidden', '=', false)
      .where('people.face_count', '>', 0)
      .where('people.centroid', 'is not', null)
      .where(hasFaceInAlbum(albumId))
      .orderBy('people.id')
      .execute();
    return rows.map(({ centroid, ...person }) => ({ person, centroid: fromVectorText(centroid) }));
  }

  /** Of these pairs of people, those with faces in one photo (so not one person: a merge would be refused). */
  async pairsSharingAPhoto(pairs: readonly (readonly [number, number])[]): Promise<[number, number][]> {
    if (pairs.length === 0) return [];
    const { rows } = await sql<{ a: number; b: number }>`
      SELECT t.a, t.b FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::bigint[]) AS t(a, b)
      WHERE EXISTS (
        SELECT 1 FROM face_people fa
        JOIN faces f ON f.id = fa.face_id
        JOIN faces g ON g.image_id = f.image_id AND g.id <> f.id
        JOIN face_people fb ON fb.face_id = g.id
        WHERE fa.person_id = t.a AND fb.person_id = t.b)`.execute(this.db);
    return rows.map((r) => [Number(r.a), Number(r.b)]);
  }

  /**
   * Of these pairs of people, those whose merge would hold a face of a photo taken before one of
   * the two's birth date (so not to be suggested).
   */
  async pairsAcrossBirthDate(pairs: readonly (readonly [number, number])[]): Promise<[number, number][]> {
    if (pairs.length === 0) return [];
    const { rows } = await sql<{ a: number; b: number }>`
      SELECT t.a, t.b FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::bigint[]) AS t(a, b)
      WHERE EXISTS (
        SELECT 1 FROM (VALUES (t.a, t.b), (t.b, t.a)) AS v(born, other)
        JOIN people p ON p.id = v.born AND p.birth_date IS NOT NULL
        JOIN face_people fp ON fp.person_id = v.other
        JOIN faces f ON f.id = fp.face_id
        JOIN images i ON i.id = f.image_id
        WHERE i.taken_at < p.birth_date)`.execute(this.db);
    return rows.map((r) => [Number(r.a), Number(r.b)]);
  }

  /** Of these pairs of people, those confidently of opposite genders (so not to be suggested). */
  async pairsOfOppositeGenders(pairs: readonly (readonly [number, number])[]): Promise<[number, number][]> {
    if (pairs.length === 0) return [];
    const { rows } = await sql<{ a: number; b: number }>`
      SELECT t.a, t.b FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::bigint[]) AS t(a, b)
      JOIN people pa ON pa.id = t.a
      JOIN people pb ON pb.id = t.b
      WHERE ${personGender('pa')} * ${personGender('pb')} = -1`.execute(this.db);
    return rows.map((r) => [Number(r.a), Number(r.b)]);
  }

  /** People of the owner's whole library in id order after the cursor, optionally by name. */
  searchAfter(ownerId: number, search: PersonSearch, afterId: number, limit: number): Promise<PersonRow[]> {
    let q = this.db
      .selectFrom('people')
      .select(PERSON_COLUMNS)
      .where('people.owner_id', '=', ownerId)
      .where('people.merged_into_id', 'is', null)
      .where('people.face_count', '>', 0)
      .where('people.id', '>', afterId)
      .orderBy('people.id')
      .limit(limit);
    if (!search.includeHidden) q = q.where('people.hidden', '=', false);
    if (search.name !== undefined) q = q.where('people.name', 'ilike', `%${escapeLike(search.name)}%`);
    return q.execute();
  }

  facesOfPersonAfter(ownerId: number, personId: number, afterId: number, limit: number): Promise<FaceRow[]> {
    return this.db
      .selectFrom('face_people')
      .innerJoin('faces', 'faces.id', 'face_people.face_id')
      .select(FACE_COLUMNS)
      .where('faces.owner_id', '=', ownerId)
      .where('face_people.person_id', '=', personId)
      .where('faces.id', '>', afterId)
      .orderBy('faces.id')
      .limit(limit)
      .execute();
  }

  /** Faces of the album that are nobody yet (never placed, or taken out of a person by a user). */
  unassignedFacesAfter(ownerId: number, albumId: number, afterId: number, limit: number): Promise<FaceRow[]> {
    return this.db
      .selectFrom('faces')
      .select(FACE_COLUMNS)
      .where('faces.owner_id', '=', ownerId)
      .where('faces.album_id', '=', albumId)
      .where('faces.id', '>', afterId)
      .where(isUnassigned)
      .orderBy('faces.id')
      .limit(limit)
      .execute();
  }

  async assignmentsOf(faceIds: readonly number[]): Promise<FaceAssignment[]> {
    if (faceIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('face_people')
      .select(['face_id', 'person_id', 'assigned_by'])
      .where('face_id', 'in', faceIds)
      .execute();
    return rows.map((r) => ({ faceId: r.face_id, personId: r.person_id, assignedBy: r.assigned_by }));
  }

  /** Another face of the person in the same photo as `faceId`, if there is one. */
  async faceInSamePhoto(personId: number, faceId: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('faces as f')
      .innerJoin('faces as other', 'other.image_id', 'f.image_id')
      .innerJoin('face_people as fp', 'fp.face_id', 'other.id')
      .select('other.id')
      .where('f.id', '=', faceId)
      .where('other.id', '!=', faceId)
      .where('fp.person_id', '=', personId)
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * Unassigned faces nearest to a person, with their mean cosine distance to
   * the person's faces (`1 - e·centroid`). Ordered on the faces' HNSW index by
   * cosine distance to the centroid, which for one person ranks faces exactly
   * as the mean distance does; faces sharing a photo with the person are left out,
   * and so are faces a user said are not this person, and other owners' faces.
   */
  async suggestions(ownerId: number, personId: number, limit: number, albumId?: number): Promise<{ face: FaceRow; distance: number }[]> {
    return withEfSearch(this.db, { atLeast: limit }, async (trx) => {
      const centroid = sql`(SELECT centroid FROM people WHERE id = ${personId})`;
      // The mean distance to the person's faces, not the cosine distance to the (shorter than unit) centroid.
      const meanDistance = sql<number>`1 + (faces.embedding <#> ${centroid})`;
      let inner = faceCandidates(trx, ownerId, centroid, limit, meanDistance)
        .select(FACE_COLUMNS)
        .where(isUnassigned)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('faces as other')
                .innerJoin('face_people', 'face_people.face_id', 'other.id')
                .whereRef('other.image_id', '=', 'faces.image_id')
                .where('face_people.person_id', '=', personId)
                .select(sql`1`.as('one')),
            ),
          ),
        )
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('face_person_rejections as r')
                .whereRef('r.face_id', '=', 'faces.id')
                .where('r.person_id', '=', personId)
                .select(sql`1`.as('one')),
            ),
          ),
        )
        // A photo taken before the person was born is not of them.
        .where(
          sql<boolean>`NOT EXISTS (SELECT 1 FROM images i, people p WHERE i.id = faces.image_id AND p.id = ${personId} AND i.taken_at < p.birth_date)`,
        )
        // Nor is a face confidently of the other gender than the person's.
        .where(
          sql<boolean>`${faceGender('faces.male_probability')} * (SELECT ${personGender('p')} FROM people p WHERE p.id = ${personId}) <> -1`,
        );
      if (albumId !== undefined) inner = inner.where('faces.album_id', '=', albumId);
      const rows = await reRanked(trx, inner, limit).execute();
      return rows.map(({ distance, ...face }) => ({ face: face as FaceRow, distance: Number(distance) }));
    });
  }

  /** Renames (or, with null, un-names) a person; naming confirms its faces, which re-clustering then keeps. */
  async rename(id: number, name: string | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      await trx.updateTable('people').set({ name, updated_at: new Date() }).where('id', '=', id).execute();
      if (name !== null) await pinFaces(trx, id);
    });
  }

  /** Hides (or shows) a person; hiding also confirms its faces, so re-clustering cannot bring them back as a new person. */
  async setHidden(id: number, hidden: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      await trx.updateTable('people').set({ hidden, updated_at: new Date() }).where('id', '=', id).execute();
      await pinFaces(trx, id);
    });
  }

  /** A user picks the thumbnail; acting on a person confirms its faces. */
  async setThumbnail(id: number, faceId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      await trx
        .updateTable('people')
        .set({ thumbnail_face_id: faceId, thumbnail_by_user: true, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      await pinFaces(trx, id);
    });
  }

  /**
   * A user puts a face in a person (or in nobody, with null). The choice is
   * final for clustering, and it confirms the receiving person: otherwise a
   * re-clustering would rebuild that person around the one face the user
   * added, and give its other faces to a new person.
   */
  async moveFace(faceId: number, personId: number | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      const before = await trx.selectFrom('face_people').select('person_id').where('face_id', '=', faceId).executeTakeFirst();
      await trx
        .insertInto('face_people')
        .values({ face_id: faceId, person_id: personId, assigned_by: 'user' })
        .onConflict((oc) => oc.column('face_id').doUpdateSet({ person_id: personId, assigned_by: 'user', updated_at: new Date() }))
        .execute();
      if (personId !== null) {
        await pinFaces(trx, personId);
        // The user's latest word wins: a face put back by hand is no longer "not this person".
        await trx.deleteFrom('face_person_rejections').where('face_id', '=', faceId).where('person_id', '=', personId).execute();
      }
      const touched = [before?.person_id, personId].filter((id): id is number => id !== null && id !== undefined);
      await refreshPeople(trx, touched);
    });
  }

  /**
   * Sets (or, with null, clears) a person's birth date. Machine-made faces of photos taken before
   * it leave the person (the rule holds for what clustering did before, too); acting on a person
   * confirms its other faces, as every user edit does.
   */
  async setBirthDate(id: number, birthDate: string | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      await trx.updateTable('people').set({ birth_date: birthDate, updated_at: new Date() }).where('id', '=', id).execute();
      if (birthDate !== null) {
        await sql`
          DELETE FROM face_people fp USING faces f, images i
          WHERE fp.person_id = ${id} AND fp.assigned_by = 'machine' AND f.id = fp.face_id AND i.id = f.image_id
            AND i.taken_at < ${birthDate}::date`.execute(trx);
      }
      await pinFaces(trx, id);
      await refreshPeople(trx, [id]);
    });
  }

  /**
   * "Not this person" for a face in no person (a suggestion answered No): only the cannot-link,
   * which clustering and every suggestion then keep.
   */
  async recordRejection(faceId: number, personId: number): Promise<void> {
    await this.db
      .insertInto('face_person_rejections')
      .values({ face_id: faceId, person_id: personId })
      .onConflict((oc) => oc.columns(['face_id', 'person_id']).doNothing())
      .execute();
  }

  /**
   * "Not this person": the face leaves the person and becomes free for
   * clustering to place elsewhere, with a cannot-link that keeps it out of
   * this person for good. Acting on a person confirms its remaining faces,
   * as every user edit does, so that re-clustering keeps the person as the
   * user now sees it.
   */
  async rejectFace(faceId: number, personId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      await trx.deleteFrom('face_people').where('face_id', '=', faceId).where('person_id', '=', personId).execute();
      await trx
        .insertInto('face_person_rejections')
        .values({ face_id: faceId, person_id: personId })
        .onConflict((oc) => oc.columns(['face_id', 'person_id']).doNothing())
        .execute();
      await pinFaces(trx, personId);
      await refreshPeople(trx, [personId]);
    });
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A face that is nobody yet: no assignment names a person (never placed, or taken out by a user). */
function isUnassigned(eb: ExpressionBuilder<DB, 'faces'>) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('face_people')
        .whereRef('face_people.face_id', '=', 'faces.id')
        .where('face_people.person_id', 'is not', null)
        .select(sql`1`.as('one')),
    ),
  );
}

/** The person has a face in the album. */
function hasFaceInAlbum(albumId: number) {
  return ({ exists, selectFrom }: ExpressionBuilder<DB, 'people'>) =>
    exists(
      selectFrom('face_people')
        .innerJoin('faces', 'faces.id', 'face_people.face_id')
        .whereRef('face_people.person_id', '=', 'people.id')
        .where('faces.album_id', '=', albumId)
        .select(sql`1`.as('one')),
    );
}
