import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { getNamedType, type GraphQLOutputType } from 'graphql';
import { buildFacegraphSchema } from '../../src/graphql/schema.js';
import { codes, fileFromPath, gql, gqlUpload, type GraphQLResponse, type UploadFile } from '../helpers/graphql-client.js';
import { subscribe, within, wsClient } from '../helpers/subscription-client.js';
import { expressGetRoutes, isEmpty, probesOf, routeMatches, selectionOf, type IdKind, type Probe } from '../support/schema-probes.js';
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
/** One thing of each kind of each owner, for the schema-wide probes (kinds nobody has yet stay missing). */
const aliceOwn = {} as Record<IdKind, string>;
const bobOwn = {} as Record<IdKind, string>;
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

async function ingest(
  headers: Record<string, string>,
  name: string,
): Promise<{ album: string; faces: string[]; images: string[]; batch: string }> {
  const album = (await gql(server.url, `mutation($n: String!) { createAlbum(name: $n) { id } }`, { n: name }, headers)).data.createAlbum.id;
  const r = await gqlUpload(
    server.url,
    `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { id done items { image { id url faces { id } } } } }`,
    { a: album },
    'files',
    PHOTOS,
    { headers: { 'apollo-require-preflight': 'true', ...headers } },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestImages.done, PHOTOS.length);
  const images = r.data.ingestImages.items.map((i: any) => i.image);
  if (!a.photo) a.photo = images[0].url;
  return {
    album,
    batch: r.data.ingestImages.id,
    images: images.map((i: any) => i.id),
    faces: images.flatMap((i: any) => i.faces.map((f: any) => f.id)),
  };
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
  // A name only Alice's data holds: a probe answer that contains it leaked.
  await gql(server.url, `mutation($p: ID!) { renamePerson(id: $p, name: "alice's friend") { id } }`, { p: a.person }, alice);
  Object.assign(aliceOwn, { album: a.album, image: a.image, face: a.face, person: a.person, merge: a.merge, batch: mine.batch });

  // Bob's own things of each kind, for the arguments a probe does not aim at.
  await gql(server.url, `mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 1) { newPeople } }`, { a: bobAlbum }, bob);
  const bobPeople = (await gql(server.url, `{ people(first: 10) { edges { node { id } } } }`, {}, bob)).data.people.edges;
  assert.ok(bobPeople.length >= 2, 'Bob has two people to merge');
  const bobMerge = await gql(
    server.url,
    `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id } }`,
    { i: bobPeople[0].node.id, f: [bobPeople[1].node.id] },
    bob,
  );
  Object.assign(bobOwn, {
    album: bobAlbum,
    image: theirs.images[0],
    face: bobFaces[0],
    person: bobPeople[0].node.id,
    merge: bobMerge.data.mergePeople.id,
    batch: theirs.batch,
  });
});

