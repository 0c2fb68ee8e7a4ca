import { ConfigError, loadConfig } from './config.js';
import { createFacegraph } from './facegraph.js';
import { buildFacegraphSchema } from './graphql/schema.js';
import { startHttpServer } from './server/app.js';

/** `npm start`: the GraphQL server on the embedded PGlite, or on PostgreSQL when DATABASE_URL is set. */
async function main(): Promise<void> {
  const config = loadConfig();
  const facegraph = await createFacegraph(config);
  const schema = await buildFacegraphSchema();
  const http = await startHttpServer(schema, facegraph.services, config);
  const where = facegraph.database.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  console.log(`facegraph: GraphQL API and playground at ${http.url}`);
  console.log(`facegraph: storage ${where}; engine ${config.engine}; photos in ${facegraph.photos.root}`);
  // Load the networks now so the first request does not pay for it.
  facegraph.pipeline.engine.load().catch((err) => console.error('facegraph: model load failed:', err));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`facegraph: ${signal}, shutting down`);
    await http.stop();
    await facegraph.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
