import express, { type RequestHandler, type Router } from 'express';
import { AppError } from '../errors.js';
import { FACE_THUMBNAIL_PATH } from '../services/face-thumbnail.service.js';
import type { Services } from '../services/services.js';
import { ownerOf } from './authentication.js';

/**
 * `GET /thumbnails/faces/<faceId>-<key>.jpg`: the face thumbnails the API's
 * `thumbnail` fields point at. A URL's content never changes (the key names
 * it), so responses are cacheable for a year as immutable, with the key as a
 * strong ETag for revalidation. `private`: these are people's faces, not for
 * shared caches. `authenticate` runs first: the caller must be the face's
 * owner (by API key, or the web page's key cookie), and the key must be the
 * one signed for them.
 */
export function thumbnailRouter(services: Pick<Services, 'thumbnails'>, authenticate: RequestHandler): Router {
  const router = express.Router();
  router.get(`${FACE_THUMBNAIL_PATH}/:name`, authenticate, async (req, res) => {
    const m = /^([1-9][0-9]{0,14})-([0-9a-f]{24})\.jpg$/.exec(req.params.name);
    if (!m) {
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such thumbnail' } });
      return;
    }
    const etag = `"${m[2]}"`;
    try {
      const thumbnail = await services.thumbnails.get(ownerOf(res).id, Number(m[1]), m[2]);
      res.set({
        'Cache-Control': 'private, max-age=31536000, immutable',
        ETag: etag,
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.headers['if-none-match']?.split(/\s*,\s*/).some((t) => t === etag || t === `W/${etag}` || t === '*')) {
        res.status(304).end();
        return;
      }
      res.type('image/jpeg').send(thumbnail.bytes);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'NOT_FOUND' || err.code === 'PHOTO_MISSING' || err.code === 'INSUFFICIENT_STORAGE')) {
        res.status(err.code === 'INSUFFICIENT_STORAGE' ? 507 : 404).json({ error: { code: err.code, message: err.message } });
        return;
      }
      console.error('[thumbnails] unexpected error:', err);
      res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
    }
  });
  return router;
}
