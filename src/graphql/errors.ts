import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, InsufficientStorageError, isStorageFull } from '../errors.js';

/**
 * The one place errors become client errors. Application errors keep their
 * stable code; GraphQL's own (validation, parsing, variable coercion) keep
 * theirs; anything else is a bug, logged here and masked for the client.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return {
      ...formatted,
      message: original.message,
      extensions: { ...original.details, code: original.code },
    };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    return formatted;
  }
  if (isStorageFull(original)) {
    // A write the resolver did not expect to fail (the database's disk full, say): the client's answer is still the code.
    console.error(`[storage] ${(original as { code?: string }).code}: ${(original as Error).message}`);
    const mapped = new InsufficientStorageError();
    return { message: mapped.message, locations: formatted.locations, path: formatted.path, extensions: { code: mapped.code } };
  }
  if (isHttpError(original)) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: original.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT' },
    };
  }
  console.error('[graphql] unexpected error:', original);
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Errors from the multipart parser carry an HTTP status (400 malformed, 413 too large). */
function isHttpError(err: unknown): err is Error & { status: number } {
  return (
    err instanceof Error &&
    typeof (err as unknown as { status?: unknown }).status === 'number' &&
    (err as unknown as { status: number }).status < 500
  );
}
