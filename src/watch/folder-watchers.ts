import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { WatchService } from '../services/watch.service.js';
import { FolderSession, type FolderWatchOptions } from './folder-session.js';

export interface FolderWatchersOptions extends FolderWatchOptions {
  /** How long a lease lasts unless renewed: another process takes a folder this long after its watcher died. */
  leaseSeconds?: number;
  /** How often leases are renewed and free folders claimed. */
  tickSeconds?: number;
}

/**
 * The watched folders of one process: every few seconds it renews the leases
 * of the folders it watches and claims the ones nobody holds (never held, or
 * their holder stopped renewing), so each folder has one watcher across all
 * processes on one database (PGlite has one process; on PostgreSQL the
 * server and any `facegraph worker`). A folder it no longer holds (unwatched,
 * or the lease lost in a long stall) is stopped.
 */
export class FolderWatchers {
  readonly holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly sessions = new Map<number, FolderSession>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly leaseSeconds: number;
  private readonly tickSeconds: number;

  constructor(
    private readonly service: WatchService,
    private readonly options: FolderWatchersOptions,
  ) {
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.tickSeconds = options.tickSeconds ?? 5;
  }

  start(): void {
    this.service.onWake(() => this.tick());
    this.timer = setInterval(() => this.tick(), this.tickSeconds * 1000);
    this.timer.unref();
    this.tick();
  }

  /** Claims and renews now (a folder was just watched or unwatched here). */
  tick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.claim()
      .catch((err) => console.error(`[watch] could not claim watched folders: ${(err as Error).message}`))
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.tick();
        }
      });
  }

  /** Stops every folder's watcher and gives the leases back, so another process takes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
    this.sessions.clear();
    await this.service.release(this.holder).catch(() => undefined);
  }

  private async claim(): Promise<void> {
    const held = await this.service.claim(this.holder, this.leaseSeconds);
    if (this.stopped) return;
    const ids = new Set(held.map((f) => f.id));
    for (const [id, session] of this.sessions) {
      if (!ids.has(id)) {
        this.sessions.delete(id);
        await session.stop();
      }
    }
    const root = held.length > 0 ? await this.service.root() : '';
    for (const folder of held) {
      if (this.sessions.has(folder.id)) continue;
      const session = new FolderSession(folder, this.service, root, this.options);
      this.sessions.set(folder.id, session);
      session.start();
    }
  }
}
