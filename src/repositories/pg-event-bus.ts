import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { EventBus, EventListener, FacegraphEvent } from './event-bus.js';

/** The one channel every facegraph process publishes to and listens on. */
export const EVENT_CHANNEL = 'facegraph_events';

/** NOTIFY payloads must stay under 8000 bytes; an event larger than this loses its item list (followers re-read). */
const MAX_PAYLOAD = 7000;

/**
 * The bus on PostgreSQL: `pg_notify` through the application's pool to
 * publish, and one dedicated connection that LISTENs, opened with the first
 * subscriber (workers that only publish never hold one). The listening
 * connection is reopened when it drops — a database restart — with what was
 * sent meanwhile lost, which followers make up for by re-reading.
 */
export class PgEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastErrorLog = 0;

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: Kysely<any>: works on any database schema (migrations and raw SQL do not use the typed tables)
    private readonly db: Kysely<any>,
    private readonly connectionString: string,
  ) {}

  async publish(event: FacegraphEvent): Promise<void> {
    let payload = JSON.stringify(event);
    if (payload.length > MAX_PAYLOAD && event.kind === 'batch') payload = JSON.stringify({ ...event, items: [] });
    await sql`SELECT pg_notify(${EVENT_CHANNEL}, ${payload})`.execute(this.db);
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    void this.listen();
    return () => this.emitter.off('event', listener);
  }

  /** Resolves once the listening connection is open, or after a failed attempt (a reconnect follows). */
  async ready(): Promise<void> {
    await this.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.emitter.removeAllListeners();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private listen(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'facegraph-events' });
    client.on('notification', (message) => {
      if (message.channel !== EVENT_CHANNEL || !message.payload) return;
      try {
        this.emitter.emit('event', JSON.parse(message.payload) as FacegraphEvent);
      } catch (err) {
        this.logThrottled(`[events] bad event ignored: ${(err as Error).message}`);
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENT_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  /** The listening connection failed: drop it and, while anyone listens, open another a second later. */
  private lost(client: pg.Client, err: Error): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logThrottled(`[events] listening connection lost (${err.message}); reconnecting`);
    if (this.retryTimer || this.emitter.listenerCount('event') === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listen();
    }, 1000);
    this.retryTimer.unref();
  }

  private logThrottled(message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    console.error(message);
  }
}
