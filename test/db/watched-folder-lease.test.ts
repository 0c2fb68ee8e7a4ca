import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Database } from '../../src/db/database.js';
import { WatchedFolderRepository } from '../../src/repositories/watched-folder.repository.js';
import { openScratchDatabase } from '../helpers/scratch-database.js';

/**
 * One watcher a folder across processes: the lease of a watched folder is
 * taken in one UPDATE, so of two processes claiming at once one wins; the
 * holder keeps it by claiming again, loses it when it stops renewing, and
 * gives it back when it stops. On PGlite, and on PostgreSQL with DATABASE_URL.
 */
let scratch: { database: Database; drop(): Promise<void> };
let folders: WatchedFolderRepository;
let albumId: number;

before(async () => {
  scratch = await openScratchDatabase('lease');
  folders = new WatchedFolderRepository(scratch.database.db);
  albumId = (await scratch.database.db.insertInto('albums').values({ owner_id: 1, name: 'a' }).returning('id').executeTakeFirstOrThrow())
    .id;
});
after(() => scratch?.drop());

test('two processes claiming at once: each folder goes to exactly one, and stays with it while it renews', async () => {
  const made = await Promise.all(['x', 'y', 'z'].map((p) => folders.upsert(albumId, p)));
  assert.ok(made.every((m) => m.created));
  assert.equal((await folders.upsert(albumId, 'x')).created, false);
  const [a, b] = await Promise.all([folders.claim('A', 30), folders.claim('B', 30)]);
  assert.equal(a.length + b.length, 3, 'every folder claimed once');
  const ids = (rows: { id: number }[]) => rows.map((r) => r.id).sort();
  assert.deepEqual(ids(await folders.claim('A', 30)), ids(a), 'renewed, nothing taken from B');
  assert.deepEqual(ids(await folders.claim('B', 30)), ids(b));
});

test('a lease not renewed is taken over; a released one at once', async () => {
  const before = await folders.claim('A', 30);
  // A stalls: its lease is let run out.
  await scratch.database.db
    .updateTable('watched_folders')
    .set({ lease_until: new Date(Date.now() - 1000) })
    .where('lease_holder', '=', 'A')
    .execute();
  const taken = await folders.claim('C', 30);
  assert.ok(
    before.every((f) => taken.some((t) => t.id === f.id)),
    "C took A's expired folders",
  );
  assert.equal((await folders.claim('A', 30)).length, 0, 'A holds nothing now');
  await folders.release('C');
  await folders.release('B');
  assert.equal((await folders.claim('A', 30)).length, 3, 'released folders are free at once');
});
