import { NotFoundError } from '../errors.js';
import type { OwnedKind, OwnershipRepository } from '../repositories/ownership.repository.js';

export type { OwnedKind } from '../repositories/ownership.repository.js';

/** How each kind is named in NOT_FOUND messages (kept as clients have seen them). */
const ENTITY: Record<OwnedKind, string> = {
  album: 'album',
  image: 'image',
  face: 'face',
  person: 'person',
  batch: 'ingest batch',
  merge: 'merge',
  folder: 'watched folder',
};

/**
 * The one owner check of every service method the API reaches. A method that
 * starts from ids calls `require` (or `owned` when it loads many, for
 * DataLoaders) before it reads or writes anything by those ids; another
 * owner's ids are NOT_FOUND, exactly like ids that do not exist, so probing
 * tells nothing. `test/api/owner-isolation.test.ts` runs every operation of the
 * schema and every route with another owner's ids to keep this true.
 */
export class OwnerAccess {
  constructor(private readonly ownership: OwnershipRepository) {}

  /** Throws NOT_FOUND unless every id names something of this owner. */
  async require(ownerId: number, kind: OwnedKind, ...ids: number[]): Promise<void> {
    const owned = await this.ownership.owned(kind, ownerId, ids);
    const missing = ids.find((id) => !owned.has(id));
    if (missing !== undefined) throw new NotFoundError(ENTITY[kind], String(missing));
  }

  /** The ids of this list that name something of this owner (bulk loading: the rest load as missing). */
  owned(ownerId: number, kind: OwnedKind, ids: readonly number[]): Promise<Set<number>> {
    return this.ownership.owned(kind, ownerId, ids);
  }
}
