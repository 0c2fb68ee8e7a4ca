import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { GenderCounts } from '../clustering/gender-evidence.js';
import { genderCounts } from './gender-sql.js';
import type { DB } from '../db/tables.js';
import { EMBEDDING_DIMENSIONS, fromVectorText } from '../db/vector.js';
import { activeDismissals } from './person-dismissal.repository.js';
import { applyClusteringChanges, type ClusteringChanges } from './clustering-write.js';
import { exactDistance, indexedDistance, withEfSearch } from '../db/knn.js';

/** Which faces a clustering run may place. */
export interface ClusteringScope {
  /** Whose faces and people: a run never looks beyond one owner's library. */
  ownerId: number;
  /** One album, or the owner's whole library when null. */
  albumId: number | null;
  /**
   * `full`: every machine-made assignment in scope is recomputed.
   * `incremental`: only faces that are nobody yet are placed; every assignment stays.
   */
  mode: 'full' | 'incremental';
  /** Only these faces may be placed (new photos' faces and the faces near them); undefined: every face in scope. */
  faceIds?: readonly number[];
  /** An incremental run's faces may join only these people (those near them); undefined: any person. */
  personIds?: readonly number[];
}

/** New photos by how they came: ingestion batches (whichever process stored each photo) and single photos. */
export interface NewPhotos {
  batchIds: readonly number[];
  imageIds: readonly number[];
}

/** What lies near new faces, by the k-NN index: faces still nobody's, and the people of the others. */
export interface Neighbourhood {
  faces: number[];
  people: number[];
}

/** The faces a run places, packed for the clustering code. */
export interface FreeFaces {
  ids: number[];
  imageIds: number[];
  /** Unit embeddings, `EMBEDDING_DIMENSIONS` floats per face. */
  embeddings: Float32Array;
  /** The machine-made person each face had before the run, or null. */
  previous: (number | null)[];
  /** Shorter side of each face's box, in photo pixels. */
  sizes: number[];
  /** Each face's quality (vision/face-quality.ts), null if stored before it was measured. */
  qualities: (number | null)[];
  /** Each face's P(male) (age/gender net), null if stored before it was measured. */
  maleProbabilities: (number | null)[];
  /** People (active ones: a rejected person merged since is its merge target) each face may never join. */
  rejected: number[][];
}

/** An existing person as the run sees it: the faces it keeps whatever happens. */
export interface StayingPerson {
  personId: number;
  count: number;
  sum: number[];
  /** Photos of its kept faces that also hold a face being placed. */
  imageIds: number[];
  /** Its kept faces the age/gender net is confident of, either way. */
  gender: GenderCounts;
}

const PAGE = 20_000;

/**
 * Bulk reads and writes of clustering runs over `faces`, `face_people` and
 * `people`. Reads are paged by face id; writes go in one transaction under
 * the people lock, and never overwrite an assignment a user made meanwhile
 * (`applyClusteringChanges`, clustering-write.ts).
 */
