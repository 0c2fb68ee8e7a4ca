import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config.js';
import { runIngest } from './ingest-command.js';
import { runKeysCreate, runKeysList, runKeysRevoke } from './keys-command.js';
import { runMigrateTo } from './migrate-command.js';
import { runCluster, runSimilar } from './query-commands.js';
import { runWatch } from './watch-command.js';
import { runWorker } from './worker-command.js';

/**
 * `facegraph`: the command line. Configuration comes from the same environment
 * variables as the server (DATABASE_URL, FACEGRAPH_DATA_DIR, ...); commands
 * that take `--server URL` talk to a running server instead of opening the
 * database themselves.
 */
const program = new Command()
  .name('facegraph')
  .description('Self-hosted face recognition for photo albums: ingestion, workers, search.')
  .showHelpAfterError();

program
  .command('worker')
  .description('consume ingestion and re-encode jobs (run any number, on any hosts sharing one PostgreSQL and data folder)')
  .option('-c, --concurrency <n>', 'job consumers in this process (default FACEGRAPH_WORKERS, at least 1)', positiveInt)
  .option('-p, --port <port>', 'serve /healthz and /metrics on this port', port)
  .action(async (opts: { concurrency?: number; port?: number }) => {
    await runWorker(opts);
  });

program
  .command('ingest')
  .description('ingest every photo under DIR (recursively) into an album; Ctrl-C stops cleanly, re-running resumes')
  .argument('<dir>', 'folder of photos')
  .requiredOption('-a, --album <name>', 'album name (created if missing)')
  .option('-s, --server <url>', 'upload to a running facegraph server instead of opening the database here')
  .option('-b, --batch-size <n>', 'files per upload request with --server', positiveInt, 8)
  .option('--progress <kind>', 'bar (live, for terminals), lines (plain, for logs) or auto', 'auto')
  .option('--interval <seconds>', 'seconds between plain progress lines', positiveNumber, 5)
  .option('--in-place', 'index the photos where they lie (DIR under FACEGRAPH_IMPORT_ROOT), never copying them into the data folder')
  .action(
    async (
      dir: string,
      opts: { album: string; server?: string; batchSize: number; progress: string; interval: number; inPlace?: boolean },
    ) => {
      if (!['auto', 'bar', 'lines'].includes(opts.progress)) throw new InvalidArgumentError('--progress must be bar, lines or auto');
      const controller = new AbortController();
      let interrupts = 0;
      process.on('SIGINT', () => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write('\nfacegraph ingest: stopping after the current photo (Ctrl-C again to quit at once)\n');
        controller.abort();
      });
      process.on('SIGTERM', () => controller.abort());
      const tty = opts.progress === 'auto' ? undefined : opts.progress === 'bar';
      process.exitCode = await runIngest(dir, { ...opts, tty, intervalMs: opts.interval * 1000, signal: controller.signal });
    },
  );

program
  .command('watch')
  .description('index DIR (under FACEGRAPH_IMPORT_ROOT) into an album in place and keep it in step with the folder until Ctrl-C')
  .argument('<dir>', 'folder of photos, under FACEGRAPH_IMPORT_ROOT')
  .requiredOption('-a, --album <name>', 'album name (created if missing)')
  .option('-s, --server <url>', 'ask a running facegraph server to watch the folder (it keeps watching; this command returns)')
  .action(async (dir: string, opts: { album: string; server?: string }) => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    process.exitCode = await runWatch(dir, { ...opts, signal: controller.signal });
  });

program
  .command('cluster')
  .description("group an album's faces into people")
  .requiredOption('-a, --album <name>', 'album name')
  .option('-s, --server <url>', 'ask a running facegraph server')
  .action(async (opts: { album: string; server?: string }) => {
    process.exitCode = await runCluster(opts);
  });

program
  .command('similar')
  .description('the stored faces nearest to a face, by cosine distance')
  .argument('<faceId>', 'face id')
  .option('-l, --limit <n>', 'how many', positiveInt, 10)
  .option('--album <id>', 'only faces of this album (id)')
  .option('-s, --server <url>', 'ask a running facegraph server')
  .action(async (faceId: string, opts: { limit: number; album?: string; server?: string }) => {
    process.exitCode = await runSimilar(faceId, opts);
  });

program
  .command('migrate-to')
  .description('copy the embedded database of FACEGRAPH_DATA_DIR into an empty PostgreSQL database (ids kept, all or nothing)')
  .argument('<postgres-url>', 'the target, e.g. postgres://facegraph@db:5432/facegraph (pgvector installed)')
  .action(async (url: string) => {
    process.exitCode = await runMigrateTo(url);
  });

const keys = program.command('keys').description('API keys: once one exists, every request needs one (Authorization: Bearer <key>)');
keys
  .command('create')
  .description('create a key for an owner (created if new); prints the key alone on the last line')
  .requiredOption('-o, --owner <name>', 'owner name')
  .action(async (opts: { owner: string }) => {
    process.exitCode = await runKeysCreate(opts.owner);
  });
keys
  .command('revoke')
  .description('revoke a key, given whole or by its prefix')
  .argument('<key>', 'the key or its prefix')
  .action(async (key: string) => {
    process.exitCode = await runKeysRevoke(key);
  });
keys
  .command('list')
  .description('every key: prefix, owner, created, revoked')
  .action(async () => {
    process.exitCode = await runKeysList();
  });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `facegraph: ${(err as Error).message ?? err}`);
  process.exit(1);
});
