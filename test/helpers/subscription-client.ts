import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What one subscription received: every `next` payload, how it ended, and the socket's close code if it was closed. */
export interface Received<T = any> {
  values: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] }[];
  /** Resolves when the subscription completes, errors or its socket closes. */
  ended: Promise<'complete' | 'error'>;
  closeCode?: number;
  /** The errors of a graphql-ws `error` message (the operation refused before it ran: parse, validation). */
  errors?: { message: string; locations?: unknown[]; extensions?: { code?: string } }[];
  /** Resolves with the first value (or when it ends without one). */
  first: Promise<void>;
}

/** A graphql-ws client over a real WebSocket to a test server's /graphql (http:// URL in, ws:// used). */
export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

/** Starts a subscription and records everything it receives. */
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Received<T> {
  const received = { values: [] } as unknown as Received<T>;
  let gotFirst!: () => void;
  received.first = new Promise<void>((resolve) => (gotFirst = resolve));
  received.ended = new Promise((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          received.values.push(value as Received<T>['values'][number]);
          gotFirst();
        },
        error: (err) => {
          // An `error` message is reported as its errors; a closed socket as its CloseEvent.
          if (Array.isArray(err)) received.errors = err;
          else received.closeCode = (err as { code?: number }).code;
          gotFirst();
          resolve('error');
        },
        complete: () => {
          gotFirst();
          resolve('complete');
        },
      },
    );
  });
  return received;
}

/** Rejects after `ms` with `what` in the message: a test waits on a subscription, never forever. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
