import { InvalidInputError } from '../errors.js';

/** A page of a Relay-style connection, before GraphQL shapes it. */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  cursorOf(node: T): string;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;

/**
 * Keyset pagination by id: cursors are opaque base64url strings of the last
 * id seen, so pages stay stable while rows are added.
 */
export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined || cursor === '') return 0;
  const m = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidInputError(`invalid cursor: ${cursor.slice(0, 64)}`, { argument: 'after' });
  return Number(m[1]);
}

/** Checks `first` against [1, max]. */
export function checkPageSize(first: number | null | undefined, max: number): number {
  const size = first ?? Math.min(DEFAULT_PAGE_SIZE, max);
  checkRange('first', size, 1, max);
  return size;
}

export function checkRange(argument: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${argument} must be an integer between ${min} and ${max}, got ${value}`, { argument, min, max });
  }
}

/** Runs a keyset query for one extra row and shapes the page. */
export async function paginate<T extends { id: number }>(
  args: PageArgs,
  max: number,
  fetch: (afterId: number, limit: number) => Promise<T[]>,
): Promise<Page<T>> {
  const size = checkPageSize(args.first, max);
  const afterId = decodeCursor(args.after);
  const rows = await fetch(afterId, size + 1);
  const nodes = rows.slice(0, size);
  const last = nodes[nodes.length - 1];
  return {
    nodes,
    hasNextPage: rows.length > size,
    endCursor: last ? encodeCursor(last.id) : null,
    cursorOf: (node) => encodeCursor(node.id),
  };
}
