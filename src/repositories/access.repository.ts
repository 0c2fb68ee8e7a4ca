import { sql, type Kysely } from 'kysely';
import type { ApiKeyRow, DB, OwnerRow } from '../db/tables.js';

/** An active key's row with its owner's name, as authentication needs it. */
export interface KeyOwner {
  ownerId: number;
  ownerName: string;
  secretSha256: string;
}

export interface KeyListing extends Pick<ApiKeyRow, 'prefix' | 'created_at' | 'revoked_at'> {
  owner: string;
}

/**
 * Who may use the API: `owners`, their `api_keys` (a prefix to find the row and
 * a SHA-256 of the secret, never the secret), and the installation's URL-signing
 * secret from `instance_secrets`.
 */
export class AccessRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findOwnerByName(name: string): Promise<OwnerRow | undefined> {
    return this.db.selectFrom('owners').selectAll().where('name', '=', name).executeTakeFirst();
  }

  findOwnerById(id: number): Promise<OwnerRow | undefined> {
    return this.db.selectFrom('owners').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The owner with this name, created if missing (concurrent creators get the same row). */
  async ensureOwner(name: string): Promise<OwnerRow> {
    await this.db
      .insertInto('owners')
      .values({ name })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.findOwnerByName(name))!;
  }

  async addKey(ownerId: number, prefix: string, secretSha256: string): Promise<void> {
    await this.db.insertInto('api_keys').values({ owner_id: ownerId, prefix, secret_sha256: secretSha256 }).execute();
  }

  /** The active (not revoked) key with this prefix, and its owner. */
  async activeKey(prefix: string): Promise<KeyOwner | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('owners', 'owners.id', 'api_keys.owner_id')
      .select(['api_keys.owner_id', 'owners.name', 'api_keys.secret_sha256'])
      .where('api_keys.prefix', '=', prefix)
      .where('api_keys.revoked_at', 'is', null)
      .executeTakeFirst();
    return row && { ownerId: row.owner_id, ownerName: row.name, secretSha256: row.secret_sha256 };
  }

  /** Whether any key is active: from then on every request needs one. */
  async anyActiveKey(): Promise<boolean> {
    const row = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL) AS any`.execute(this.db);
    return Boolean(row.rows[0]?.any);
  }

  /** Revokes the key with this prefix; false when there is no such active key. */
  async revokeKey(prefix: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('prefix', '=', prefix)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  listKeys(): Promise<KeyListing[]> {
    return this.db
      .selectFrom('api_keys')
      .innerJoin('owners', 'owners.id', 'api_keys.owner_id')
      .select(['api_keys.prefix', 'api_keys.created_at', 'api_keys.revoked_at', 'owners.name as owner'])
      .orderBy('api_keys.id')
      .execute();
  }

  async urlSigningSecret(): Promise<Buffer> {
    const row = await this.db.selectFrom('instance_secrets').select('value').where('name', '=', 'url_signing').executeTakeFirstOrThrow();
    return Buffer.from(row.value, 'hex');
  }
}
