import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { gql } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { subscribe, wsClient } from '../helpers/subscription-client.js';
import { describeWithDatasets, LFW10_DIR } from '../support/datasets.js';

/**
 * Issue 36: a folder of forty photos under the import root, watched, is
 * indexed where it lies (the data folder, its database aside, grows by far
 * less than the photos), and kept in step: a photo copied in appears within
 * 10 s, a deleted one leaves the album, a renamed one keeps its image id and
 * faces, and changes made while the server was down are seen when it starts.
 * A folder that goes away is MISSING (its photos 404 PHOTO_MISSING), a symlink
 * loop is reported on the folder, and the rest of the library is unaffected.
 */
const FOLDER = 'library';
/** A missing folder is looked at again every 2 s here (60 s by default). */
const ENV = () => ({ FACEGRAPH_IMPORT_ROOT: importRoot, FACEGRAPH_WATCH_POLL_SECONDS: '2' });

let importRoot: string;
let server: TestServer;
let album: string;
/** The forty photos as copied into the folder (path inside it -> bytes). */
const photos = new Map<string, Buffer>();
/** Photos kept aside, copied in later. */
const spare: { name: string; bytes: Buffer }[] = [];

async function albumState(): Promise<{ imageCount: number; folder: any }> {
  const r = await gql(
    server.url,
    `query($a: ID!) { album(id: $a) { imageCount watchedFolders { id path state message filesScanned lastScanAt photoCount } } }`,
    { a: album },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return { imageCount: r.data.album.imageCount, folder: r.data.album.watchedFolders[0] };
}

/** Polls until `check` holds, for at most `ms`; fails with the last state seen. */
async function until(what: string, ms: number, check: (s: Awaited<ReturnType<typeof albumState>>) => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const state = await albumState();
    last = state;
    if (await check(state)) return state;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms; last ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** Every image of the folder: file name -> { id, faces }. */
async function folderImages(): Promise<Map<string, { id: string; faces: string[]; url: string }>> {
  const out = new Map<string, { id: string; faces: string[]; url: string }>();
  let afterCursor: string | null = null;
  for (;;) {
    const r: any = await gql(
      server.url,
      `query($a: ID!, $after: String) { album(id: $a) { watchedFolders { photos(first: 100, after: $after) {
        edges { node { id fileName url faces { id } } } pageInfo { hasNextPage endCursor } } } } }`,
      { a: album, after: afterCursor },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const page = r.data.album.watchedFolders[0].photos;
    for (const { node } of page.edges) out.set(node.fileName, { id: node.id, faces: node.faces.map((f: any) => f.id), url: node.url });
    if (!page.pageInfo.hasNextPage) return out;
    afterCursor = page.pageInfo.endCursor;
  }
}

/** Bytes under the data folder, the embedded database's own folder aside. */
async function dataBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (path.relative(dir, full).split(path.sep)[0] === 'pglite' || !entry.isFile()) continue;
    total += (await fs.stat(full)).size;
  }
  return total;
}

describeWithDatasets(['lfw10'], 'watched folders indexed in place', () => {
  before(async () => {
    importRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-import-'));
    const people = (await fs.readdir(LFW10_DIR)).sort();
    // Four photos each of ten people: forty photos, in a folder a person, as a library might be.
    for (const person of people) {
      const files = (await fs.readdir(path.join(LFW10_DIR, person))).filter((f) => f.endsWith('.jpg')).sort();
      for (const [i, file] of files.entries()) {
        const bytes = await fs.readFile(path.join(LFW10_DIR, person, file));
        if (i < 4) photos.set(`${person}/${file}`, bytes);
        else if (i < 6) spare.push({ name: file, bytes });
      }
    }
    assert.equal(photos.size, 40);
    for (const [rel, bytes] of photos) {
      await fs.mkdir(path.join(importRoot, FOLDER, path.dirname(rel)), { recursive: true });
      await fs.writeFile(path.join(importRoot, FOLDER, rel), bytes);
    }
    server = await startTestServer(ENV());
    album = (await gql(server.url, `mutation { createAlbum(name: "library") { id } }`)).data.createAlbum.id;
  });

  after(async () => {
    await server?.destroy();
    await fs.rm(importRoot, { recursive: true, force: true });
  });

  test('forty photos are indexed in place, with scan progress on albumEvents; the data folder grows by far less than their bytes', async (t) => {
    const before = await dataBytes(server.dataDir);
    const client = wsClient(server.url);
    const events = subscribe(
      client,
      `subscription($a: ID!) { albumEvents(albumId: $a) { kind watchedFolderId folderState filesScanned } }`,
      { a: album },
    );
    await sleep(300);
    const r = await gql(server.url, `mutation($a: ID!, $p: String!) { watchFolder(albumId: $a, path: $p) { id path state } }`, {
      a: album,
      p: FOLDER,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.watchFolder.path, FOLDER);
    const again = await gql(server.url, `mutation($a: ID!, $p: String!) { watchFolder(albumId: $a, path: $p) { id } }`, {
      a: album,
      p: `./${FOLDER}/`,
    });
    assert.equal(again.data.watchFolder.id, r.data.watchFolder.id, 'the same folder, however written, is watched once');

    const state = await until('all forty indexed', 600_000, (s) => s.folder.state === 'WATCHING' && s.folder.lastScanAt !== null);
    assert.equal(state.imageCount, 40);
    assert.equal(state.folder.photoCount, 40);
    assert.equal(state.folder.filesScanned, 40);
    const scanEvents = events.values.map((v) => v.data?.albumEvents).filter((e) => e?.kind === 'FOLDER_SCAN');
    assert.ok(
      scanEvents.some((e) => e.folderState === 'SCANNING' && e.filesScanned === 40),
      `scan progress on albumEvents: ${JSON.stringify(scanEvents)}`,
    );
    assert.ok(scanEvents.some((e) => e.folderState === 'WATCHING'));
    await client.dispose();

    const photoBytes = [...photos.values()].reduce((n, b) => n + b.length, 0);
    const grown = (await dataBytes(server.dataDir)) - before;
    t.diagnostic(`data folder (database aside) grew by ${grown} bytes for ${photoBytes} bytes of photos`);
    assert.ok(grown < 0.25 * photoBytes, `the data folder grew by ${grown} bytes for ${photoBytes} bytes of photos`);
    const stored = await fs.readdir(path.join(server.dataDir, 'photos')).catch(() => []);
    assert.deepEqual(stored, [], 'nothing copied into the photo store');

    // Read where it lies: the photo route serves the folder's own bytes.
    const images = await folderImages();
    const [name, first] = [...images].find(([n]) => n === 'Ariel_Sharon_0001.jpg')!;
    const res = await fetch(new URL(first.url, server.url));
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), photos.get(`Ariel_Sharon/${name}`));
    assert.ok(first.faces.length >= 1, 'faces found in place');
  });

  test('a photo copied in appears within 10 s', async () => {
    const { name, bytes } = spare[0];
    await fs.writeFile(path.join(importRoot, FOLDER, name), bytes);
    await until('the copied photo', 10_000, (s) => s.imageCount === 41);
    assert.ok((await folderImages()).has(name));
  });

  test('a deleted photo leaves the album with its faces', async () => {
    const images = await folderImages();
    const gone = images.get('Colin_Powell_0001.jpg')!;
    await fs.rm(path.join(importRoot, FOLDER, 'Colin_Powell', 'Colin_Powell_0001.jpg'));
    await until('the deleted photo gone', 30_000, (s) => s.imageCount === 40);
    const r = await gql(server.url, `query($i: ID!, $f: ID!) { image(id: $i) { id } face(id: $f) { id } }`, {
      i: gone.id,
      f: gone.faces[0],
    });
    assert.equal(r.data.image, null);
    assert.equal(r.data.face, null);
  });

  test('a renamed (moved) photo keeps its image id and faces', async () => {
    const before = (await folderImages()).get('Tony_Blair_0001.jpg')!;
    await fs.mkdir(path.join(importRoot, FOLDER, 'renamed'), { recursive: true });
    await fs.rename(
      path.join(importRoot, FOLDER, 'Tony_Blair', 'Tony_Blair_0001.jpg'),
      path.join(importRoot, FOLDER, 'renamed', 'blair.jpg'),
    );
    const deadline = Date.now() + 30_000;
    let images = await folderImages();
    while (!images.has('blair.jpg') && Date.now() < deadline) {
      await sleep(200);
      images = await folderImages();
    }
    const after = images.get('blair.jpg');
    assert.ok(after, 'the photo under its new name');
    assert.equal(after.id, before.id);
    assert.deepEqual(after.faces, before.faces);
    assert.equal(images.has('Tony_Blair_0001.jpg'), false);
    assert.equal((await albumState()).imageCount, 40);
  });

  test('with the server stopped, a photo added and one deleted are both seen when it starts again', async () => {
    const deleted = (await folderImages()).get('Hugo_Chavez_0001.jpg')!;
    const { dataDir } = server;
    const { databaseUrl } = server.config;
    const lastScan = (await albumState()).folder.lastScanAt;
    await server.stop();
    const { name, bytes } = spare[2];
    await fs.writeFile(path.join(importRoot, FOLDER, name), bytes);
    await fs.rm(path.join(importRoot, FOLDER, 'Hugo_Chavez', 'Hugo_Chavez_0001.jpg'));
    // A symlink loop in the folder: reported on it, the rest indexed as ever.
    await fs.symlink('..', path.join(importRoot, FOLDER, 'Hugo_Chavez', 'loop'));
    server = await startTestServer(ENV(), { dataDir, databaseUrl });
    const state = await until('caught up at start', 120_000, (s) => s.folder.lastScanAt !== lastScan && s.folder.state !== 'SCANNING');
    assert.equal(state.imageCount, 40, JSON.stringify(state));
    const images = await folderImages();
    assert.ok(images.has(name), 'the photo added while stopped');
    assert.equal(images.has('Hugo_Chavez_0001.jpg'), false, 'the photo deleted while stopped');
    const r = await gql(server.url, `query($i: ID!) { image(id: $i) { id } }`, { i: deleted.id });
    assert.equal(r.data.image, null);
    assert.equal(state.folder.state, 'PARTIAL');
    assert.match(state.folder.message, /symlink loop/);
  });

  test('a watched folder that disappears is MISSING; its photos 404 PHOTO_MISSING; other albums are unaffected', async () => {
    const other = (await gql(server.url, `mutation { createAlbum(name: "elsewhere") { id } }`)).data.createAlbum.id;
    await fs.mkdir(path.join(importRoot, 'single'), { recursive: true });
    await fs.writeFile(path.join(importRoot, 'single', 'one.jpg'), spare[3].bytes);
    const stored = await gql(
      server.url,
      `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { items { image { id url } error { code } } } }`,
      { a: other, p: ['single/one.jpg'] },
    );
    assert.equal(stored.errors, undefined, JSON.stringify(stored.errors));
    const otherUrl = stored.data.ingestPaths.items[0].image.url;

    const url = [...(await folderImages()).values()][0].url;
    await fs.rename(path.join(importRoot, FOLDER), path.join(importRoot, 'away'));
    await until('the folder MISSING', 30_000, (s) => s.folder.state === 'MISSING');
    const res = await fetch(new URL(url, server.url));
    assert.equal(res.status, 404);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0].extensions.code, 'PHOTO_MISSING');
    assert.equal((await albumState()).imageCount, 40, 'a missing folder keeps its photos until it is back or unwatched');
    assert.equal((await fetch(new URL(otherUrl, server.url))).status, 200, 'the rest of the library is served');

    // A file where the folder was: no longer a folder, still MISSING (looked at again every FACEGRAPH_WATCH_POLL_SECONDS).
    await fs.writeFile(path.join(importRoot, FOLDER), 'not a folder');
    await until('no longer a folder', 30_000, (s) => s.folder.state === 'MISSING' && /no longer a folder/.test(s.folder.message));
    await fs.rm(path.join(importRoot, FOLDER));

    // Back again (a disk mounted again): scanned, in step.
    await fs.rename(path.join(importRoot, 'away'), path.join(importRoot, FOLDER));
    await until('back and scanned', 120_000, (s) => s.folder.state !== 'MISSING' && s.folder.state !== 'SCANNING');
    assert.equal((await fetch(new URL(url, server.url))).status, 200);

    const un = await gql(server.url, `mutation($a: ID!, $p: String!) { unwatchFolder(albumId: $a, path: $p) }`, { a: album, p: FOLDER });
    assert.equal(un.data.unwatchFolder, true);
    assert.equal((await albumState()).imageCount, 0, 'unwatched: its photos leave the album');
  });

  test('a file that vanishes before its job reads it fails alone, and the round reports it for the folder', async () => {
    const { ingest, watch } = server.facegraph.services;
    await fs.writeFile(path.join(importRoot, 'single', 'brief.jpg'), spare[1].bytes);
    // Queued as a scan queues it, then gone before a worker reads it.
    await fs.rm(path.join(importRoot, 'single', 'brief.jpg'));
    const batch = await ingest.enqueueInPlace(Number(album), null, [{ path: 'single/brief.jpg' }, { path: 'single/one.jpg' }]);
    const problems = await watch.settle([batch.id]);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0], /single\/brief\.jpg: NOT_FOUND/);
  });

  test('a read finds an in-place photo changed: 404 PHOTO_MISSING, and the photo is analysed again in its place', async () => {
    const { ingest } = server.facegraph.services;
    await fs.writeFile(path.join(importRoot, 'single', 'changing.jpg'), spare[0].bytes);
    const batch = await ingest.enqueueInPlace(Number(album), null, [{ path: 'single/changing.jpg' }]);
    await ingest.waitForBatch(batch.id, 60);
    const listed = await gql(server.url, `query($a: ID!) { album(id: $a) { images(first: 50) { edges { node { id url fileName } } } } }`, {
      a: album,
    });
    const old = listed.data.album.images.edges.map((e: any) => e.node).find((n: any) => n.fileName === 'changing.jpg');
    assert.equal((await fetch(new URL(old.url, server.url))).status, 200);

    // Not watched: only a read can tell.
    await fs.writeFile(path.join(importRoot, 'single', 'changing.jpg'), spare[1].bytes);
    const res = await fetch(new URL(old.url, server.url));
    assert.equal(res.status, 404);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0].extensions.code, 'PHOTO_MISSING');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await gql(server.url, `query($a: ID!) { album(id: $a) { images(first: 50) { edges { node { id fileName } } } } }`, {
        a: album,
      });
      const nodes = r.data.album.images.edges.map((e: any) => e.node).filter((n: any) => n.fileName === 'changing.jpg');
      // The new reading, where the old one was (which left the album).
      if (nodes.length === 1 && nodes[0].id !== old.id) break;
      assert.ok(Date.now() < deadline, `not analysed again: ${JSON.stringify(nodes)}`);
      await sleep(250);
    }
  });

  test('watchFolder refuses paths outside the import root', async () => {
    for (const p of ['..', '/etc', `${FOLDER}/../../etc`]) {
      const r = await gql(server.url, `mutation($a: ID!, $p: String!) { watchFolder(albumId: $a, path: $p) { id } }`, { a: album, p });
      assert.equal(r.errors?.[0].extensions?.code, 'FORBIDDEN_PATH', p);
    }
    await fs.symlink(os.tmpdir(), path.join(importRoot, 'out'));
    const r = await gql(server.url, `mutation($a: ID!, $p: String!) { watchFolder(albumId: $a, path: $p) { id } }`, { a: album, p: 'out' });
    assert.equal(r.errors?.[0].extensions?.code, 'FORBIDDEN_PATH', 'a symlink out');
  });
});
