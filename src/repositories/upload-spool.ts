import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { storageFailure } from './disk-space.js';

const SPOOL = 'spool';
/** Where requests stage their multipart files (`ctx.stagingDir`, src/server/app.ts). */
export const STAGING = 'staging';

/**
 * Uploads waiting for their job, under `<dataDir>/spool`. A staged upload is
 * renamed in (same file system: atomic, no copy) before its batch commits,
 * and removed by the job only after the file's outcome is recorded, so a
 * crash at any point loses no photo; at worst it leaves a file that `sweep`
 * removes later. Refs are relative to the data folder, so that workers on
 * other hosts mounting the same folder elsewhere still find the files.
 */
export class UploadSpool {
  readonly root: string;

  constructor(private readonly dataDir: string) {
    this.root = path.join(dataDir, SPOOL);
  }

  /** Moves a staged file into the spool; returns its ref. */
  async adopt(stagedPath: string): Promise<string> {
    const name = `${Date.now()}-${randomBytes(8).toString('hex')}.upload`;
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.rename(stagedPath, path.join(this.root, name));
    } catch (err) {
      throw await storageFailure(err, this.root);
    }
    return `${SPOOL}/${name}`;
  }

  read(ref: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(ref));
  }

  async remove(ref: string): Promise<void> {
    await fs.rm(this.pathOf(ref), { force: true });
  }

  /** Spool files as refs, with their age in milliseconds. */
  async list(): Promise<{ ref: string; ageMs: number }[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.root);
    } catch {
      return [];
    }
    const now = Date.now();
    const out: { ref: string; ageMs: number }[] = [];
    for (const name of names) {
      const stat = await fs.stat(path.join(this.root, name)).catch(() => undefined);
      if (stat?.isFile()) out.push({ ref: `${SPOOL}/${name}`, ageMs: now - stat.mtimeMs });
    }
    return out;
  }

  /**
   * Removes files older than `minAgeMs` that no waiting item needs: left by a
   * crash between an upload's move and its batch's commit, or between a job's
   * record and its clean-up. Young files are kept: their batch may be committing.
   */
  async sweep(inUse: (refs: string[]) => Promise<Set<string>>, minAgeMs = 60 * 60 * 1000): Promise<number> {
    const staged = await this.sweepStaging(minAgeMs);
    const old = (await this.list()).filter((f) => f.ageMs >= minAgeMs).map((f) => f.ref);
    if (old.length === 0) return staged;
    const keep = await inUse(old);
    const drop = old.filter((ref) => !keep.has(ref));
    await Promise.all(drop.map((ref) => this.remove(ref)));
    return staged + drop.length;
  }

  /**
   * Removes files under `<dataDir>/staging` untouched for `minAgeMs`: a staged file lives only as long as its
   * request (the request removes it or hands it to the spool), so an old one was left by a process that died.
   */
  private async sweepStaging(minAgeMs: number): Promise<number> {
    const dir = path.join(this.dataDir, STAGING);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat?.isFile() && Date.now() - stat.mtimeMs >= minAgeMs) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private pathOf(ref: string): string {
    // Refs come from our own rows, but never let one point outside the spool.
    if (!/^spool\/[\w.-]+$/.test(ref)) throw new RangeError(`not a spool ref: ${ref}`);
    return path.join(this.dataDir, ref);
  }
}
