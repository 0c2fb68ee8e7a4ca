import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError, UnauthenticatedError } from '../errors.js';
import type { AccessRepository, KeyListing } from '../repositories/access.repository.js';

/** Owner 1, made by the owners migration: the single user of a server without keys, and of the embedded CLI. */
export const LOCAL_OWNER: Owner = { id: 1, name: 'local' };

/** Whose request this is. */
export interface Owner {
  id: number;
  name: string;
}

/** `fg_<12 hex prefix>_<43 base64url secret>`: 256 random bits behind a public prefix. */
const KEY_PATTERN = /^fg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const OWNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * API keys: created for an owner (shown once), stored as a SHA-256 of their
 * secret (a key is 256 random bits, so a fast hash is enough; there is nothing
 * to brute-force as with passwords), checked in constant time, revoked by
 * prefix. While no key is active the server is in single-user mode: every
 * request is the `local` owner's (and the server listens on loopback only).
 */
export class ApiKeyService {
  constructor(private readonly access: AccessRepository) {}

  /** Creates a key for the owner (created if new); returns the whole key, which is never stored. */
  async create(ownerName: string): Promise<{ key: string; prefix: string; owner: Owner }> {
    if (!OWNER_NAME.test(ownerName)) {
      throw new InvalidInputError('an owner name is 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)', {
        argument: 'owner',
      });
    }
    const owner = await this.access.ensureOwner(ownerName);
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.access.addKey(owner.id, prefix, sha256(secret));
    return { key: `fg_${prefix}_${secret}`, prefix, owner: { id: owner.id, name: owner.name } };
  }

  /** Revokes a key, given whole or by its prefix. */
  async revoke(keyOrPrefix: string): Promise<boolean> {
    const prefix = KEY_PATTERN.exec(keyOrPrefix)?.[1] ?? keyOrPrefix.replace(/^fg_/, '');
    return this.access.revokeKey(prefix);
  }

  list(): Promise<KeyListing[]> {
    return this.access.listKeys();
  }

  /** True while no key is active: requests without a key are the local owner's. */
  async singleUser(): Promise<boolean> {
    return !(await this.access.anyActiveKey());
  }

  /**
   * The owner of a request, from its `Authorization` header. No header: the
   * local owner in single-user mode, UNAUTHENTICATED otherwise. A header with
   * an unknown, revoked or malformed key is UNAUTHENTICATED either way.
   */
  async authenticate(authorization: string | undefined): Promise<Owner> {
    if (authorization === undefined || authorization.trim() === '') {
      if (await this.singleUser()) return LOCAL_OWNER;
      throw new UnauthenticatedError('this server needs an API key: send "Authorization: Bearer <key>"');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const parts = match && KEY_PATTERN.exec(match[1]);
    if (!parts) throw new UnauthenticatedError('malformed Authorization header: expected "Bearer fg_..."');
    const found = await this.access.activeKey(parts[1]);
    const given = Buffer.from(sha256(parts[2]), 'hex');
    // Compare even when the prefix is unknown, so that timing tells nothing.
    const expected = Buffer.from(found?.secretSha256 ?? sha256(''), 'hex');
    if (!timingSafeEqual(given, expected) || !found) throw new UnauthenticatedError('invalid or revoked API key');
    return { id: found.ownerId, name: found.ownerName };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
