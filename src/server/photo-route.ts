import express, { type Router } from 'express';
import { AppError } from '../errors.js';
import type { Services } from '../services/services.js';

export const PHOTO_PATH = '/photos';
const KEY_LENGTH = 24;
const MIME: Record<string, string> = {
  jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', tiff: 'image/tiff', avif: 'image/avif', heif: 'image/heif',
};

/** The URL `Image.url` gives: content-addressed, so the bytes behind it never change. */
export function photoUrl(image: { id: number; sha256: string }): string {
  return `${PHOTO_PATH}/${image.id}-${image.sha256.slice(0, KEY_LENGTH)}`;
}

/**
 * `GET /photos/<imageId>-<key>`: the stored original photo, cacheable for a
 * year as immutable (its key is its content hash), `private` because these are
 * people's photos, `nosniff` so a photo is never run as something else.
 */
export function photoRouter(services: Pick<Services, 'albums'>): Router {
  const router = express.Router();
  router.get(`${PHOTO_PATH}/:name`, async (req, res) => {
    const m = new RegExp(`^([1-9][0-9]{0,14})-([0-9a-f]{${KEY_LENGTH}})$`).exec(req.params.name);
    if (!m) {
      res.status(404).json({ errors: [{ message: 'no such photo', extensions: { code: 'NOT_FOUND' } }] });
      return;
    }
    const etag = `"${m[2]}"`;
    res.set({ 'Cache-Control': 'private, max-age=31536000, immutable', ETag: etag, 'X-Content-Type-Options': 'nosniff' });
    if (req.headers['if-none-match']?.split(/\s*,\s*/).some((t) => t === etag || t === `W/${etag}` || t === '*')) {
      res.status(304).end();
      return;
    }
    try {
      const photo = await services.albums.readPhoto(Number(m[1]), m[2]);
      res.type(MIME[photo.format] ?? 'application/octet-stream').send(photo.bytes);
    } catch (err) {
      res.removeHeader('Cache-Control');
      res.removeHeader('ETag');
      if (err instanceof AppError && err.code === 'NOT_FOUND') {
        res.status(404).json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
        return;
      }
      console.error('[photos] unexpected error:', err);
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });
  return router;
}
