import fs from 'node:fs/promises';
import path from 'node:path';
import { type Config, loadConfig } from '../config.js';
import { type Database, openDatabase } from '../db/database.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';
import { migrateToLatest } from '../db/migrator.js';
import { assertTargetEmpty, copyLibrary, LOCAL_JOBS_TABLE, TargetNotEmptyError } from '../db/library-copy.js';

export interface MigrateToOptions {
  /** Default: loadConfig() (FACEGRAPH_DATA_DIR, DATABASE_URL). */
  config?: Readonly<Config>;
  /** Rows read and written at a time. */
  pageRows?: number;
  /** Progress and the summary (default: stdout). */
  out?: (line: string) => void;
  /** Refusals and errors (default: stderr). */
  err?: (line: string) => void;
}

/** Between two progress lines of one large table. */
const PROGRESS_INTERVAL_MS = 5000;

/**
 * `facegraph migrate-to POSTGRES_URL`: copies the embedded (PGlite) database of
 * FACEGRAPH_DATA_DIR into an empty PostgreSQL database, ids kept, all or
 * nothing. Photos and thumbnails stay files in the data folder. Returns the
 * exit code.
 */
export async function runMigrateTo(targetUrl: string, options: MigrateToOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(`facegraph migrate-to: ${line}`));
  const config = options.config ?? loadConfig();
  const target = redact(targetUrl);

  if (!/^postgres(ql)?:\/\//.test(targetUrl)) {
    err(`the target must be a PostgreSQL URL (postgres://user@host:5432/database), got "${target}"`);
    return 2;
  }
  if (config.databaseUrl) {
    err(
      'DATABASE_URL is set, so this installation already runs on PostgreSQL: migrate-to copies the embedded database ' +
        'of FACEGRAPH_DATA_DIR. Unset DATABASE_URL to copy the embedded one (to move between PostgreSQL servers use pg_dump).',
    );
    return 2;
  }
  const pgliteDir = path.join(config.dataDir, 'pglite');
  if (!(await fs.stat(path.join(pgliteDir, 'PG_VERSION')).catch(() => undefined))) {
    err(`no embedded database in ${pgliteDir}: is FACEGRAPH_DATA_DIR (${config.dataDir}) the data folder of your library?`);
    return 2;
  }

  let source: Database;
  try {
    source = await openDatabase({ databaseUrl: undefined, dataDir: config.dataDir });
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    err(`${e.message}. Stop the facegraph server (or worker, or CLI command) using ${config.dataDir} and run migrate-to again.`);
    return 2;
  }
  let destination: Database | undefined;
  try {
    // What any start of this version would do; both sides must be at the same migration to copy column by column.
    await migrateToLatest(source.db);
    destination = await openDatabase({ databaseUrl: targetUrl, dataDir: null });
    out(`migrating ${target} to the latest schema`);
    await migrateToLatest(destination.db);
    await assertTargetEmpty(destination.db);

    out(`copying ${config.dataDir}/pglite into ${target}, in one transaction`);
    const started = Date.now();
    let lastLine = Date.now();
    const result = await copyLibrary(source.db, destination.db, {
      pageRows: options.pageRows,
      onProgress: (p) => {
        if (p.done) out(`  ${p.table}: ${p.copied.toLocaleString('en')} rows copied`);
        else if (Date.now() - lastLine > PROGRESS_INTERVAL_MS) {
          lastLine = Date.now();
          out(`  ${p.table}: ${p.copied.toLocaleString('en')} / ${p.total.toLocaleString('en')} rows`);
        }
      },
      onStage: (stage) => out(`  ${stage}`),
    });

    const rows = result.tables.reduce((sum, t) => sum + t.targetRows, 0);
    out(
      `verified: row counts of all ${result.tables.length} tables match (${rows.toLocaleString('en')} rows) — committed in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const t of result.tables) out(`  ${t.table.padEnd(24)} ${String(t.sourceRows).padStart(10)} = ${t.targetRows}`);
    out(`not copied: ${result.skipped.map((s) => `${s.table} (${s.rows} rows)`).join(', ')}`);
    if (result.pendingJobs > 0) {
      out(
        `  ${result.pendingJobs} pending ingestion jobs (${LOCAL_JOBS_TABLE}) were not carried: their photos stay waiting in batches ` +
          'that will not finish on PostgreSQL. Re-ingest those photos after the move (photos already stored are skipped), or ' +
          'start over: let the embedded server or `facegraph worker` (without DATABASE_URL) finish them, then run migrate-to ' +
          'into a new empty database.',
      );
    } else out('  no pending ingestion jobs: nothing was left behind');
    out('');
    out('Next: run facegraph on PostgreSQL with the same data folder (photos and thumbnails stay files there):');
    out(`  export DATABASE_URL='${target}' FACEGRAPH_DATA_DIR='${config.dataDir}'${target === targetUrl ? '' : '   # with the password'}`);
    out(`Keep ${pgliteDir} until you have checked the library: starting without DATABASE_URL goes back to it.`);
    return 0;
  } catch (e) {
    if (!(e instanceof TargetNotEmptyError)) throw e;
    err(
      `${target} already holds a library (rows in ${e.tables.join(', ')}); migrate-to copies into an empty database only. ` +
        'To start over, drop and create it again (dropdb NAME && createdb NAME) or name a new empty database, and run migrate-to again.',
    );
    return 1;
  } finally {
    await destination?.close();
    await source.close();
  }
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
