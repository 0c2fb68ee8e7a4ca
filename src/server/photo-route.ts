import express, { type RequestHandler, type Router } from 'express';
import { AppError } from '../errors.js';
import { PHOTO_PATH } from '../services/album.service.js';
import type { Services } from '../services/services.js';
import { SIGNATURE_LENGTH } from '../services/url-signer.js';
import { ownerOf } from './authentication.js';

/** Path prefix of the XMP sidecar route, `/images/<imageId>.xmp`. */
export const XMP_PATH = '/images';

/** The application errors a photo request can end in, as HTTP statuses (a rendition of a broken file: 422). */
const ROUTE_STATUS: Partial<Record<string, number>> = {
  NOT_FOUND: 404,
  PHOTO_MISSING: 404,
  INSUFFICIENT_STORAGE: 507,
  UNSUPPORTED_IMAGE: 422,
  PAYLOAD_TOO_LARGE: 413,
};

const MIME: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heif: 'image/heif',
  heic: 'image/heic',
};

/**
 * `GET /photos/<imageId>-<signature>`: the stored original photo (`Image.originalUrl`, and `Image.url` where
 * browsers show its format); `GET /photos/<imageId>-<signature>.jpg`: its JPEG rendition (`Image.url` of a
 * HEIC, TIFF or RAW photo; AlbumService.photoUrl), made on first request. Cacheable for a year as immutable
 * (the signature covers the content hash), `private` because these are people's photos, `nosniff` so a photo
 * is never run as something else. `authenticate` runs first: the caller must be the photo's owner (by API
 * key, or the web page's key cookie, so that `<img>` tags work). A photo whose file is gone is a 404; a
 * rendition that cannot be stored for a full disk a 507.
 */
export function photoRouter(services: Pick<Services, 'albums'>, authenticate: RequestHandler): Router {
  const router = express.Router();
  router.get(`${PHOTO_PATH}/:name`, authenticate, async (req, res) => {
    const m = new RegExp(`^([1-9][0-9]{0,14})-([0-9a-f]{${SIGNATURE_LENGTH}})(\\.jpg)?$`).exec(req.params.name);
    if (!m) {
      res.status(404).json({ errors: [{ message: 'no such photo', extensions: { code: 'NOT_FOUND' } }] });
      return;
    }
    const rendition = m[3] !== undefined;
    const etag = `"${rendition ? 'r' : ''}${m[2]}"`;
    res.set({ 'Cache-Control': 'private, max-age=31536000, immutable', ETag: etag, 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match']?.split(/\s*,\s*/).some((t) => t === etag || t === `W/${etag}` || t === '*')) {
      res.status(304).end();
      return;
    }
    try {
      const ownerId = ownerOf(res).id;
      if (rendition) {
        res.type('image/jpeg').send(await services.albums.readRendition(ownerId, Number(m[1]), m[2]));
        return;
      }
      const photo = await services.albums.readPhoto(ownerId, Number(m[1]), m[2]);
      res.type(MIME[photo.format] ?? 'application/octet-stream').send(photo.bytes);
    } catch (err) {
      res.removeHeader('Cache-Control');
      res.removeHeader('ETag');
      const status = err instanceof AppError ? ROUTE_STATUS[err.code] : undefined;
      if (err instanceof AppError && status) {
        res.status(status).json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
        return;
      }
      console.error('[photos] unexpected error:', err);
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  // `GET /images/<imageId>.xmp`: the image's XMP sidecar (Image.xmpSidecar), the owner's only, never cached (names change).
  router.get(`${XMP_PATH}/:name`, authenticate, async (req, res) => {
    const m = /^([1-9][0-9]{0,14})\.xmp$/.exec(req.params.name);
    const notFound = (message: string) => res.status(404).json({ errors: [{ message, extensions: { code: 'NOT_FOUND' } }] });
    if (!m) {
      notFound('no such sidecar');
      return;
    }
    try {
      const xmp = await services.albums.xmpSidecar(ownerOf(res).id, Number(m[1]));
      res.set({ 'Cache-Control': 'private, no-cache', 'X-Content-Type-Options': 'nosniff' });
      // No named face: nothing to write, and an empty sidecar could clear names another tool holds.
      if (xmp === null) res.status(204).end();
      else res.type('application/rdf+xml; charset=utf-8').send(xmp);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'NOT_FOUND' || err.code === 'PHOTO_MISSING')) {
        notFound(err.message);
        return;
      }
      console.error('[images] unexpected error:', err);
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  return router;
}
