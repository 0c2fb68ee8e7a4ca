import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { watch, type FSWatcher } from 'chokidar';
import type { WatchedFolderRecord } from '../services/records.js';
import type { FolderFile, WatchService } from '../services/watch.service.js';
import { FolderUnavailableError, isPhotoName, walkFolder } from './folder-walker.js';

/** How a folder is kept in step after its scan. */
export interface FolderWatchOptions {
  /**
   * `auto`: the file system's own change events (inotify), or rescans every `pollSeconds` on a network file
   * system (NFS, SMB/CIFS, FUSE, 9p, Ceph), where those events do not come; `always`: rescans only; `never`:
   * events only.
   */
  polling: 'auto' | 'always' | 'never';
  /** Seconds between rescans when polling, and between looks at a folder that is missing or unreadable. */
  pollSeconds: number;
  /** Quiet after the last change before a round of changes runs (ms). */
  debounceMs?: number;
  /** A file whose size and mtime have not moved for this long is taken as written in full (ms). */
  stableMs?: number;
}

/** statfs f_type of file systems whose change events do not reach this host (they are polled). */
const NETWORK_FILE_SYSTEMS = new Set([
  0x6969, // NFS
  0x517b, // SMB
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x65735546, // FUSE (sshfs, rclone, ...)
  0x01021997, // 9p (VM and container shares)
  0x00c36400, // Ceph
  0x5346414f, // AFS
]);

/**
 * One watched folder in the process that holds its lease: a scan first (at
 * every start, so changes made while no process watched are caught up), then
 * change events — debounced, and only for files whose size has settled, so a
 * half-copied photo is never read — or rescans on file systems without them.
 * Rounds run one at a time; the folder's state says what went wrong.
 */
export class FolderSession {
  private readonly abort = new AbortController();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly changed = new Set<string>();
  /** Paths seen going, with when: removed only after a grace, so that a rename's new name (which waits for its size to settle) is found first. */
  private readonly removed = new Map<string, number>();
  private polling = false;
  private readonly debounceMs: number;
  private readonly stableMs: number;

  constructor(
    private folder: WatchedFolderRecord,
    private readonly service: WatchService,
    private readonly root: string,
    private readonly options: FolderWatchOptions,
  ) {
    this.debounceMs = options.debounceMs ?? 300;
    this.stableMs = options.stableMs ?? 1000;
  }

  get folderId(): number {
    return this.folder.id;
  }