export class ClusteringRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The faces nobody's yet (no assignment at all) of these photos, and of the photos of these ingestion batches. */
  async unassignedFacesOf(ownerId: number, photos: NewPhotos): Promise<number[]> {
    if (photos.batchIds.length === 0 && photos.imageIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('faces')
      .leftJoin('face_people', 'face_people.face_id', 'faces.id')
      .select('faces.id')
      .where('faces.owner_id', '=', ownerId)
      // One array of photos, so that the lookup walks faces' image index (an OR of the two would scan them all).
      .where(
        'faces.image_id',
        '=',
        sql<number>`any(array(SELECT image_id FROM ingest_items WHERE batch_id = any(${[...photos.batchIds]}::bigint[]) AND image_id IS NOT NULL) || ${[...photos.imageIds]}::bigint[])`,
      )
      .where('face_people.face_id', 'is', null)
      .orderBy('faces.id')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * The owner's faces among each face's `k` nearest (by the HNSW index, one
   * lateral scan a face) within `maxDistance`: those nobody's yet, and the
   * people of the others. A face a user made "nobody" is neither.
   */
  async nearbyFaces(ownerId: number, faceIds: readonly number[], k: number, maxDistance: number): Promise<Neighbourhood> {
    if (faceIds.length === 0) return { faces: [], people: [] };
    // A neighbourhood, not a search result: fewer candidates a scan keep a thousand scans within seconds.
    return withEfSearch(this.db, { exactly: Math.max(40, k) }, async (trx) => {
      const { rows } = await sql<{ id: number; person_id: number | null; assigned: boolean }>`
        SELECT DISTINCT n.id, fp.person_id, fp.face_id IS NOT NULL AS assigned
        FROM faces q
        CROSS JOIN LATERAL (
          SELECT f.id, ${exactDistance('f.embedding', sql.ref('q.embedding'))} AS distance FROM faces f
          WHERE f.owner_id = ${ownerId} AND f.id <> q.id
          ORDER BY ${indexedDistance('f.embedding', sql.ref('q.embedding'))}
          LIMIT ${k}
        ) n
        LEFT JOIN face_people fp ON fp.face_id = n.id
        WHERE q.id = ANY(${[...faceIds]}::bigint[]) AND q.owner_id = ${ownerId} AND n.distance <= ${maxDistance}`.execute(trx);
      const faces = new Set<number>();
      const people = new Set<number>();
      for (const r of rows) {
        if (!r.assigned) faces.add(Number(r.id));
        else if (r.person_id !== null) people.add(Number(r.person_id));
      }
      return { faces: [...faces], people: [...people] };
    });
  }

  /**
   * Faces the run may place: in `full` mode all faces in scope except those a
   * user placed (or took out of every person); in `incremental` mode only
   * faces with no assignment at all.
   */
  async freeFaces(scope: ClusteringScope): Promise<FreeFaces> {
    const ids: number[] = [];
    const imageIds: number[] = [];
    const previous: (number | null)[] = [];
    const sizes: number[] = [];
    const qualities: (number | null)[] = [];
    const maleProbabilities: (number | null)[] = [];
    const chunks: Float32Array[] = [];
    let after = 0;
    for (;;) {
      let q = this.db
        .selectFrom('faces')
        .leftJoin('face_people', 'face_people.face_id', 'faces.id')
        .select([
          'faces.id',
          'faces.image_id',
          'faces.box_width',
          'faces.box_height',
          'faces.quality',
          'faces.male_probability',
          'face_people.person_id',
          sql<string>`faces.embedding::text`.as('embedding'),
        ])
        .where('faces.owner_id', '=', scope.ownerId)
        .where('faces.id', '>', after)
        .orderBy('faces.id')
        .limit(PAGE);
      if (scope.albumId !== null) q = q.where('faces.album_id', '=', scope.albumId);
      if (scope.faceIds) q = q.where('faces.id', '=', sql<number>`any(${[...scope.faceIds]}::bigint[])`);
      q =
        scope.mode === 'full'
          ? q.where((eb) => eb.or([eb('face_people.face_id', 'is', null), eb('face_people.assigned_by', '=', 'machine')]))
          : q.where('face_people.face_id', 'is', null);
      const rows = await q.execute();
      if (rows.length === 0) break;
      const chunk = new Float32Array(rows.length * EMBEDDING_DIMENSIONS);
      rows.forEach((r, i) => {
        ids.push(r.id);
        imageIds.push(r.image_id);
        previous.push(r.person_id);
        sizes.push(Math.min(r.box_width, r.box_height));
        qualities.push(r.quality);
        maleProbabilities.push(r.male_probability);
        chunk.set(fromVectorText(r.embedding), i * EMBEDDING_DIMENSIONS);
      });
      chunks.push(chunk);
      after = rows[rows.length - 1].id;
      if (rows.length < PAGE) break;
    }
    const embeddings = new Float32Array(ids.length * EMBEDDING_DIMENSIONS);
    let offset = 0;
    for (const c of chunks) {
      embeddings.set(c, offset);
      offset += c.length;
    }
    return {
      ids,
      imageIds,
      embeddings,
      previous,
      sizes,
      qualities,
      maleProbabilities,
      rejected: await this.rejectionsOf(scope.ownerId, ids),
    };
  }

  /**
   * For each face, the active people a user said it is not: a rejected person
   * merged away since stands for the person it was merged into (following the
   * chain), so "not this person" survives merges.
   */
  private async rejectionsOf(ownerId: number, faceIds: number[]): Promise<number[][]> {
    const { rows } = await sql<{ face_id: number; person_id: number }>`
      WITH RECURSIVE chain(face_id, person_id, merged_into_id) AS (
        SELECT r.face_id, p.id, p.merged_into_id FROM face_person_rejections r JOIN people p ON p.id = r.person_id
        WHERE p.owner_id = ${ownerId}
        UNION
        SELECT c.face_id, p.id, p.merged_into_id FROM chain c JOIN people p ON p.id = c.merged_into_id
      )
      SELECT face_id, person_id FROM chain WHERE merged_into_id IS NULL`.execute(this.db);
    const byFace = new Map<number, number[]>();
    for (const r of rows) {
      const list = byFace.get(Number(r.face_id)) ?? [];
      list.push(Number(r.person_id));
      byFace.set(Number(r.face_id), list);
    }
    return faceIds.map((id) => byFace.get(id) ?? []);
  }

  /**
   * Faces in scope whose photo was taken before an active person's birth date, with that person:
   * the pairs a run may never join. Empty at once when no person of the owner has a birth date.
   */
  async bornAfterPhotos(scope: ClusteringScope): Promise<{ faceId: number; personId: number }[]> {
    let q = this.db
      .selectFrom('people')
      .innerJoin('images', (join) => join.on(sql<boolean>`images.taken_at < people.birth_date`))
      .innerJoin('faces', 'faces.image_id', 'images.id')
      .select(['faces.id as faceId', 'people.id as personId'])
      .where('people.owner_id', '=', scope.ownerId)
      .where('people.birth_date', 'is not', null)
      .where('people.merged_into_id', 'is', null)
      .where('faces.owner_id', '=', scope.ownerId);
    if (scope.albumId !== null) q = q.where('faces.album_id', '=', scope.albumId);
    if (scope.faceIds) q = q.where('faces.id', '=', sql<number>`any(${[...scope.faceIds]}::bigint[])`);
    return q.execute();
  }

  /** The owner's "not the same person" pairs of active people (merge chains followed), smaller id first. */
  dismissedPairs(ownerId: number): Promise<[number, number][]> {
    return activeDismissals(this.db, ownerId);
  }

  /**
   * Every active person with the faces it keeps through this run, summed in
   * SQL (pgvector's `sum(vector)`): named, hidden and merged people, people
   * with faces moved by hand, and in an album run the faces of other albums.
   */
  async stayingPeople(scope: ClusteringScope, free: Pick<FreeFaces, 'imageIds'>): Promise<StayingPerson[]> {
    const staying = keptCondition(scope);
    // The gender counts of the faces kept: people's cached ones when every assignment is kept.
    const gender = genderCounts('faces');
    // An incremental run keeps every assignment, so each person's sum is the one `people` caches
    // (face_count x centroid): one row a person instead of summing a million faces.
    const sums =
      scope.mode === 'incremental'
        ? await this.db
            .selectFrom('people')
            .select([
              'people.id as person_id',
              'people.face_count as count',
              'people.male_faces as male',
              'people.female_faces as female',
              sql<string>`people.centroid::text`.as('centroid'),
            ])
            .where('people.owner_id', '=', scope.ownerId)
            .where('people.merged_into_id', 'is', null)
            .where('people.face_count', '>', 0)
            .$if(scope.personIds !== undefined, (q) =>
              q.where('people.id', '=', sql<number>`any(${[...(scope.personIds ?? [])]}::bigint[])`),
            )
            .execute()
            .then((rows) => rows.map(({ centroid, ...r }) => ({ ...r, sum: fromVectorText(centroid).map((v) => v * r.count) })))
        : await this.db
            .selectFrom('face_people')
            .innerJoin('faces', 'faces.id', 'face_people.face_id')
            .innerJoin('people', 'people.id', 'face_people.person_id')
            .select([
              'face_people.person_id',
              sql<number>`count(*)::int`.as('count'),
              sql<string>`sum(faces.embedding)::text`.as('sum'),
              gender.male.as('male'),
              gender.female.as('female'),
            ])
            .where('people.owner_id', '=', scope.ownerId)
            .where('people.merged_into_id', 'is', null)
            .where(staying)
            .groupBy('face_people.person_id')
            .execute()
            .then((rows) => rows.map(({ sum, ...r }) => ({ ...r, sum: fromVectorText(sum) })));
    // Photos shared between a kept face and a face to place: only these can forbid a merge. An
    // incremental run names its few photos; a full run's are every photo in scope.
    const shared = this.db
      .selectFrom('face_people')
      .innerJoin('faces', 'faces.id', 'face_people.face_id')
      .select(['face_people.person_id', 'faces.image_id'])
      .distinct()
      .where('face_people.person_id', 'is not', null)
      .where('faces.owner_id', '=', scope.ownerId)
      .where(staying)
      .$if(scope.personIds !== undefined, (q) =>
        q.where('face_people.person_id', '=', sql<number>`any(${[...(scope.personIds ?? [])]}::bigint[])`),
      )
      .where('faces.image_id', 'in', (eb) => {
        if (scope.mode === 'incremental') {
          return eb
            .selectFrom(sql<{ id: number }>`unnest(${[...new Set(free.imageIds)]}::bigint[])`.as('t'))
            .select(sql<number>`t`.as('image_id'));
        }
        let images = eb.selectFrom('faces as g').select('g.image_id').where('g.owner_id', '=', scope.ownerId);
        if (scope.albumId !== null) images = images.where('g.album_id', '=', scope.albumId);
        return images;
      });
    const photos = new Map<number, number[]>();
    for (const row of await shared.execute()) {
      const list = photos.get(row.person_id!) ?? [];
      list.push(row.image_id);
      photos.set(row.person_id!, list);
    }
    return sums.map((r) => ({
      personId: r.person_id!,
      count: r.count,
      sum: r.sum,
      imageIds: photos.get(r.person_id!) ?? [],
      gender: { male: r.male, female: r.female },
    }));
  }

  /** Writes a run's outcome in one transaction; returns the ids of the people created. */
  apply(changes: ClusteringChanges): Promise<number[]> {
    return applyClusteringChanges(this.db, changes);
  }
}

/** The assigned faces a run keeps as they are (the complement of what it may move). */
function keptCondition(scope: ClusteringScope): Expression<SqlBool> {
  if (scope.mode === 'incremental') return sql<SqlBool>`true`;
  if (scope.albumId === null) return sql<SqlBool>`face_people.assigned_by = 'user'`;
  return sql<SqlBool>`(face_people.assigned_by = 'user' OR faces.album_id <> ${scope.albumId})`;
}
