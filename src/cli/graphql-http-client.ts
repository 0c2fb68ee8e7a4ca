import fs from 'node:fs/promises';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../config.js';

/** A GraphQL error answered by the server, with its stable code. */
export class RemoteGraphQLError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'RemoteGraphQLError';
  }
}

/**
 * The few GraphQL calls the CLI makes against a running server, over plain
 * fetch: JSON for queries, the multipart request spec for uploads (with the
 * preflight header Apollo's CSRF protection asks for), and subscriptions over
 * one WebSocket (graphql-ws, opened with the first one; `close` ends it).
 */
export class GraphQLHttpClient {
  readonly url: string;
  private readonly auth: Record<string, string>;
  private ws: Client | undefined;

  /** `apiKey`: sent as a bearer token (FACEGRAPH_API_KEY); a single-user server needs none. */
  constructor(server: string, apiKey = loadConfig().apiKey) {
    const url = new URL(server);
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
    this.url = url.toString();
    this.auth = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.auth },
      body: JSON.stringify({ query, variables }),
    });
    return this.answer<T>(res);
  }

  /**
   * Runs a subscription, calling `onData` with each result. Resolves when the
   * server ends it; rejects when it fails or the socket cannot be opened (the
   * caller falls back to polling). `stop` ends it from this side.
   */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): { done: Promise<void>; stop: () => void } {
    const url = new URL(this.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws ??= createClient({ url: url.toString(), webSocketImpl: WebSocket, connectionParams: this.auth, retryAttempts: 2, lazy: true });
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = this.ws!.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            const first = result.errors?.[0];
            if (first) reject(new RemoteGraphQLError(first.message, first.extensions?.code as string | undefined));
            else if (result.data) onData(result.data);
          },
          error: (err) => reject(subscriptionError(err)),
          complete: resolve,
        },
      );
    });
    return { done, stop: () => stop() };
  }

  /** Closes the subscriptions' WebSocket, if one was opened. */
  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = undefined;
  }

  /** A mutation whose variable `filesVar` is a list of uploads, one per path. */
  async upload<T>(query: string, variables: Record<string, unknown>, filesVar: string, paths: string[]): Promise<T> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: { ...variables, [filesVar]: paths.map(() => null) } }));
    form.append('map', JSON.stringify(Object.fromEntries(paths.map((_, i) => [String(i), [`variables.${filesVar}.${i}`]]))));
    for (const [i, p] of paths.entries()) {
      form.append(String(i), new Blob([await fs.readFile(p)]), path.basename(p));
    }
    const res = await fetch(this.url, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true', ...this.auth } });
    return this.answer<T>(res);
  }

  private async answer<T>(res: Response): Promise<T> {
    const text = await res.text();
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new RemoteGraphQLError(`HTTP ${res.status} from ${this.url}: ${text.slice(0, 200)}`, undefined);
    }
    if (body.errors?.length) {
      const [first] = body.errors;
      throw new RemoteGraphQLError(first.message, first.extensions?.code);
    }
    if (!body.data) throw new RemoteGraphQLError(`HTTP ${res.status} from ${this.url}: no data`, undefined);
    return body.data;
  }
}

/** graphql-ws reports an Error, a list of GraphQL errors (validation) or the socket's CloseEvent. */
function subscriptionError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new RemoteGraphQLError(String(err[0]?.message ?? 'subscription refused'), err[0]?.extensions?.code);
  const close = err as { code?: number; reason?: string };
  return new Error(`WebSocket closed (${close.code ?? 'no code'}${close.reason ? `: ${close.reason}` : ''})`);
}