  start(): void {
    this.run(() => this.scan());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    clearTimeout(this.debounce);
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
    await this.chain;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private run(task: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await task();
      } catch (err) {
        if (this.stopped) return;
        console.error(`[watch] folder ${this.folder.path}: ${(err as Error).message}`);
        // A database blip or the like: looked at again later, as a folder that could not be read is.
        this.later(() => this.scan());
      }
    });
  }

  private later(task: () => Promise<void>, ms = this.options.pollSeconds * 1000): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(task), ms);
    this.timer.unref();
  }

  /** Walks the whole folder in pages; then what the scan did not see and is gone leaves the album. */
  private async scan(): Promise<void> {
    const scan = await this.service.beginScan(this.folder);
    if (scan === undefined || this.stopped) return;
    const batches: number[] = [];
    const problems: string[] = [];
    const fresh: string[] = [];
    let scanned = 0;
    try {
      // Listening before walking: a change made during the scan is not lost.
      if (!this.polling && !this.watcher) await this.startWatching();
      for await (const page of walkFolder(this.root, this.folder.path, { signal: this.abort.signal })) {
        problems.push(...page.problems);
        const now = Date.now();
        const settled = page.files.filter((f) => now - f.mtimeMs >= this.stableMs);
        for (const f of page.files) if (now - f.mtimeMs < this.stableMs) fresh.push(f.path);
        scanned += page.files.length;
        const batch = await this.service.scanPage(this.folder, scan, settled, scanned);
        if (batch !== undefined) batches.push(batch);
      }
    } catch (err) {
      if (!(err instanceof FolderUnavailableError)) throw err;
      await this.unavailable(err);
      return;
    }
    if (this.stopped) return;
    // Files still being written when the walk passed: part of this scan once their size has settled.
    const late = await this.settled(fresh);
    if (late.files.length > 0) {
      // Already counted when the walk passed them.
      const batch = await this.service.scanPage(this.folder, scan, late.files, scanned);
      if (batch !== undefined) batches.push(batch);
    }
    problems.push(...(await this.service.settle(batches, this.abort.signal)));
    if (this.stopped) return;
    await this.service.finishScan(this.folder, scan);
    const row = await this.service.setState(this.folder, problems.length > 0 ? 'PARTIAL' : 'WATCHING', problems, true);
    if (row) this.folder = row;
    // Still being written: read once they have settled.
    for (const f of late.moving) this.changed.add(f);
    if (late.moving.length > 0) this.schedule(this.stableMs);
    if (this.polling) this.later(() => this.scan());
  }

  /** One round of the changes heard since the last: new and changed files queued, then the gone ones removed. */
  private async round(): Promise<void> {
    const top = path.join(this.root, this.folder.path);
    try {
      const stat = await fs.stat(top);
      if (!stat.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      await this.unavailable(
        new FolderUnavailableError(
          code === 'ENOENT' || code === 'ENOTDIR' ? 'MISSING' : 'UNREADABLE',
          code === 'ENOENT'
            ? `${this.folder.path} is gone`
            : code === 'ENOTDIR'
              ? `${this.folder.path} is no longer a folder`
              : `${this.folder.path} cannot be read (${code})`,
        ),
      );
      return;
    }
    const changed = [...this.changed];
    this.changed.clear();
    const grace = this.stableMs + 2 * this.debounceMs + 1000;
    const removed: string[] = [];
    let waiting = false;
    for (const [rel, at] of this.removed) {
      if (Date.now() - at < grace) waiting = true;
      else {
        removed.push(rel);
        this.removed.delete(rel);
      }
    }
    const files: FolderFile[] = [];
    const unsettled: string[] = [];
    const now = Date.now();
    for (const rel of changed) {
      try {
        const stat = await fs.stat(path.join(this.root, rel));
        if (!stat.isFile()) continue;
        if (now - stat.mtimeMs < this.stableMs) unsettled.push(rel);
        else files.push({ path: rel, size: stat.size, mtimeMs: stat.mtimeMs });
      } catch {
        this.removed.set(rel, now);
        waiting = true;
      }
    }
    const batch = await this.service.queueChanged(this.folder, files);
    const problems = batch === undefined ? [] : await this.service.settle([batch], this.abort.signal);
    if (this.stopped) return;
    // After the new files: a renamed photo has been found at its new path, so its image is not removed.
    await this.service.removePaths(this.folder, removed);
    if (problems.length > 0) {
      const row = await this.service.setState(this.folder, 'PARTIAL', problems);
      if (row) this.folder = row;
    }
    for (const rel of unsettled) this.changed.add(rel);
    if (unsettled.length > 0) this.schedule(this.stableMs);
    else if (waiting) this.schedule(grace);
  }

  /** Waits until these files have not changed for `stableMs`; those still moving then are left for a later round. */
  private async settled(paths: string[]): Promise<{ files: FolderFile[]; moving: string[] }> {
    const files: FolderFile[] = [];
    const moving: string[] = [];
    if (paths.length === 0) return { files, moving };
    await sleep(this.stableMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    const now = Date.now();
    for (const rel of paths) {
      const stat = await fs.stat(path.join(this.root, rel)).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (now - stat.mtimeMs < this.stableMs) moving.push(rel);
      else files.push({ path: rel, size: stat.size, mtimeMs: stat.mtimeMs });
    }
    return { files, moving };
  }

  private async unavailable(err: FolderUnavailableError): Promise<void> {
    // What was heard before it went is found again by the scan once it is back.
    this.changed.clear();
    this.removed.clear();
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
    const row = await this.service.setState(this.folder, err.state, err.message, true);
    if (row) this.folder = row;
    // Looked at again until it is back (a disk mounted again, a folder restored): then scanned.
    this.later(() => this.scan());
  }

  private schedule(ms = this.debounceMs): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.run(() => this.round()), ms);
    this.debounce.unref();
  }

  private async startWatching(): Promise<void> {
    const top = path.join(this.root, this.folder.path);
    if (this.options.polling === 'always' || (this.options.polling === 'auto' && (await onNetworkFileSystem(top)))) {
      this.polling = true;
      return;
    }
    const watcher = watch(top, {
      ignoreInitial: true,
      followSymlinks: false,
      // Dot files and folders: other programs' temporary files (rsync's .name.XXXXXX among them).
      ignored: (p: string) => path.basename(p).startsWith('.') && p !== top,
      awaitWriteFinish: { stabilityThreshold: this.stableMs, pollInterval: 200 },
    });
    const rel = (p: string) => path.relative(this.root, p).split(path.sep).join('/');
    const changed = (p: string) => {
      if (!isPhotoName(path.basename(p))) return;
      this.changed.add(rel(p));
      this.schedule();
    };
    watcher.on('add', changed).on('change', changed);
    watcher.on('unlink', (p) => {
      if (!isPhotoName(path.basename(p))) return;
      this.removed.set(rel(p), Date.now());
      this.schedule();
    });
    watcher.on('unlinkDir', (p) => {
      this.removed.set(rel(p), Date.now());
      this.schedule();
    });
    watcher.on('error', (err) => {
      // Out of inotify watches (ENOSPC), of file handles (EMFILE), ...: rescans instead, said on the folder.
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      console.error(`[watch] ${this.folder.path}: change events failed (${code}); polling every ${this.options.pollSeconds} s instead`);
      void this.watcher?.close().catch(() => undefined);
      this.watcher = undefined;
      this.polling = true;
      this.run(async () => {
        const row = await this.service.setState(
          this.folder,
          'PARTIAL',
          `change events failed (${code}); rescanned every ${this.options.pollSeconds} s`,
        );
        if (row) this.folder = row;
      });
      this.later(() => this.scan());
    });
    this.watcher = watcher;
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }
}

async function onNetworkFileSystem(dir: string): Promise<boolean> {
  try {
    return NETWORK_FILE_SYSTEMS.has((await fs.statfs(dir)).type);
  } catch {
    return false;
  }
}
