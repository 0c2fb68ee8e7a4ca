import { InvalidInputError } from '../errors.js';
import type { TakenAtKey } from '../repositories/image.repository.js';

/**
 * Cursors of `Album.images(orderBy: TAKEN_AT)`: opaque base64url of
 * `taken:<epoch ms or empty>:<id>`, both keys of the order, so a page
 * stays where it was while photos are added before or after it.
 */
export function encodeTakenAtCursor(image: { taken_at: Date | null; id: number }): string {
  return Buffer.from(`taken:${image.taken_at?.getTime() ?? ''}:${image.id}`).toString('base64url');
}

/** The key after which the next page starts, or null for the first page. */
export function decodeTakenAtCursor(cursor: string | null | undefined): TakenAtKey | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  const m = /^taken:(-?\d{1,16})?:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const takenAt = m?.[1] === undefined ? null : new Date(Number(m[1]));
  if (!m || (takenAt && Number.isNaN(takenAt.getTime()))) {
    throw new InvalidInputError(`invalid cursor for orderBy TAKEN_AT: ${cursor.slice(0, 64)}`, { argument: 'after' });
  }
  return { takenAt, id: Number(m[2]) };
}
