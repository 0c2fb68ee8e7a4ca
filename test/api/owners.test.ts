import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { codes, fileFromPath, gql, gqlUpload, type UploadFile } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';
const run = promisify(execFile);

/**
 * Two owners on one server: every id of one is, for the other, exactly as if
 * it did not exist, and no search ever returns the other's faces — even when
 * both stored the very same photos. Keys come from the real CLI.
 */
let server: TestServer;
let alice: Record<string, string>;
let bob: Record<string, string>;
/** Alice's objects, by kind. */
const a = { album: '', image: '', face: '', person: '', merge: '', thumbnail: '', photo: '' };
/** Bob's album, holding the same photos as Alice's. */
let bobAlbum = '';
let bobFaces: string[] = [];
let aliceFaces: string[] = [];

/** What both owners store: two photos of the astronaut and one of the cameraman (two people). */
let PHOTOS: UploadFile[] = [];

/** `facegraph keys create --owner NAME`, the real command; the key is the last line of its output. */
async function createKey(owner: string, dataDir: string, databaseUrl: string | undefined): Promise<string> {
  const { stdout } = await run(process.execPath, ['src/cli/facegraph-bin.mjs', 'keys', 'create', '--owner', owner], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, FACEGRAPH_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
  });
  const lines = stdout.trim().split('\n');
  const key = lines[lines.length - 1];
  assert.match(key, /^fg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  return key;
}

async function ingest(headers: Record<string, string>, name: string): Promise<{ album: string; faces: string[]; images: string[] }> {
  const album = (await gql(server.url, `mutation($n: String!) { createAlbum(name: $n) { id } }`, { n: name }, headers)).data.createAlbum.id;
  const r = await gqlUpload(
    server.url,
    `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { done items { image { id url faces { id } } } } }`,
    { a: album },
    'files',
    PHOTOS,
    { headers: { 'apollo-require-preflight': 'true', ...headers } },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestImages.done, PHOTOS.length);
  const images = r.data.ingestImages.items.map((i: any) => i.image);
  if (!a.photo) a.photo = images[0].url;
  return { album, images: images.map((i: any) => i.id), faces: images.flatMap((i: any) => i.faces.map((f: any) => f.id)) };
}

before(async () => {
  PHOTOS = [...(await astronautPhotos(2)), await fileFromPath(path.join(ONEFACE_DIR, 'camera.png'))];
  // The CLI opens the server's database itself: an embedded PGlite folder takes one process at a
  // time, so the keys are made while the server is stopped, then it starts again on the same data.
  const first = await startTestServer();
  const { dataDir } = first;
  const { databaseUrl } = first.config;
  await first.stop();
  alice = { authorization: `Bearer ${await createKey('alice', dataDir, databaseUrl)}` };
  bob = { authorization: `Bearer ${await createKey('bob', dataDir, databaseUrl)}` };
  server = await startTestServer({}, { dataDir, databaseUrl });

  const mine = await ingest(alice, 'alice album');
  a.album = mine.album;
  a.image = mine.images[0];
  a.face = mine.faces[0];
  aliceFaces = mine.faces;
  const theirs = await ingest(bob, 'bob album');
  bobAlbum = theirs.album;
  bobFaces = theirs.faces;

  const clustered = await gql(
    server.url,
    `mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 1) { newPeople } }`,
    { a: a.album },
    alice,
  );
  assert.equal(clustered.errors, undefined, JSON.stringify(clustered.errors));
  const people = await gql(server.url, `{ people(first: 10) { edges { node { id thumbnail } } } }`, {}, alice);
  const nodes = people.data.people.edges.map((e: any) => e.node);
  assert.ok(nodes.length >= 2, 'two people at least (the astronaut and the cameraman)');
  a.person = nodes[0].id;
  a.thumbnail = nodes[0].thumbnail;
  const merged = await gql(
    server.url,
    `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id } }`,
    { i: nodes[0].id, f: [nodes[1].id] },
    alice,
  );
  assert.equal(merged.errors, undefined, JSON.stringify(merged.errors));
  a.merge = merged.data.mergePeople.id;
});
after(async () => server?.destroy());

