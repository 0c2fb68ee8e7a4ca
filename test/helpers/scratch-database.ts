import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';

/**
 * A migrated database of a test file's own: with DATABASE_URL, a fresh
 * PostgreSQL database `facegraph_t_<name>_<pid>` on that server (dropped by
 * `drop`), else an in-memory PGlite. For tests of repositories and services
 * that need no server and no models.
 */
export async function openScratchDatabase(name: string): Promise<{ database: Database; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  const dbName = `facegraph_t_${name}_${process.pid}`;
  const admin = async (statement: string) => {
    const conn = await openDatabase({ databaseUrl: url, dataDir: null });
    try {
      await sql.raw(statement).execute(conn.db);
    } finally {
      await conn.close();
    }
  };
  let databaseUrl: string | undefined;
  if (url) {
    await admin(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin(`CREATE DATABASE ${dbName}`);
    const u = new URL(url);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const database = await openDatabase({ databaseUrl, dataDir: null });
  await migrateToLatest(database.db);
  return {
    database,
    async drop() {
      await database.close();
      if (url) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    },
  };
}
