import http from 'node:http';
import path from 'node:path';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
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
import { queryLimits } from '../graphql/query-limits.js';
import { authenticate, ownerOf } from './authentication.js';
import { PHOTO_PATH } from '../services/album.service.js';
import { FACE_THUMBNAIL_PATH } from '../services/face-thumbnail.service.js';
import { corsMiddleware } from './cors.js';
import { httpErrorHandler } from './http-errors.js';
import { photoRouter, XMP_PATH } from './photo-route.js';
import { playgroundRouter } from './playground.js';
import { startSubscriptionServer } from './subscription-server.js';
import { thumbnailRouter } from './thumbnail-route.js';
import { webUiRouter } from './web-ui.js';

/** GraphQL requests carry queries and small variables; files go through multipart. */
const JSON_BODY_LIMIT = '256kb';

export const GRAPHQL_PATH = '/graphql';

/** Operational endpoints' sources; without them /healthz only says the process is up and /metrics is absent. */
export interface Operations {
  /** Resolves when the database answers. */
  checkDatabase?: () => Promise<void>;
  /** Prometheus text exposition. */
  metrics?: { render(): Promise<{ contentType: string; body: string }> };
}

/** A database that has not answered in this long is reported unreachable. */
const HEALTH_TIMEOUT_MS = 2000;

export interface HttpServer {
  server: http.Server;
  /** The Express app, whose routes the owner-isolation test walks. */
  app: express.Express;
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
  config: Pick<Config, 'port' | 'host' | 'limits' | 'dataDir' | 'introspection' | 'playground' | 'corsOrigins'>,
  ops: Operations = {},
): Promise<HttpServer> {
  const app = express();
  const server = http.createServer(app);
  // Clients poll ingestBatch while photos are analysed in this process, and a
  // long synchronous stretch of inference can outlast Node's 5 s keep-alive: the
  // socket would be closed under a request already sent. Outlast proxies instead.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const limits = queryLimits();
  const contextLimits = {
    maxPage: config.limits.maxPage,
    maxFiles: config.limits.maxFiles,
    stagingDir: path.join(config.dataDir, 'staging'),
  };
  const subscriptions = startSubscriptionServer({
    server,
    path: GRAPHQL_PATH,
    schema,
    services,
    validationRules: limits.validationRules,
    contextLimits,
    origins: config.corsOrigins,
  });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    csrfPrevention: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // The process handles SIGINT/SIGTERM itself (src/main.ts). Apollo's own handlers would call stop()
    // concurrently with ours, and Apollo Server 5 leaves a concurrent stop() waiting forever: every
    // `npm start` hung on Ctrl-C. (Found by the load bench; test/api/shutdown.test.ts.)
    stopOnTerminationSignals: false,
    validationRules: limits.validationRules,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // Open subscriptions end with the server, so that stop() does not wait on their sockets.
      { serverWillStart: async () => ({ drainServer: () => subscriptions.dispose() }) },
      ApolloServerPluginLandingPageDisabled(),
      // graphql-armor is typed against Apollo's CJS build; the plugin objects are the same.
      ...(limits.plugins as unknown as ApolloServerPlugin<GraphQLContext>[]),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  // 200 when the process is up and the database answers; 503 (with the reason) when it does not.
  // Free space rides along (`storage`): a disk under FACEGRAPH_MIN_FREE_MB refuses uploads but the server is up.
  app.get('/healthz', async (_req, res) => {
    const storage = await services.storage.status().catch(() => undefined);
    if (!ops.checkDatabase) {
      res.json({ status: 'ok', storage });
      return;
    }
    try {
      await withTimeout(ops.checkDatabase(), HEALTH_TIMEOUT_MS);
      res.json({ status: 'ok', database: 'ok', storage });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', database: 'unreachable', error: (err as Error).message, storage });
    }
  });
  if (ops.metrics) {
    const metrics = ops.metrics;
    app.get('/metrics', async (_req, res) => {
      try {
        const { contentType, body } = await metrics.render();
        res.type(contentType).send(body);
      } catch (err) {
        res
          .status(500)
          .type('text/plain')
          .send(`metrics unavailable: ${(err as Error).message}\n`);
      }
    });
  }
  // Other origins' pages (FACEGRAPH_CORS_ORIGINS) may call the API and fetch photos; the web UI stays same-origin.
  if (config.corsOrigins.length > 0) {
    app.use([GRAPHQL_PATH, PHOTO_PATH, FACE_THUMBNAIL_PATH, XMP_PATH], corsMiddleware(config.corsOrigins));
  }
  app.use(webUiRouter());
  app.use(thumbnailRouter(services, authenticate(services, { cookie: true })));
  app.use(photoRouter(services, authenticate(services, { cookie: true })));
  if (config.playground) app.use(playgroundRouter(GRAPHQL_PATH));
  app.use(
    GRAPHQL_PATH,
    // A request answered before its body was read (an upload refused for its album, its key, ...): read the
    // rest and drop it, or the client's next request on this keep-alive connection waits behind it. The
    // multipart parser may still hold the stream, paused on a file nobody reads: take it off first.
    (req, res, next) => {
      res.on('finish', () => {
        if (req.complete) return;
        req.unpipe();
        req.resume();
      });
      next();
    },
    // A request over the byte limit is refused from its Content-Length, before a byte of it is read.
    // (Without a Content-Length — chunked — the per-file and files-per-request limits still bound it.)
    (req, res, next) => {
      const length = Number(req.headers['content-length'] ?? 0);
      if (length <= config.limits.maxRequestBytes) return next();
      res
        .set('Connection', 'close')
        .status(413)
        .json({
          errors: [
            {
              message: `request of ${length} bytes is over the limit of ${config.limits.maxRequestBytes} (FACEGRAPH_MAX_REQUEST_BYTES)`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
    },
    // Who is asking, before anything of the request is read: an unauthenticated upload is never staged.
    authenticate(services),
    graphqlUploadExpress({
      maxFileSize: config.limits.maxFileBytes,
      maxFiles: config.limits.maxFiles,
    }),
    express.json({ limit: JSON_BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ res }) => createContext(services, ownerOf(res), contextLimits),
    }),
  );
  app.use(httpErrorHandler);

  if (!isLoopback(config.host) && (await services.keys.singleUser())) {
    await apollo.stop();
    throw new SingleUserBindError(config.host);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    app,
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}${GRAPHQL_PATH}`,
    stop: () => apollo.stop(),
  };
}

/** A server without API keys serves whoever reaches it as the local owner: only the machine itself may. */
export class SingleUserBindError extends Error {
  constructor(host: string) {
    super(
      `HOST=${host}: without any API key facegraph is single-user and listens on loopback only. ` +
        'Create a key first (facegraph keys create --owner NAME), or leave HOST unset.',
    );
    this.name = 'SingleUserBindError';
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Only /healthz and /metrics, for processes without the API (`facegraph worker --port`),
 * so that every process can be probed and scraped the same way.
 */
export async function startOpsServer(ops: Operations, port: number, host: string): Promise<{ url: string; stop(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    try {
      if (ops.checkDatabase) await withTimeout(ops.checkDatabase(), HEALTH_TIMEOUT_MS);
      res.json({ status: 'ok', ...(ops.checkDatabase ? { database: 'ok' } : {}) });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', database: 'unreachable', error: (err as Error).message });
    }
  });
  if (ops.metrics) {
    const metrics = ops.metrics;
    app.get('/metrics', async (_req, res) => {
      const { contentType, body } = await metrics.render();
      res.type(contentType).send(body);
    });
  }
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