describe('API keys', () => {
  test('once keys exist, a request without one, or with a wrong or malformed one, is 401 UNAUTHENTICATED', async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer fg_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { authorization: 'Basic xyz' },
      { authorization: alice.authorization.slice(0, -1) + 'x' },
    ]) {
      const r = await gql(server.url, `{ albums(first: 5) { edges { node { id } } } }`, {}, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.deepEqual(codes(r), ['UNAUTHENTICATED']);
      assert.equal(r.data, undefined);
    }
  });

  test('an upload without a key is refused before anything is stored', async () => {
    const r = await gqlUpload(
      server.url,
      `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { id } }`,
      { a: a.album },
      'files',
      [await fileFromPath(path.join(DEMO_DIR, 'sample1.jpg'))],
    );
    assert.equal(r.status, 401);
    assert.deepEqual(codes(r), ['UNAUTHENTICATED']);
    const staged = await fs.readdir(path.join(server.dataDir, 'staging')).catch(() => []);
    assert.deepEqual(staged, []);
  });

  test('each owner sees only their own albums', async () => {
    const list = async (h: Record<string, string>) =>
      (await gql(server.url, `{ albums(first: 50) { edges { node { id name } } } }`, {}, h)).data.albums.edges.map((e: any) => e.node.name);
    assert.deepEqual(await list(alice), ['alice album']);
    assert.deepEqual(await list(bob), ['bob album']);
  });

  test('a revoked key is refused at once', async () => {
    const key = await createKeyWhileRunning('carol');
    const h = { authorization: `Bearer ${key}` };
    assert.equal((await gql(server.url, `{ albums(first: 1) { edges { node { id } } } }`, {}, h)).status, 200);
    await server.facegraph.services.keys.revoke(key);
    const r = await gql(server.url, `{ albums(first: 1) { edges { node { id } } } }`, {}, h);
    assert.equal(r.status, 401);
    assert.deepEqual(codes(r), ['UNAUTHENTICATED']);
  });
});

/** A key made through the running server's own service (the CLI cannot open a PGlite folder the server holds). */
async function createKeyWhileRunning(owner: string): Promise<string> {
  return (await server.facegraph.services.keys.create(owner)).key;
}

