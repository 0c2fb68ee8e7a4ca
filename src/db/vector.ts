import { sql, type RawBuilder } from 'kysely';
import pgvector from 'pgvector';

/** Length of every face embedding facegraph stores. */
export const EMBEDDING_DIMENSIONS = 128;

/**
 * The one boundary between JS vectors and pgvector: dimension checks, SQL
 * encoding and decoding all happen here and nowhere else.
 */
export function toVectorSql(values: ArrayLike<number>): RawBuilder<string> {
  return sql<string>`${toVectorText(values)}::vector`;
}

/** pgvector's text form (`[1,2,3]`) of an embedding, after checking its length and values. */
export function toVectorText(values: ArrayLike<number>): string {
  if (values.length !== EMBEDDING_DIMENSIONS) {
    throw new RangeError(`embedding must have ${EMBEDDING_DIMENSIONS} dimensions, got ${values.length}`);
  }
  const list = Array.from(values);
  if (!list.every(Number.isFinite)) throw new RangeError('embedding contains a non-finite value');
  return pgvector.toSql(list) as string;
}

/** Parses pgvector's text form back to numbers. */
export function fromVectorText(text: string): number[] {
  return pgvector.fromSql(text) as number[];
}
