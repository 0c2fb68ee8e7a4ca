import { ConfigError, loadConfig } from './config.js';
import { createFacegraph } from './facegraph.js';
import { buildFacegraphSchema } from './graphql/schema.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { SingleUserBindError, startHttpServer } from './server/app.js';

/**
 * `npm start`: the GraphQL server on the embedded PGlite, or on PostgreSQL when
 * DATABASE_URL is set, with FACEGRAPH_WORKERS job consumers in the same process
 * (0: API only, jobs are left to `facegraph worker` processes).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const facegraph = await createFacegraph(config, { processMetrics: true });
  const schema = await buildFacegraphSchema();
  const http = await startHttpServer(schema, facegraph.services, config, {
    checkDatabase: facegraph.checkDatabase,
    metrics: facegraph.metrics,
  }).catch(async (err: unknown) => {
    await facegraph.close();
    throw err;
  });
  const where = facegraph.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  const workers = config.jobs.workers;
  console.log(`facegraph: GraphQL API and playground at ${http.url}; /healthz and /metrics beside it`);
  console.log(`facegraph: storage ${where}; engine ${config.engine}; photos in ${facegraph.photos.root}`);
  console.log(
    (await facegraph.services.keys.singleUser())
      ? `facegraph: single-user mode (no API keys): every request is the local owner's, on ${config.host} only; 'facegraph keys create --owner NAME' turns keys on`
      : 'facegraph: API keys on: every request needs Authorization: Bearer <key>',
  );
  console.log(
    `facegraph: ${facegraph.queue.kind} queue; ${workers === 0 ? 'no job workers in this process (FACEGRAPH_WORKERS=0)' : `${workers} job worker(s) in this process`}`,
  );
  // Load the networks now so the first request does not pay for it (an API-only process needs them for searchByPhoto).
  facegraph.analyzer.load().catch((err) => console.error('facegraph: model load failed:', err));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`facegraph: ${signal}, shutting down`);
    await http.stop();
    // Running jobs get a moment to finish; any still running are retried by another worker after their timeout.
    await facegraph.close(10_000);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof SingleUserBindError || err instanceof DataDirLockedError ? err.message : err);
  process.exit(1);
});