describe("another owner's ids are as if they did not exist", () => {
  const missing = '999999';
  /** Runs the operation with Bob's key on Alice's id and on an id nobody has: both answers must be the same. */
  async function sameAsMissing(query: string, vars: (id: string) => Record<string, unknown>, id: string) {
    const other = await gql(server.url, query, vars(id), bob);
    const none = await gql(server.url, query, vars(missing), bob);
    assert.equal(other.status, 200);
    const strip = (r: any) => JSON.stringify({ data: r.data, codes: codes(r) });
    assert.equal(strip(other), strip(none), `${query}: ${JSON.stringify(other)} vs ${JSON.stringify(none)}`);
    return other;
  }

  test('queries answer null or NOT_FOUND', async () => {
    for (const [query, id] of [
      ['query($id: ID!) { album(id: $id) { id name } }', a.album],
      ['query($id: ID!) { image(id: $id) { id fileName } }', a.image],
      ['query($id: ID!) { face(id: $id) { id } }', a.face],
      ['query($id: ID!) { person(id: $id) { id name } }', a.person],
      ['query($id: ID!) { ingestBatch(id: $id) { id } }', '1'],
    ] as const) {
      const r = await sameAsMissing(query, (id) => ({ id }), id);
      assert.equal(Object.values(r.data ?? {})[0] ?? null, null, query);
    }
    for (const [query, vars, id] of [
      ['query($id: ID!) { faces(albumId: $id, first: 5) { edges { node { id } } } }', (id: string) => ({ id }), a.album],
      ['query($id: ID!) { similarFaces(faceId: $id) { distance } }', (id: string) => ({ id }), a.face],
      ['query($id: ID!, $b: ID!) { compareFaces(faceA: $id, faceB: $b) { distance } }', (id: string) => ({ id, b: bobFaces[0] }), a.face],
      [
        'query($id: ID!, $b: ID!) { similarFaces(faceId: $b, albumId: $id) { distance } }',
        (id: string) => ({ id, b: bobFaces[0] }),
        a.album,
      ],
      ['query($id: ID!) { suggestFacesForPerson(personId: $id) { distance } }', (id: string) => ({ id }), a.person],
    ] as const) {
      const r = await sameAsMissing(query, vars, id);
      assert.deepEqual(codes(r), ['NOT_FOUND'], query);
    }
  });

  test('mutations answer NOT_FOUND and change nothing', async () => {
    for (const [query, vars, id] of [
      ['mutation($id: ID!) { renamePerson(id: $id, name: "mallory") { id } }', (id: string) => ({ id }), a.person],
      ['mutation($id: ID!) { hidePerson(id: $id) { id } }', (id: string) => ({ id }), a.person],
      ['mutation($id: ID!) { setPersonThumbnail(faceId: $id) { id } }', (id: string) => ({ id }), a.face],
      ['mutation($id: ID!) { moveFace(faceId: $id, personId: null) { id } }', (id: string) => ({ id }), a.face],
      ['mutation($id: ID!, $f: ID!) { moveFace(faceId: $f, personId: $id) { id } }', (id: string) => ({ id, f: bobFaces[0] }), a.person],
      ['mutation($id: ID!) { undoMerge(id: $id) { id } }', (id: string) => ({ id }), a.merge],
      ['mutation($id: ID!) { deleteFace(id: $id) }', (id: string) => ({ id }), a.face],
      [
        'mutation($id: ID!) { addFace(imageId: $id, box: { x: 10, y: 10, width: 100, height: 100 }, force: true) { id } }',
        (id: string) => ({ id }),
        a.image,
      ],
      [
        'mutation($id: ID!, $p: ID!) { rejectFaceFromPerson(faceId: $id, personId: $p) { id } }',
        (id: string) => ({ id, p: a.person }),
        a.face,
      ],
      [
        'mutation($id: ID!, $f: ID!) { rejectFaceFromPerson(faceId: $f, personId: $id) { id } }',
        (id: string) => ({ id, f: bobFaces[0] }),
        a.person,
      ],
      ['mutation($id: ID!) { clusterFaces(albumId: $id) { faces } }', (id: string) => ({ id }), a.album],
      ['mutation($id: ID!) { ingestPaths(albumId: $id, paths: ["x.jpg"]) { id } }', (id: string) => ({ id }), a.album],
      ['mutation($id: ID!) { reencodeFaces(albumId: $id) }', (id: string) => ({ id }), a.album],
      ['mutation($id: ID!) { deleteImage(id: $id) }', (id: string) => ({ id }), a.image],
      ['mutation($id: ID!) { deleteAlbum(id: $id) }', (id: string) => ({ id }), a.album],
    ] as const) {
      const r = await sameAsMissing(query, vars, id);
      assert.deepEqual(codes(r), ['NOT_FOUND'], query);
    }
    const upload = await gqlUpload(
      server.url,
      `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { id } }`,
      { a: a.album },
      'files',
      [await fileFromPath(path.join(DEMO_DIR, 'sample1.jpg'))],
      { headers: { 'apollo-require-preflight': 'true', ...bob } },
    );
    assert.deepEqual(codes(upload), ['NOT_FOUND']);
    // Alice's things are all still there, as they were.
    const r = await gql(
      server.url,
      `query($a: ID!, $p: ID!) { album(id: $a) { name imageCount faceCount } person(id: $p) { name hidden } }`,
      { a: a.album, p: a.person },
      alice,
    );
    assert.deepEqual(r.data.album, { name: 'alice album', imageCount: PHOTOS.length, faceCount: aliceFaces.length });
    assert.deepEqual(r.data.person, { name: null, hidden: false });
  });

  test('a merge naming a person of another owner is NOT_FOUND', async () => {
    const bobPeople = await gql(
      server.url,
      `mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 1) { newPeople } }`,
      { a: bobAlbum },
      bob,
    );
    assert.equal(bobPeople.errors, undefined);
    const mine = (await gql(server.url, `{ people(first: 1) { edges { node { id } } } }`, {}, bob)).data.people.edges[0].node.id;
    const r = await gql(
      server.url,
      `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id } }`,
      { i: mine, f: [a.person] },
      bob,
    );
    assert.deepEqual(codes(r), ['NOT_FOUND']);
  });
});

