import { type RawBuilder, sql } from 'kysely';
import { GENDER_CONFIDENCE } from '../clustering/clustering-config.js';

/**
 * clustering/gender-evidence.ts's rule in SQL, for the queries that propose a face or a person without running
 * the clustering code (the review queue, face and merge suggestions): a face is male (+1) when its P(male) is at
 * least GENDER_CONFIDENCE, female (-1) when at most 1 minus it, else 0 (NULL: not measured); a person is male or
 * female when that fraction of its counted faces (`people.male_faces` / `female_faces`) are.
 */

/** +1, -1 or 0: the verdict on a face's P(male) column. */
export function faceGender(column: string): RawBuilder<number> {
  const p = sql.ref(column);
  return sql<number>`(CASE WHEN ${p} >= ${GENDER_CONFIDENCE}::float8 THEN 1 WHEN ${p} <= ${1 - GENDER_CONFIDENCE}::float8 THEN -1 ELSE 0 END)`;
}

/** +1, -1 or 0: the verdict on a person (`alias` a row of `people`) from its cached counts. */
export function personGender(alias: string): RawBuilder<number> {
  const male = sql.ref(`${alias}.male_faces`);
  const female = sql.ref(`${alias}.female_faces`);
  return sql<number>`(CASE WHEN ${male} > 0 AND ${male} >= ${GENDER_CONFIDENCE}::float8 * (${male} + ${female}) THEN 1
    WHEN ${female} > 0 AND ${female} >= ${GENDER_CONFIDENCE}::float8 * (${male} + ${female}) THEN -1 ELSE 0 END)`;
}

/** The counts refreshPeople caches, over faces aliased `alias`: confidently male, confidently female. */
export function genderCounts(alias: string): { male: RawBuilder<number>; female: RawBuilder<number> } {
  const p = sql.ref(`${alias}.male_probability`);
  return {
    male: sql<number>`count(*) FILTER (WHERE ${p} >= ${GENDER_CONFIDENCE}::float8)::int`,
    female: sql<number>`count(*) FILTER (WHERE ${p} <= ${1 - GENDER_CONFIDENCE}::float8)::int`,
  };
}
