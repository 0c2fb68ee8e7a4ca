import type http from 'node:http';
import { specifiedRules, validate, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { AppError } from '../errors.js';
import { createContext } from '../graphql/context.js';
import { formatError } from '../graphql/errors.js';
import type { Owner } from '../services/api-key.service.js';
import type { Services } from '../services/services.js';

/** The close code graphql-ws reserves for "not authenticated". */
export const CLOSE_UNAUTHORIZED = 4401;

export interface SubscriptionServerOptions {
  /** The HTTP server and path of GraphQL over HTTP: subscriptions share both. */
  server: http.Server;
  path: string;
  schema: GraphQLSchema;
  services: Services;
  /** The same query limits as over HTTP (depth, cost, aliases). */
  validationRules: readonly ValidationRule[];
  contextLimits: Parameters<typeof createContext>[2];
}

/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, `graphql-transport-ws`)
 * on the HTTP server's own port and path. The API key travels in the
 * `connection_init` payload — `{ "authorization": "Bearer fg_..." }`, or
 * `{ "apiKey": "fg_..." }` — since browsers cannot set headers on a WebSocket;
 * a missing or wrong key, while keys are on, closes the socket with 4401.
 * Errors go through the same `formatError` as over HTTP. Returns the dispose
 * function that closes every socket (for the server's drain).
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): { dispose(): Promise<void> } {
  const { services } = options;
  const wss = new WebSocketServer({ server: options.server, path: options.path });
  const rules = [...specifiedRules, ...options.validationRules];
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));
  const disposable = useServer<Record<string, unknown> | undefined, { owner: Owner }>(
    {
      schema: options.schema,
      // Error details go through formatError; never let graphql-ws read NODE_ENV for it.
      isProd: true,
      validate: (schema, document) => validate(schema, document, rules),
      onConnect: async (ctx) => {
        try {
          ctx.extra.owner = await services.keys.authenticate(authorizationOf(ctx.connectionParams));
          return true;
        } catch (err) {
          if (!(err instanceof AppError) || err.code !== 'UNAUTHENTICATED') throw err;
          ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
          return false;
        }
      },
      context: (ctx) => createContext(services, ctx.extra.owner!, options.contextLimits),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
  );
  return {
    dispose: async () => {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The key from a connection_init payload, as an Authorization header value (undefined: none given). */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') return authorization;
  return typeof params?.apiKey === 'string' ? `Bearer ${params.apiKey}` : undefined;
}
