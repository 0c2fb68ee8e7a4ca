import fs from 'node:fs/promises';
import path from 'node:path';
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
 * preflight header Apollo's CSRF protection asks for).
 */
export class GraphQLHttpClient {
  readonly url: string;
  private readonly auth: Record<string, string>;

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
