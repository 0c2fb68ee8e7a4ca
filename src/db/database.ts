import fs from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.js';
import { lockDataDir } from './data-dir-lock.js';
import { DEFAULT_EF_SEARCH, knnSessionSettings } from './knn.js';
import type { DB } from './tables.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly db: Kysely<DB>;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * Opens PostgreSQL when `DATABASE_URL` is set, else the embedded PGlite under
 * `<dataDir>/pglite` (or in memory when `dataDir` is null, for tests). Both
 * read bigint as a JS number, so ids look the same whatever the backend.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl'> & { dataDir: string | null; hnswEfSearch?: number },
): Promise<Database> {
  const efSearch = config.hnswEfSearch ?? DEFAULT_EF_SEARCH;
  if (config.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      // Session settings for every connection, so a k-NN query is one statement, not a transaction.
      options: Object.entries(knnSessionSettings(efSearch))
        .map(([k, v]) => `-c ${k}=${v}`)
        .join(' '),
      max: 10,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A dropped connection must not crash the process; the pool replaces it.
    pool.on('error', (err) => console.error('[db] idle client error:', err.message));
    // node-postgres emits a checked-out client's connection error on the client itself, where no listener
    // means a crash (seen: a worker killed by a PostgreSQL restart between two statements of a job). The
    // statement in flight fails on its own and the job is retried.
    pool.on('connect', (client) => client.on('error', (err) => console.error('[db] client error:', err.message)));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }

  const [{ PGlite }, { vector }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/vector'),
    import('kysely-pglite-dialect'),
  ]);
  let dataDir: string | undefined;
  let release = async () => {};
  if (config.dataDir) {
    dataDir = path.join(config.dataDir, 'pglite');
    await fs.mkdir(dataDir, { recursive: true });
    release = await lockDataDir(config.dataDir);
  }
  try {
    const client = await PGlite.create({ dataDir, extensions: { vector } });
    // PGlite is a single session: set the k-NN settings once for its lifetime.
    await client.exec(
      Object.entries(knnSessionSettings(efSearch))
        .map(([k, v]) => `SET ${k} = ${v};`)
        .join(' '),
    );
    const db = new Kysely<DB>({ dialect: new PGliteDialect(client) });
    return {
      db,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}
