import { type Expression, type Kysely, type RawBuilder, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import type { DB } from './tables.js';

/**
 * The one k-NN helper: every nearest-faces query walks the faces' HNSW index through
 * these functions, and `hnsw.ef_search` is set nowhere else.
 *
 * The index (migrations/ *-faces-halfvec-hnsw*, *-faces-hnsw-*) holds the embeddings read as
 * `halfvec(128)`: queries order by that expression so the planner walks it, fetch a few more
 * candidates than asked, and re-rank them by the exact distance of the stored full-precision
 * embeddings. Measured trade-offs of the index parameters and ef_search: docs/benchmarks.md.
 */

/** HNSW candidates examined per query unless FACEGRAPH_HNSW_EF_SEARCH says otherwise (chosen in docs/benchmarks.md). */
export const DEFAULT_EF_SEARCH = 100;

/** Name of the faces' HNSW index, for plans and benchmarks that check it is used. */
export const FACES_HNSW_INDEX = 'faces_embedding_hnsw_idx';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Session settings every connection starts with: ef_search from the configuration, and pgvector
 * 0.8's iterative scan, so that an owner- or album-filtered query keeps scanning until LIMIT rows
 * pass the filter instead of returning too few.
 */
export function knnSessionSettings(efSearch: number): Record<string, string> {
  return { 'hnsw.ef_search': String(efSearch), 'hnsw.iterative_scan': 'relaxed_order' };
}

/** The ORDER BY expression the HNSW index serves: half-precision cosine distance of `column` to `query`. */
export function indexedDistance(column: string, query: Expression<unknown> | RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`${sql.ref(column)}::halfvec(128) <=> (${query})::halfvec(128)`;
}

/** Exact cosine distance of `column` to `query`, from the full-precision embeddings. */
export function exactDistance(column: string, query: Expression<unknown> | RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`${sql.ref(column)} <=> (${query})`;
}

/**
 * Candidates the index is asked for: twice `limit` (at most 50 more), so that a face whose
 * half-precision distance ranks it just past `limit` is still re-ranked in by its exact one.
 */
export function candidatesFor(limit: number): number {
  return Math.min(2 * limit, limit + 50);
}

/**
 * The owner's faces nearest `query` by the index, with their exact `distance`: the inner query of
 * a k-NN search (`distance` is the exact cosine distance unless the caller ranks by another exact
 * measure of the same order). Callers add the columns and filters they need, then `reRanked` orders the
 * candidates exactly. No other owner's face can be a candidate, however near.
 */
export function faceCandidates(
  db: Db,
  ownerId: number,
  query: Expression<unknown> | RawBuilder<unknown>,
  limit: number,
  distance: RawBuilder<number> = exactDistance('faces.embedding', query),
) {
  return db
    .selectFrom('faces')
    .select(distance.as('distance'))
    .where('faces.owner_id', '=', ownerId)
    .orderBy(indexedDistance('faces.embedding', query))
    .limit(candidatesFor(limit));
}

/** The `limit` nearest of the candidates by exact distance (`first`, when given, orders before it). */
export function reRanked<O extends { distance: number; id: number }>(
  db: Db,
  candidates: SelectQueryBuilder<DB, 'faces', O>,
  limit: number,
  first?: RawBuilder<unknown>,
) {
  let q = db.selectFrom(candidates.as('nn')).selectAll();
  if (first) q = q.orderBy(first);
  return q.orderBy(sql`nn.distance`).orderBy(sql`nn.id`).limit(limit);
}

/**
 * Runs `fn` in a transaction whose k-NN queries examine `atLeast` candidates or the configured
 * ef_search, whichever is more (a long suggestion list needs more than a top-10 search), or
 * exactly `exactly` (a clustering neighbourhood scan, where a thousand small scans must stay fast).
 */
export function withEfSearch<T>(
  db: Kysely<DB>,
  ef: { atLeast: number } | { exactly: number },
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const value = 'exactly' in ef ? sql`${String(ef.exactly)}` : sql`greatest(current_setting('hnsw.ef_search')::int, ${ef.atLeast})::text`;
  return db.transaction().execute(async (trx) => {
    await sql`SELECT set_config('hnsw.ef_search', ${value}, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`.execute(trx);
    return fn(trx);
  });
}
