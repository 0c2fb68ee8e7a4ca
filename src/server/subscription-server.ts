import type http from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { socketOriginAllowed } from './cors.js';
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
  /** Other origins whose pages may open a socket (FACEGRAPH_CORS_ORIGINS); the server's own always may. */
  origins?: readonly string[];
}

/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, `graphql-transport-ws`)
 * on the HTTP server's own port and path. The API key travels in the
 * `connection_init` payload — `{ "authorization": "Bearer fg_..." }`, or
 * `{ "apiKey": "fg_..." }` — since browsers cannot set headers on a WebSocket;
 * a missing or wrong key, while keys are on, closes the socket with 4401.
 * Errors go through the same `formatError` as over HTTP, and a document that does not parse or
 * validate gets the same coded error as over HTTP. Returns the dispose
 * function that closes every socket (for the server's drain).
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): { dispose(): Promise<void> } {
  const { services } = options;
  const origins = options.origins ?? [];
  // A browser always sends Origin: a page of a site not allowed is refused at the handshake (403).
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path,
    verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) =>
      socketOriginAllowed(info.req, origins) ? done(true) : done(false, 403, 'Origin not allowed'),
  });
  const rules = [...specifiedRules, ...options.validationRules];
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));
  // biome-ignore lint/correctness/useHookAtTopLevel: graphql-ws's useServer is a plain function, not a React hook
  const disposable = useServer<Record<string, unknown> | undefined, { owner: Owner }>(
    {
      schema: options.schema,
      // Error details go through formatError; never let graphql-ws read NODE_ENV for it.
      isProd: true,
      // Parsed and validated here, so that a document HTTP would refuse is refused the same way: an
      // `error` message with GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED (graphql-ws on its own
      // closes the whole socket with 4500 on a syntax error, and gives validation errors no code).
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          if (!(err instanceof GraphQLError)) throw err;
          return [withCode(err, err.message, 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validateAsOverHttp(options.schema, document, rules);
        if (errors.length > 0) return errors;
        return { schema: options.schema, document, operationName: payload.operationName, variableValues: payload.variables };
      },
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

/**
 * graphql's validation errors as Apollo answers them over HTTP: code `GRAPHQL_VALIDATION_FAILED`
 * (graphql itself gives them none, so formatError would mask them as a bug), and the field
 * suggestions hidden as graphql-armor's blockFieldSuggestion hides them there ("Did you mean"
 * would list the schema, introspection off or not).
 */
function validateAsOverHttp(schema: GraphQLSchema, document: DocumentNode, rules: readonly ValidationRule[]): GraphQLError[] {
  return validate(schema, document, rules).map((error) =>
    withCode(error, error.message.replace(/Did you mean ".+"/g, '[Suggestion hidden]'), 'GRAPHQL_VALIDATION_FAILED'),
  );
}

/** A copy of a parse or validation error with `message` and the code Apollo gives it over HTTP. */
function withCode(error: GraphQLError, message: string, code: string): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code },
  });
}

/** The key from a connection_init payload, as an Authorization header value (undefined: none given). */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const authorization = params?.authorization ?? params?.Authorization;
  if (typeof authorization === 'string') return authorization;
  return typeof params?.apiKey === 'string' ? `Bearer ${params.apiKey}` : undefined;
}
