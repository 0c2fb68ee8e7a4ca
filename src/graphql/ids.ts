import { InvalidInputError } from '../errors.js';

/**
 * GraphQL IDs are decimal strings of positive bigint ids. Anything else is a
 * client error with code BAD_USER_INPUT, never a database error.
 */
export function parseId(raw: string | number, argument: string): number {
  const text = String(raw);
  if (!/^[1-9][0-9]{0,14}$/.test(text)) {
    throw new InvalidInputError(`${argument} is not a valid id: "${text.slice(0, 64)}"`, { argument });
  }
  return Number(text);
}

export function parseOptionalId(raw: string | number | null | undefined, argument: string): number | undefined {
  return raw === null || raw === undefined ? undefined : parseId(raw, argument);
}
