import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';

export interface WebUiOptions {
  /** The built page (Vite's output); default `web/dist` at the package root. */
  dir?: string;
}

/** Hashed file names change with their content, so a year of caching is safe. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page itself names the current hashed files: browsers must revalidate it (cheap, by ETag). */
const REVALIDATE = 'no-cache';
/** Names Vite gives the built assets; anything else under /assets/ is not ours. */
const ASSET_NAME = /^[\w.-]+\.(js|css|svg|png|woff2)$/;
/** The page loads nothing from elsewhere; the CSP makes that a rule rather than a habit. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * facegraph's web page (web/, built by `npm run build:web`) at `/`, with its
 * assets under `/assets/`. The build writes .br and .gz beside each file; the
 * router sends the smallest one the browser accepts. The page talks to the
 * API only through /graphql and the URLs the API hands out, so it is a
 * reference client of the public API and needs no server state of its own.
 */
export function webUiRouter(options: WebUiOptions = {}): Router {
  const dir = path.resolve(options.dir ?? defaultWebDir());
  const router = express.Router();

  const sendIndex = (req: Request, res: Response) => {
    if (!existsSync(path.join(dir, 'index.html'))) {
      res
        .status(503)
        .type('text/plain')
        .set('Cache-Control', 'no-store')
        .send(
          `facegraph's web page is not built (no ${path.join(dir, 'index.html')}): run \`npm run build:web\`. The API is at /graphql.\n`,
        );
      return;
    }
    res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    sendCompressed(req, res, path.join(dir, 'index.html'), REVALIDATE);
  };
  router.get('/', sendIndex);
  router.get('/index.html', sendIndex);
  router.get('/assets/:file', (req, res, next) => {
    const file = req.params.file;
    if (!ASSET_NAME.test(file) || !existsSync(path.join(dir, 'assets', file))) return next();
    res.set('X-Content-Type-Options', 'nosniff');
    sendCompressed(req, res, path.join(dir, 'assets', file), IMMUTABLE);
  });
  return router;
}

/** Sends `file`, or its precompressed .br / .gz twin when the client accepts it and the build made one. */
function sendCompressed(req: Request, res: Response, file: string, cacheControl: string): void {
  res.type(path.extname(file));
  res.vary('Accept-Encoding');
  let chosen = file;
  // Brotli when accepted at all: browsers list gzip first with the same weight, yet br is smaller.
  for (const [encoding, ext] of [
    ['br', 'br'],
    ['gzip', 'gz'],
  ] as const) {
    if (req.acceptsEncodings(encoding) === encoding && existsSync(`${file}.${ext}`)) {
      chosen = `${file}.${ext}`;
      res.set('Content-Encoding', encoding);
      break;
    }
  }
  // sendFile keeps the Content-Type set above (not the .gz one) and answers conditional requests with 304.
  res.sendFile(chosen, { headers: { 'Cache-Control': cacheControl }, cacheControl: false, lastModified: true, etag: true }, (err) => {
    if (err && !res.headersSent) res.status((err as { status?: number }).status ?? 500).end();
  });
}

/** `web/dist` beside the package.json above this module (src/server or dist/src/server). */
function defaultWebDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return path.join(dir, 'web', 'dist');
}
