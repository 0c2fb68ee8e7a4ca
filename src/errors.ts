/**
 * Errors the application raises on purpose. Each carries the stable code that
 * clients see as `extensions.code`; anything else reaching the GraphQL layer is
 * a bug and is masked as INTERNAL_SERVER_ERROR.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_IMAGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'FORBIDDEN_PATH'
  | 'PHOTO_MISSING'
  | 'UNAUTHENTICATED'
  | 'INSUFFICIENT_STORAGE'
  | 'INTERNAL_SERVER_ERROR';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An argument is malformed or out of range. */
export class InvalidInputError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, details);
  }
}

/** The entity does not exist, or is not the caller's: the two are never told apart. */
export class NotFoundError extends AppError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
  }
}

/** The bytes are not an image we can decode: corrupt, truncated, empty or another format. */
export class UnsupportedImageError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UNSUPPORTED_IMAGE', message, details);
  }
}

/** A file, request or decoded image is larger than the configured limit. */
export class PayloadTooLargeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('PAYLOAD_TOO_LARGE', message, details);
  }
}

/** A server path outside the import root (directly, through `..` or a symlink). */
export class ForbiddenPathError extends AppError {
  constructor(path: string) {
    super('FORBIDDEN_PATH', `path is outside the import root: ${path}`, { path });
  }
}

/**
 * A photo indexed in place (a watched folder) is not where it was, or its bytes are no longer those indexed:
 * the image stays, the read fails with this (HTTP 404 on the routes) until the folder's watcher catches up.
 */
export class PhotoMissingError extends AppError {
  constructor(imageId: number, reason: 'missing' | 'changed', path: string) {
    super(
      'PHOTO_MISSING',
      reason === 'missing'
        ? `the photo of image ${imageId} is missing from ${path}`
        : `the photo of image ${imageId} at ${path} changed since it was indexed; it is analysed again`,
      { imageId, reason, path },
    );
  }
}

/** The request carries no valid API key while the server needs one. HTTP 401. */
export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/**
 * The data folder is full (ENOSPC, EDQUOT) or under FACEGRAPH_MIN_FREE_MB free: nothing the client did wrong,
 * and nothing worth retrying until space is freed. HTTP 507 on the routes.
 */
export class InsufficientStorageError extends AppError {
  constructor(message = "the server's disk is full: nothing can be stored until space is freed") {
    super('INSUFFICIENT_STORAGE', message);
  }
}

/** PostgreSQL's SQLSTATE disk_full: the database (PGlite's files in the data folder, or a server's) could not write. */
const PG_DISK_FULL = '53100';

/** Whether an error means "no room": the disk is full or the user's quota is (a file write, or the database's). */
export function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === PG_DISK_FULL;
}
