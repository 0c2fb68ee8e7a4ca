import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FolderUnavailableError, walkFolder, type WalkPage } from '../../src/watch/folder-walker.js';

/**
 * The watched-folder walk: pages of photo files streamed with opendir, symlinks
 * followed only inside the root and never round a loop, and what cannot be
 * read reported as a problem of the page or as the folder's own state. Root
 * reads everything, so EACCES is injected.
 */
let root: string;

before(async () => {
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-walk-')));
  for (let i = 0; i < 7; i++) {
    await fs.mkdir(path.join(root, 'lib', `d${i % 3}`), { recursive: true });
    await fs.writeFile(path.join(root, 'lib', `d${i % 3}`, `p${i}.jpg`), `photo ${i}`);
  }
  await fs.writeFile(path.join(root, 'lib', 'notes.txt'), 'not a photo');
  await fs.writeFile(path.join(root, 'lib', '.hidden.jpg'), 'a temporary file');
  await fs.symlink('..', path.join(root, 'lib', 'd0', 'up'));
  await fs.symlink('self', path.join(root, 'lib', 'd1', 'self'));
  await fs.symlink(os.tmpdir(), path.join(root, 'lib', 'd2', 'out'));
  await fs.symlink(path.join(root, 'lib', 'd0', 'p0.jpg'), path.join(root, 'lib', 'linked.jpg'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

async function walkAll(options: Parameters<typeof walkFolder>[2] = {}, folder = 'lib'): Promise<WalkPage[]> {
  const pages: WalkPage[] = [];
  for await (const page of walkFolder(root, folder, options)) pages.push(page);
  return pages;
}

test('every photo once, in pages of at most pageSize; loops and links out reported, the rest walked', async () => {
  const pages = await walkAll({ pageSize: 3 });
  const files = pages.flatMap((p) => p.files.map((f) => f.path)).sort();
  assert.deepEqual(files, [...Array.from({ length: 7 }, (_, i) => `lib/d${i % 3}/p${i}.jpg`), 'lib/linked.jpg'].sort());
  assert.ok(pages.every((p) => p.files.length <= 3));
  const problems = pages.flatMap((p) => p.problems).join('\n');
  assert.match(problems, /lib\/d0\/up: symlink loop/);
  assert.match(problems, /lib\/d1\/self: symlink loop/);
  assert.match(problems, /lib\/d2\/out: symlink leads outside the import root/);
});

test('a subfolder that cannot be read is a problem of the page; the folder itself is UNREADABLE; gone is MISSING', async () => {
  const denied = (target: string) => ({
    opendir: async (dir: string, opts?: object) => {
      if (dir === target) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      return fs.opendir(dir, opts);
    },
    stat: fs.stat,
    realpath: fs.realpath,
  });
  const pages = await walkAll({ fsApi: denied(path.join(root, 'lib', 'd1')) as never });
  assert.match(pages.flatMap((p) => p.problems).join('\n'), /lib\/d1: cannot be read \(EACCES\)/);
  assert.ok(!pages.flatMap((p) => p.files).some((f) => f.path.startsWith('lib/d1/')));
  assert.ok(
    pages.flatMap((p) => p.files).some((f) => f.path.startsWith('lib/d0/')),
    'the rest walked',
  );

  await assert.rejects(walkAll({ fsApi: denied(path.join(root, 'lib')) as never }), (err: unknown) => {
    assert.ok(err instanceof FolderUnavailableError);
    assert.equal(err.state, 'UNREADABLE');
    return true;
  });
  await assert.rejects(walkAll({}, 'nowhere'), (err: unknown) => err instanceof FolderUnavailableError && err.state === 'MISSING');
  await assert.rejects(
    walkAll({}, 'lib/notes.txt'),
    (err: unknown) => err instanceof FolderUnavailableError && /no longer a folder/.test(err.message),
  );
});

test('a file that vanishes while it is listed is left out without a problem (the next round sees it gone)', async () => {
  const vanished = path.join(root, 'lib', 'd2', 'p2.jpg');
  const pages = await walkAll({
    fsApi: {
      opendir: fs.opendir,
      realpath: fs.realpath,
      stat: (async (p: string) => {
        if (p === vanished) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
        return fs.stat(p);
      }) as typeof fs.stat,
    },
  });
  assert.ok(!pages.flatMap((p) => p.files).some((f) => f.path === 'lib/d2/p2.jpg'));
  assert.ok(!pages.flatMap((p) => p.problems).some((p) => p.includes('p2.jpg')));
});
