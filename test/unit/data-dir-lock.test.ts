import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.js';
import { openDatabase } from '../../src/db/database.js';

test('an embedded data folder opens in one process at a time; a dead holder is taken over', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-lock-'));
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    // A live process holds the folder: opening it is refused, and nothing is created in it.
    await fs.writeFile(path.join(dir, 'facegraph.lock'), `${holder.pid}\n`);
    await assert.rejects(openDatabase({ databaseUrl: undefined, dataDir: dir }), DataDirLockedError);
    await assert.rejects(fs.access(path.join(dir, 'pglite', 'PG_VERSION')));
    // It exits: its lock is stale and the next open takes it over.
    holder.kill();
    await new Promise((resolve) => holder.once('exit', resolve));
    const database = await openDatabase({ databaseUrl: undefined, dataDir: dir });
    assert.equal(Number(await fs.readFile(path.join(dir, 'facegraph.lock'), 'utf8')), process.pid);
    // While open, this process cannot open it a second time either.
    await assert.rejects(lockDataDir(dir), DataDirLockedError);
    await database.close();
    await assert.rejects(fs.access(path.join(dir, 'facegraph.lock')), 'closing releases the lock');
  } finally {
    holder.kill();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
