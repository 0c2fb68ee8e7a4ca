import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex characters of a signature: 96 bits, unguessable and short enough for a URL. */
export const SIGNATURE_LENGTH = 24;

/**
 * Signs the URLs of stored photos and face thumbnails with this installation's
 * secret (made by a migration, kept in `instance_secrets`). A signature binds
 * what the URL serves — its id, the bytes it was made from, and their owner —
 * so a URL handed out by an owner's authenticated GraphQL response can be
 * fetched by an `<img>` tag without a header, while nobody can enumerate ids
 * or forge a URL for another owner's photo.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(purpose: string, ...parts: (string | number)[]): string {
    return createHmac('sha256', this.secret)
      .update([purpose, ...parts].join('\u0000'))
      .digest('hex')
      .slice(0, SIGNATURE_LENGTH);
  }

  verify(signature: string, purpose: string, ...parts: (string | number)[]): boolean {
    const expected = Buffer.from(this.sign(purpose, ...parts));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
