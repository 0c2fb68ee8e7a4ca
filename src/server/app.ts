import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express4';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import type { Config } from '../config.js';
import { createContext, type GraphQLContext } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import type { Services } from '../services/services.js';
import { playgroundRouter } from './playground.js';

export const GRAPHQL_PATH = '/graphql';

export interface HttpServer {
  server: http.Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Express + Apollo Server 5 with GraphQL multipart uploads. Apollo's CSRF
 * prevention stays on: multipart clients send `apollo-require-preflight: true`.
 */
export async function startHttpServer(
  schema: GraphQLSchema,
  services: Services,
  config: Pick<Config, 'port' | 'host' | 'limits' | 'dataDir'>,
): Promise<HttpServer> {
  const app = express();
  const server = http.createServer(app);
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(playgroundRouter(GRAPHQL_PATH));
  app.use(
    GRAPHQL_PATH,
    graphqlUploadExpress({
      maxFileSize: config.limits.maxFileBytes,
      maxFiles: config.limits.maxFiles,
    }),
    express.json({ limit: '2mb' }),
    expressMiddleware(apollo, {
      context: async () => createContext(services, {
        maxPage: config.limits.maxPage,
        maxFiles: config.limits.maxFiles,
        stagingDir: path.join(config.dataDir, 'staging'),
      }),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`,
    stop: () => apollo.stop(),
  };
}