/** The schema's Image type, for a selection of everything an image shows. */
function imageType(): GraphQLOutputType {
  return getNamedType(schemaForUrls!.getQueryType()!.getFields().image.type) as GraphQLOutputType;
}
let schemaForUrls: Awaited<ReturnType<typeof buildFacegraphSchema>> | undefined;
before(async () => {
  schemaForUrls = await buildFacegraphSchema();
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

describe("another owner's ids are as if they did not exist, in every operation and route", () => {
  const MISSING = '999999';
  const MARKER = /alice/i;

  /** Alice's things as she sees them, to compare after Bob's probes. */
  async function aliceSnapshot() {
    const r = await gql(
      server.url,
      `query($a: ID!) { album(id: $a) { name imageCount faceCount people { id name hidden faceCount } }
         people(first: 50) { edges { node { id name hidden faceCount } } } }`,
      { a: a.album },
      alice,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return JSON.stringify(r.data);
  }

  async function run(probe: Probe, id: string | undefined): Promise<GraphQLResponse> {
    const variables = probe.variables(id, bobOwn);
    if (probe.uploads.length === 0) return gql(server.url, probe.document, variables, bob);
    const [name] = probe.uploads;
    const single = !Array.isArray(variables[name]);
    return gqlUpload(server.url, probe.document, variables, name, [PHOTOS[0]], {
      single,
      headers: { 'apollo-require-preflight': 'true', ...bob },
    });
  }

  test('every query and mutation of the schema, given any of its ids from another owner, shows nothing and changes nothing', async () => {
    const { probes, unknown } = probesOf(await buildFacegraphSchema());
    assert.deepEqual(
      unknown,
      [],
      'ID arguments whose kind neither their name nor their operation tells: name them so that they are probed',
    );
    const before = await aliceSnapshot();
    const probed = new Set<string>();
    for (const probe of probes.filter((p) => p.type !== 'subscription')) {
      const label = `${probe.field}(${probe.probed?.arg ?? ''})`;
      if (!probe.probed) {
        // No id to take: whatever it answers must hold nothing of Alice's.
        const r = await run(probe, undefined);
        assert.doesNotMatch(JSON.stringify(r), MARKER, `${label} shows Alice's data to Bob`);
        continue;
      }
      const theirs = aliceOwn[probe.probed.kind] ?? MISSING;
      const other = await run(probe, theirs);
      const none = await run(probe, MISSING);
      assert.ok(
        isEmpty(other.data?.[probe.field]),
        `${label} with Alice's ${probe.probed.kind} ${theirs} gave Bob data: ${JSON.stringify(other)}`,
      );
      assert.doesNotMatch(JSON.stringify(other), MARKER, label);
      assert.deepEqual(
        { data: other.data, codes: codes(other) },
        { data: none.data, codes: codes(none) },
        `${label}: Alice's id and an id nobody has must look the same to Bob`,
      );
      assert.ok(
        codes(other).every((c) => c !== 'INTERNAL_SERVER_ERROR'),
        `${label}: ${JSON.stringify(other.errors)}`,
      );
      probed.add(probe.field);
    }
    // The sweep is not vacuous: the operations everybody knows take ids were among those probed.
    for (const field of ['album', 'image', 'face', 'person', 'similarFaces', 'mergePeople', 'deleteAlbum', 'ingestImages']) {
      assert.ok(probed.has(field), `${field} was probed`);
    }
    assert.equal(await aliceSnapshot(), before, "Bob's probes changed Alice's library");
  });

  test("every subscription, given another owner's id, ends with NOT_FOUND and sends nothing", async () => {
    const { probes } = probesOf(await buildFacegraphSchema());
    const subscriptions = probes.filter((p) => p.type === 'subscription' && p.probed);
    assert.ok(subscriptions.length >= 2, 'albumEvents and ingestBatchProgress at least');
    const client = wsClient(server.url, { authorization: bob.authorization });
    try {
      for (const probe of subscriptions) {
        const got = subscribe(client, probe.document, probe.variables(aliceOwn[probe.probed!.kind] ?? MISSING, bobOwn));
        await within(got.ended, 10_000, probe.field);
        const data = got.values.map((v) => v.data?.[probe.field]).filter((v) => !isEmpty(v));
        assert.deepEqual(data, [], `${probe.field} sent Bob Alice's data`);
        const errs = [...(got.errors ?? []), ...got.values.flatMap((v) => v.errors ?? [])].map((e) => e.extensions?.code);
        assert.deepEqual(errs, ['NOT_FOUND'], `${probe.field}: ${JSON.stringify(got)}`);
      }
    } finally {
      await client.dispose();
    }
  });

  test("every GET route that serves an owner's data answers Bob 404 for Alice's URLs", async () => {
    // URLs the API handed Alice (photos, thumbnails...), plus the routes addressed by plain ids.
    const urls = new Set<string>([a.photo, a.thumbnail, `/images/${a.image}.xmp`]);
    const image = await gql(server.url, `query($i: ID!) { image(id: $i) ${selectionOf(imageType())} }`, { i: a.image }, alice);
    const walk = (v: unknown): void => {
      if (typeof v === 'string' && /^\/[a-z]/.test(v)) urls.add(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(image.data);
    // Routes that serve no owner's data.
    const PUBLIC = new Set(['/healthz', '/metrics', '/', '/index.html', '/assets/:file', '/playground/:file', '/graphql']);
    const routes = expressGetRoutes(server.http.app as never).filter((r) => !PUBLIC.has(r));
    assert.ok(routes.length >= 3, `the photo, thumbnail and sidecar routes at least: ${routes}`);
    for (const route of routes) {
      const mine = [...urls].filter((u) => routeMatches(route, u));
      assert.ok(mine.length > 0, `route ${route}: no URL of Alice's to probe it with (hand one out in a GraphQL field, or add it here)`);
      for (const url of mine) {
        const own = await fetch(new URL(url, server.url), { headers: alice });
        assert.ok(own.status === 200 || own.status === 204, `${url} serves Alice (${own.status})`);
        const theirs = await fetch(new URL(url, server.url), { headers: bob });
        assert.equal(theirs.status, 404, `${url} with Bob's key`);
        assert.doesNotMatch(await theirs.text(), MARKER);
      }
    }
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
