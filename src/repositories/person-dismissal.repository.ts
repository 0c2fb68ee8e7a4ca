import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/tables.js';

/**
 * The owner's "not the same person" pairs as they stand now: each person
 * merged away since stands for the active person at the end of its merge
 * chain, and a pair whose two sides were merged into one person (the user
 * changed their mind) no longer counts. Smaller id first, each pair once.
 */
export async function activeDismissals(db: Kysely<DB>, ownerId: number): Promise<[number, number][]> {
  const { rows } = await sql<{ a: number; b: number }>`
    WITH RECURSIVE chain(id, person_id, merged_into_id) AS (
      SELECT p.id, p.id, p.merged_into_id FROM people p
      WHERE p.owner_id = ${ownerId}
        AND EXISTS (SELECT 1 FROM person_dismissals d WHERE d.person_a_id = p.id OR d.person_b_id = p.id)
      UNION ALL
      SELECT c.id, p.id, p.merged_into_id FROM chain c JOIN people p ON p.id = c.merged_into_id
    ),
    active AS (SELECT id, person_id FROM chain WHERE merged_into_id IS NULL)
    SELECT DISTINCT least(x.person_id, y.person_id) AS a, greatest(x.person_id, y.person_id) AS b
    FROM person_dismissals d
    JOIN active x ON x.id = d.person_a_id
    JOIN active y ON y.id = d.person_b_id
    WHERE x.person_id <> y.person_id
    ORDER BY a, b`.execute(db);
  return rows.map((r) => [Number(r.a), Number(r.b)]);
}

/** `person_dismissals`: "these two people are not the same person". Writes take ids the service has found among the owner's. */
export class PersonDismissalRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Records the pair (again: nothing changes). */
  async dismiss(a: number, b: number): Promise<void> {
    const [low, high] = a < b ? [a, b] : [b, a];
    await this.db
      .insertInto('person_dismissals')
      .values({ person_a_id: low, person_b_id: high })
      .onConflict((oc) => oc.columns(['person_a_id', 'person_b_id']).doNothing())
      .execute();
  }

  active(ownerId: number): Promise<[number, number][]> {
    return activeDismissals(this.db, ownerId);
  }
}
