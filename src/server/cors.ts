import type http from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';

/** Headers a browser client may send: the key, JSON bodies, and what Apollo's multipart upload clients add. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name'];

/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/**
 * CORS for the configured origins (FACEGRAPH_CORS_ORIGINS), through the `cors` package: it answers
 * preflights (204, the origin echoed, `Vary: Origin`) and adds the headers to the real requests. An
 * origin not listed gets no CORS header at all: `cors` is told "no" before it writes anything, so the
 * request goes on as a same-origin one would and the browser refuses the answer. No cookies cross
 * origins (`credentials` off): clients on other origins send their key as `Authorization`.
 */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: ['ETag'],
    maxAge: PREFLIGHT_MAX_AGE,
  });
}

/**
 * Whether a WebSocket handshake may open: no `Origin` (not a browser: browsers always send one), the
 * server's own origin (`Origin` naming the `Host` it asked), or one of the configured origins. A page
 * on any other site is refused, so it cannot drive a socket with a key it got hold of.
 */
export function socketOriginAllowed(req: http.IncomingMessage, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
