import { sql, type Kysely } from 'kysely';
import { indexedDistance, withEfSearch } from '../db/knn.js';
import type { DB } from '../db/tables.js';
import { faceGender, personGender } from './gender-sql.js';
import { POOR_QUALITY } from '../vision/face-quality.js';

/** A face in no person and a person it may be, with the face's mean cosine distance to that person's faces. */
export interface ReviewCandidate {
  faceId: number;
  personId: number;
  distance: number;
}

export interface ReviewScope {
  ownerId: number;
  /** Only faces of this album; undefined: all the owner's albums. */
  albumId?: number;
  /** How many faces in no person to look at, newest first. */
  window: number;
  /** Nearest faces (by the HNSW index) whose people are a face's candidates. */
  neighbours: number;
}

/**
 * The reads behind `reviewQueue`: good faces no one has placed (no assignment at all: a face a
 * user made "nobody" is not asked about), and for each the people of its nearest faces that it
 * could join: active and shown, with no other face in its photo, not rejected for it (merge chains
 * followed), not born after its photo was taken, not confidently of the other gender.
 */
export class ReviewQueueRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async candidates(scope: ReviewScope): Promise<ReviewCandidate[]> {
    // A neighbourhood per face, not a search result: few candidates a scan keep a thousand scans within seconds.
    return withEfSearch(this.db, { exactly: Math.max(40, scope.neighbours) }, async (trx) => {
      const album = scope.albumId === undefined ? sql`` : sql`AND f.album_id = ${scope.albumId}`;
      const { rows } = await sql<{ face_id: number; person_id: number; distance: number }>`
        WITH RECURSIVE q AS (
          SELECT f.id, f.image_id, f.embedding, f.male_probability FROM faces f
          WHERE f.owner_id = ${scope.ownerId} ${album}
            AND (f.quality IS NULL OR f.quality >= ${POOR_QUALITY})
            AND NOT EXISTS (SELECT 1 FROM face_people fp WHERE fp.face_id = f.id)
          ORDER BY f.id DESC LIMIT ${scope.window}
        ),
        near AS (
          SELECT DISTINCT q.id AS face_id, fp.person_id
          FROM q CROSS JOIN LATERAL (
            SELECT g.id FROM faces g
            WHERE g.owner_id = ${scope.ownerId} AND g.id <> q.id
            ORDER BY ${indexedDistance('g.embedding', sql.ref('q.embedding'))}
            LIMIT ${scope.neighbours}
          ) n
          JOIN face_people fp ON fp.face_id = n.id AND fp.person_id IS NOT NULL
        ),
        rejected(face_id, person_id) AS (
          SELECT r.face_id, r.person_id FROM face_person_rejections r WHERE r.face_id IN (SELECT id FROM q)
          UNION
          SELECT rejected.face_id, p.merged_into_id FROM rejected JOIN people p ON p.id = rejected.person_id
          WHERE p.merged_into_id IS NOT NULL
        )
        SELECT near.face_id, near.person_id, 1 + (q.embedding <#> p.centroid) AS distance
        FROM near
        JOIN q ON q.id = near.face_id
        JOIN people p ON p.id = near.person_id
        JOIN images i ON i.id = q.image_id
        WHERE p.merged_into_id IS NULL AND NOT p.hidden AND p.centroid IS NOT NULL
          AND NOT coalesce(i.taken_at < p.birth_date, false)
          AND ${faceGender('q.male_probability')} * ${personGender('p')} <> -1
          AND NOT EXISTS (
            SELECT 1 FROM faces o JOIN face_people op ON op.face_id = o.id
            WHERE o.image_id = q.image_id AND o.id <> q.id AND op.person_id = p.id)
          AND NOT EXISTS (SELECT 1 FROM rejected r WHERE r.face_id = q.id AND r.person_id = p.id)`.execute(trx);
      return rows.map((r) => ({ faceId: Number(r.face_id), personId: Number(r.person_id), distance: Number(r.distance) }));
    });
  }
}
