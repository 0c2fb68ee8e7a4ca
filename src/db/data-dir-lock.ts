import fs from 'node:fs/promises';
import path from 'node:path';

/** Another live process has the embedded database open. */
export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the embedded database in ${dir} is in use by process ${pid}: a PGlite folder takes one process at a time ` +
        '(stop that process, or use PostgreSQL via DATABASE_URL for several)',
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * Takes `<dir>/facegraph.lock` (created exclusively, holding our pid) before
 * PGlite opens the folder: two processes writing one PGlite folder would
 * corrupt it. A lock left by a process that no longer runs is taken over.
 * Returns the release function.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'facegraph.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return async () => {
        // Only our own lock: never remove one a later process took over.
        if ((await readPid(file)) === process.pid) await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = await readPid(file);
    if (holder !== undefined && (holder === process.pid || isAlive(holder))) throw new DataDirLockedError(dir, holder);
    await fs.rm(file, { force: true });
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
