import { createClient, type Client } from 'graphql-ws';

/**
 * The page's GraphQL client: JSON POSTs for operations, the GraphQL
 * multipart request spec for uploads, and subscriptions over one WebSocket
 * (graphql-ws). Uploads go through XMLHttpRequest because fetch cannot
 * report upload progress over HTTP/1.1, and the page shows progress per file.
 */

export const ENDPOINT = '/graphql';

/** One GraphQL error as facegraph sends it: a message and a stable `extensions.code`. */
export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A failed operation: the server's errors (or a transport failure, code NETWORK_ERROR). */
export class ApiError extends Error {
  readonly code: string;
  constructor(
    readonly errors: GraphQLErrorBody[],
    readonly status = 0,
  ) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.name = 'ApiError';
    this.code = errors[0]?.extensions?.code ?? 'NETWORK_ERROR';
  }
}

type Variables = Record<string, unknown>;

/**
 * The API key, for a server that has keys (a single-user server needs none).
 * Asked for once when the server answers 401, then kept in this browser; also
 * as a same-site cookie, which the server accepts for photos and thumbnails
 * only (an `<img>` cannot send a header), never for GraphQL.
 */
const KEY_STORAGE = 'facegraph.apiKey';
const KEY_COOKIE = 'facegraph_key';

function authHeaders(): Record<string, string> {
  const key = localStorage.getItem(KEY_STORAGE);
  if (!key) return {};
  // biome-ignore lint/suspicious/noDocumentCookie: one SameSite cookie so that <img> requests carry the key; the Cookie Store API is not in every browser
  document.cookie = `${KEY_COOKIE}=${encodeURIComponent(key)}; path=/; SameSite=Strict`;
  return { authorization: `Bearer ${key}` };
}

/** After a 401: asks for a key; true if one was given (the caller retries once). */
function askForKey(): boolean {
  const key = window.prompt('This facegraph server needs an API key (facegraph keys create --owner NAME):')?.trim();
  if (!key) return false;
  localStorage.setItem(KEY_STORAGE, key);
  return true;
}

function unwrap<T>(status: number, text: string): T {
  let body: { data?: T; errors?: GraphQLErrorBody[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError([{ message: text.slice(0, 200) || `HTTP ${status}`, extensions: { code: 'NETWORK_ERROR' } }], status);
  }
  if (body.errors?.length) throw new ApiError(body.errors, status);
  if (body.data === undefined || body.data === null) throw new ApiError([{ message: `HTTP ${status} without data` }], status);
  return body.data;
}

/** Runs a query or mutation with JSON variables. */
export async function request<T>(query: string, variables: Variables = {}, signal?: AbortSignal, retried = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError([{ message: `cannot reach the server: ${(err as Error).message}`, extensions: { code: 'NETWORK_ERROR' } }]);
  }
  if (res.status === 401 && !retried && askForKey()) return request<T>(query, variables, signal, true);
  return unwrap<T>(res.status, await res.text());
}

export interface UploadOptions {
  /** Bytes sent so far and in all, as the browser reports them. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec):
 * `operations` with the file variables set to null, `map` from part name to
 * variable path, then one part per file. `files` maps a variable path such as
 * `files.0` or `file` to its File. The `apollo-require-preflight` header is
 * what Apollo Server's CSRF prevention asks of multipart requests.
 */
export function upload<T>(query: string, variables: Variables, files: Record<string, File>, options: UploadOptions = {}): Promise<T> {
  const vars: Variables = structuredClone(variables);
  const map: Record<string, string[]> = {};
  const form = new FormData();
  Object.keys(files).forEach((varPath, i) => {
    setPath(vars, varPath, null);
    map[String(i)] = [`variables.${varPath}`];
  });
  form.append('operations', JSON.stringify({ query, variables: vars }));
  form.append('map', JSON.stringify(map));
  Object.values(files).forEach((file, i) => form.append(String(i), file, file.name));

  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', ENDPOINT);
    xhr.setRequestHeader('apollo-require-preflight', 'true');
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      try {
        resolve(unwrap<T>(xhr.status, xhr.responseText));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () =>
      reject(new ApiError([{ message: 'upload failed: the connection was lost', extensions: { code: 'NETWORK_ERROR' } }]));
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** Sets `a.b.0` style paths in a plain object, creating arrays for numeric keys. */
function setPath(target: Variables, varPath: string, value: unknown): void {
  const keys = varPath.split('.');
  // biome-ignore lint/suspicious/noExplicitAny: walks and builds an arbitrary nested object by string keys
  let node: any = target;
  keys.slice(0, -1).forEach((key, i) => {
    node[key] ??= /^\d+$/.test(keys[i + 1]) ? [] : {};
    node = node[key];
  });
  node[keys[keys.length - 1]] = value;
}

let socket: Client | undefined;

/** The WebSocket failed (refused, closed, no WebSocket on the way): the caller falls back to polling. */
export class SocketError extends Error {
  constructor(readonly closeCode?: number) {
    super(`live updates unavailable${closeCode ? ` (WebSocket closed with ${closeCode})` : ''}`);
    this.name = 'SocketError';
  }
}

/**
 * Runs a subscription on the page's one WebSocket (same path as GraphQL over
 * HTTP; the key goes in connection_init, since a WebSocket cannot carry
 * headers), calling `onData` with each result. Resolves when the server ends
 * it; rejects with ApiError for the server's errors (NOT_FOUND, ...), with
 * SocketError when the socket fails.
 */
export function subscribe<T>(query: string, variables: Variables, onData: (data: T) => void, signal?: AbortSignal): Promise<void> {
  const url = new URL(ENDPOINT, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket ??= createClient({
    url: url.href,
    lazy: true,
    retryAttempts: 1,
    connectionParams: () => {
      const key = localStorage.getItem(KEY_STORAGE);
      return key ? { authorization: `Bearer ${key}` } : {};
    },
  });
  return new Promise<void>((resolve, reject) => {
    const stop = socket!.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) reject(new ApiError(result.errors as GraphQLErrorBody[]));
          else if (result.data) onData(result.data);
        },
        error: (err) =>
          reject(Array.isArray(err) ? new ApiError(err as GraphQLErrorBody[]) : new SocketError((err as { code?: number })?.code)),
        complete: resolve,
      },
    );
    signal?.addEventListener(
      'abort',
      () => {
        stop();
        resolve();
      },
      { once: true },
    );
  });
}

/** A short human message for any error the page shows. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.code && err.code !== 'NETWORK_ERROR' ? `${err.code}: ${err.message}` : err.message;
  return (err as Error)?.message ?? String(err);
}