describe('no search crosses owners', () => {
  test("similarFaces returns only the caller's faces, though the other owner stored the same photos", async () => {
    const own = new Set(bobFaces);
    for (const faceId of bobFaces) {
      const r = await gql(
        server.url,
        `query($f: ID!) { similarFaces(faceId: $f, limit: 50, maxDistance: 2) { distance face { id } } }`,
        { f: faceId },
        bob,
      );
      assert.equal(r.errors, undefined);
      const ids = r.data.similarFaces.map((m: any) => m.face.id);
      assert.equal(ids.length, bobFaces.length - 1, 'every other face of Bob, none of Alice');
      for (const id of ids) assert.ok(own.has(id), `face ${id} is not Bob's`);
      // Alice's copy of the same photo would be at distance 0: it is not there.
      assert.ok(r.data.similarFaces.every((m: any) => m.distance > 1e-6 || own.has(m.face.id)));
    }
  });

  test("searchByPhoto matches only the caller's faces", async () => {
    const r = await gqlUpload(
      server.url,
      `query($f: Upload!) { searchByPhoto(file: $f, limit: 50, maxDistance: 2) { matches { distance face { id } } } }`,
      {},
      'f',
      [PHOTOS[0]],
      { single: true, headers: { 'apollo-require-preflight': 'true', ...alice } },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const ids = r.data.searchByPhoto.flatMap((p: any) => p.matches.map((m: any) => m.face.id));
    assert.ok(ids.length >= aliceFaces.length, "all of Alice's faces are candidates");
    assert.ok(
      ids.every((id: string) => aliceFaces.includes(id)),
      `only Alice's faces: ${ids}`,
    );
  });

  test("clustering one owner's library never touches the other's faces or people", async () => {
    const before = await gql(server.url, `{ people(first: 50) { edges { node { id faceCount } } } }`, {}, alice);
    const r = await gql(server.url, `mutation { clusterLibrary(minFaces: 1) { faces } }`, {}, bob);
    assert.equal(r.errors, undefined);
    assert.equal(r.data.clusterLibrary.faces <= bobFaces.length, true);
    const after = await gql(server.url, `{ people(first: 50) { edges { node { id faceCount } } } }`, {}, alice);
    assert.deepEqual(after.data, before.data);
    const bobsPeople = await gql(
      server.url,
      `{ people(first: 20) { edges { node { faces(first: 20) { edges { node { id } } } } } } }`,
      {},
      bob,
    );
    assert.equal(bobsPeople.errors, undefined, JSON.stringify(bobsPeople.errors));
    const faceIds = bobsPeople.data.people.edges.flatMap((e: any) => e.node.faces.edges.map((f: any) => f.node.id));
    assert.ok(faceIds.length > 0 && faceIds.every((id: string) => bobFaces.includes(id)));
  });
});

describe('photo and thumbnail URLs', () => {
  const get = (p: string, headers: Record<string, string> = {}) => fetch(new URL(p, server.url), { headers }).then((r) => r.status);

  test("need the owner's key, as a header or as the web page's cookie", async () => {
    assert.match(a.photo, /^\/photos\/\d+-[0-9a-f]{24}$/);
    for (const url of [a.photo, a.thumbnail]) {
      assert.equal(await get(url), 401, url);
      assert.equal(await get(url, alice), 200, url);
      assert.equal(await get(url, { cookie: `facegraph_key=${encodeURIComponent(alice.authorization.slice(7))}` }), 200, url);
      assert.equal(await get(url, bob), 404, `${url}: another owner's key`);
    }
  });

  test('cannot be forged: a signature is for one owner and one photo or face', async () => {
    // Bob stored the same bytes: his URL for his copy, moved onto Alice's image id, is not hers.
    const [, aliceId] = /^\/photos\/(\d+)-/.exec(a.photo)!;
    const bobImage = await gql(server.url, `query($f: ID!) { face(id: $f) { thumbnail image { url } } }`, { f: bobFaces[0] }, bob);
    const forged = (bobImage.data.face.image.url as string).replace(/^\/photos\/\d+-/, `/photos/${aliceId}-`);
    assert.notEqual(forged, a.photo);
    assert.equal(await get(forged, alice), 404);
    const [, rest] = /^\/thumbnails\/faces\/\d+-(.*)$/.exec(a.thumbnail)!;
    const otherFace = aliceFaces.find((id) => !a.thumbnail.includes(`/${id}-`))!;
    assert.equal(await get(`/thumbnails/faces/${otherFace}-${rest}`, alice), 404);
  });
});

describe('single-user mode', () => {
  test('without any key the server refuses to listen beyond loopback, and says why', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const { createFacegraph } = await import('../../src/facegraph.js');
    const { buildFacegraphSchema } = await import('../../src/graphql/schema.js');
    const { startHttpServer, SingleUserBindError } = await import('../../src/server/app.js');
    const { testEngine } = await import('../helpers/harness.js');
    const dataDir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'facegraph-single-'));
    const config = loadConfig({ FACEGRAPH_DATA_DIR: dataDir, HOST: '0.0.0.0', PORT: '0', FACEGRAPH_WORKERS: '0' });
    const fg = await createFacegraph(config, { engine: testEngine(), inMemoryDatabase: true });
    try {
      assert.equal(await fg.services.keys.singleUser(), true);
      await assert.rejects(startHttpServer(await buildFacegraphSchema(), fg.services, config), SingleUserBindError);
      // With a key, the same configuration starts, and every request needs the key.
      const { key } = await fg.services.keys.create('dana');
      const http = await startHttpServer(await buildFacegraphSchema(), fg.services, config);
      try {
        const url = http.url.replace('0.0.0.0', '127.0.0.1');
        assert.equal((await gql(url, '{ albums(first: 1) { edges { node { id } } } }')).status, 401);
        const ok = await gql(url, '{ albums(first: 1) { edges { node { id } } } }', {}, { authorization: `Bearer ${key}` });
        assert.deepEqual(ok.data, { albums: { edges: [] } });
      } finally {
        await http.stop();
      }
    } finally {
      await fg.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
