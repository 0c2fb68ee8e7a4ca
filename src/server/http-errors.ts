import type { ErrorRequestHandler } from 'express';

/**
 * Errors raised before GraphQL runs — a malformed multipart request (bad
 * `operations` JSON, a `map` pointing at missing files), a body over the size
 * limit — answered as GraphQL-shaped JSON with a stable code instead of
 * Express' HTML page. Nothing here is ever a 500 unless it is a real bug.
 */
export const httpErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err);
  const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  if (status >= 500) console.error('[http] unexpected error:', err);
  const message = status >= 500 ? 'Internal server error' : String(err?.message ?? 'bad request');
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
};
