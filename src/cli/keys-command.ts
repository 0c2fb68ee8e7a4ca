import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrator.js';
import { AccessRepository } from '../repositories/access.repository.js';
import { ApiKeyService } from '../services/api-key.service.js';

/**
 * `facegraph keys create|revoke|list`: API keys, straight in the database the
 * server uses (DATABASE_URL, or the embedded PGlite of FACEGRAPH_DATA_DIR —
 * stop that server first: an embedded database has one process at a time).
 */
export async function withKeys<T>(run: (keys: ApiKeyService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(database.db);
    return await run(new ApiKeyService(new AccessRepository(database.db)));
  } finally {
    await database.close();
  }
}

/** Prints who the key is for on stderr and the key alone on the last line of stdout, so that `KEY=$(facegraph keys create ...)` works. */
export async function runKeysCreate(owner: string): Promise<number> {
  const created = await withKeys((keys) => keys.create(owner));
  console.error(
    `facegraph keys: new key ${created.prefix} for owner "${created.owner.name}" (id ${created.owner.id}); it is shown once, keep it safe`,
  );
  console.log(created.key);
  return 0;
}

export async function runKeysRevoke(keyOrPrefix: string): Promise<number> {
  const revoked = await withKeys((keys) => keys.revoke(keyOrPrefix));
  if (!revoked) {
    console.error(`facegraph keys: no active key ${keyOrPrefix}`);
    return 1;
  }
  console.error(`facegraph keys: revoked ${keyOrPrefix}`);
  return 0;
}

export async function runKeysList(): Promise<number> {
  const rows = await withKeys((keys) => keys.list());
  console.log(['prefix', 'owner', 'created', 'revoked'].join('\t'));
  for (const r of rows) console.log([r.prefix, r.owner, r.created_at.toISOString(), r.revoked_at?.toISOString() ?? '-'].join('\t'));
  return 0;
}
