import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A new, empty database of one bench section on the PostgreSQL server at `base`. */
export interface BenchDatabase {
  name: string;
  /** `base` with the new database's name as its path. */
  url: string;
  /** Drops the database (its connections closed by force), unless `keep`; call once its pools are closed. */
  drop(keep?: boolean): Promise<void>;
}

export async function createBenchDatabase(base: string, prefix = 'facegraph_bench'): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop(keep = false) {
      try {
        if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
