import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { Owner } from '../services/api-key.service.js';
import type { Services } from '../services/services.js';

/** The cookie the web page sets so that `<img>` requests for photos and thumbnails carry its key. */
export const KEY_COOKIE = 'facegraph_key';

/**
 * Finds the owner of a request (see ApiKeyService.authenticate) and keeps it in
 * `res.locals.owner`; answers 401 UNAUTHENTICATED otherwise. `cookie`: also
 * take the key from the web page's cookie — only for GET routes of images,
 * never for GraphQL, where a cookie would let other sites act for the user.
 */
export function authenticate(services: Pick<Services, 'keys'>, { cookie = false } = {}): RequestHandler {
  return async (req, res, next) => {
    try {
      const header = req.headers.authorization ?? (cookie ? bearerFromCookie(req.headers.cookie) : undefined);
      res.locals.owner = await services.keys.authenticate(header);
      next();
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'UNAUTHENTICATED') return next(err);
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="facegraph"')
        .json({ errors: [{ message: err.message, extensions: { code: err.code } }] });
    }
  };
}

/** The owner `authenticate` found for this request. */
export function ownerOf(res: { locals: Record<string, unknown> }): Owner {
  return res.locals.owner as Owner;
}

function bearerFromCookie(header: string | undefined): string | undefined {
  const value = header
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === KEY_COOKIE)?.[1];
  return value ? `Bearer ${decodeURIComponent(value)}` : undefined;
}
