import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { pairwiseClusteringMetrics } from '../../src/eval/clustering-metrics.js';
import { FACE_THUMBNAIL_SIZE } from '../../src/services/thumbnail-crop.js';
import { codes, fileFromPath, gql, gqlUpload } from '../helpers/graphql-client.js';
import { datasetPath, DATASETS, DEMO_PHOTOS, describeWithDatasets, ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';

/**
 * People end to end, over HTTP on real photos with the real models: lfw10 as
 * one album must come out as its 10 people; the demo group photos (and a photo
 * made of one face twice) check that two faces of one photo are never one
 * person; then user edits, re-clustering, incremental placement, suggestions,
 * search and thumbnails. What needs known people runs on lfw10 (and knn), read
 * from FACEGRAPH_DATASETS; the rest on the package photos.
 */
const LFW = datasetPath('lfw10');

let server: TestServer;
/** The lfw10 album: made only where the labelled sets are. */
let lfwAlbum: string | undefined;
/** The lfw10 album, in the tests that need it (their suite made it). */
const lfw = () => lfwAlbum!;
let demoAlbum: string;
/** Main (largest) face of each lfw10 photo -> the person it really is (the folder). */
const truthOf = new Map<string, string>();
/** Image id -> its face ids, for every face of both albums. */
const facesOfImage = new Map<string, string[]>();

const FACES = `faces { id box { x y width height } }`;

before(async () => {
  // ingestPaths reads lfw10 from the labelled sets' folder, when there is one.
  server = await startTestServer(DATASETS ? { FACEGRAPH_IMPORT_ROOT: DATASETS } : {});
  demoAlbum = (await gql(server.url, `mutation { createAlbum(name: "demo") { id } }`)).data.createAlbum.id;
});

/** Makes the lfw10 album, its 100 photos one per face of `truthOf`. */
async function ingestLfw10(): Promise<void> {
  lfwAlbum = (await gql(server.url, `mutation { createAlbum(name: "lfw10") { id } }`)).data.createAlbum.id;
  const paths: string[] = [];
  for (const person of (await fs.readdir(LFW)).sort()) {
    for (const f of (await fs.readdir(path.join(LFW, person))).sort()) paths.push(`lfw10/${person}/${f}`);
  }
  const r = await gql(
    server.url,
    `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { done items { fileName image { id ${FACES} } } } }`,
    { a: lfwAlbum, p: paths },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestPaths.done, 100);
  for (const item of r.data.ingestPaths.items) {
    const faces = item.image.faces;
    facesOfImage.set(
      item.image.id,
      faces.map((f: any) => f.id),
    );
    const main = faces.reduce((a: any, b: any) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
    truthOf.set(main.id, item.fileName.replace(/_\d+\.jpg$/, ''));
  }
}
after(async () => server?.destroy());

/** face id -> person id (or null) for every face of an album. */
async function assignments(albumId: string): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  let after: string | null = null;
  for (;;) {
    const r: any = await gql(
      server.url,
      `query($a: ID!, $after: String) { album(id: $a) { faces(first: 200, after: $after) { edges { node { id person { id } } } pageInfo { hasNextPage endCursor } } } }`,
      { a: albumId, after },
    );
    for (const e of r.data.album.faces.edges) out.set(e.node.id, e.node.person?.id ?? null);
    if (!r.data.album.faces.pageInfo.hasNextPage) return out;
    after = r.data.album.faces.pageInfo.endCursor;
  }
}

async function cluster(albumId: string, extra = ''): Promise<any> {
  const r = await gql(
    server.url,
    `mutation($a: ID!) { clusterFaces(albumId: $a${extra}) { faces joinedExisting inNewPeople unassigned newPeople removedPeople seconds } }`,
    { a: albumId },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.clusterFaces;
}

/** The person (by majority of its main faces) each true identity ended up as. */
function personByTruth(assigned: Map<string, string | null>): Map<string, string> {
  const votes = new Map<string, Map<string, number>>();
  for (const [face, truth] of truthOf) {
    const person = assigned.get(face);
    if (!person) continue;
    const v = votes.get(truth) ?? new Map<string, number>();
    v.set(person, (v.get(person) ?? 0) + 1);
    votes.set(truth, v);
  }
  return new Map([...votes].map(([truth, v]) => [truth, [...v].sort((a, b) => b[1] - a[1])[0][0]]));
}

function assertNoSharedPhoto(assigned: Map<string, string | null>): void {
  for (const [image, faces] of facesOfImage) {
    const people = faces.map((f) => assigned.get(f)).filter((p) => p !== null && p !== undefined);
    assert.equal(
      new Set(people).size,
      people.length,
      `image ${image}: two faces in one person (${faces.map((f) => `${f}->${assigned.get(f)}`).join(' ')})`,
    );
  }
}

describeWithDatasets(['lfw10'], 'people from lfw10 (10 people x 10 photos, one album)', () => {
  before(ingestLfw10);

  test('clusterFaces finds exactly the 10 people, pairwise F1 >= 0.97', async () => {
    const result = await cluster(lfw());
    const assigned = await assignments(lfw());
    const faces = [...truthOf.keys()];
    const metrics = pairwiseClusteringMetrics(
      faces.map((f) => truthOf.get(f)!),
      faces.map((f) => assigned.get(f) ?? null),
    );
    console.log(`lfw10 clustering: ${JSON.stringify({ ...metrics, run: result })}`);
    const album = await gql(server.url, `query($a: ID!) { album(id: $a) { people { id name faceCount } } }`, { a: lfw() });
    assert.equal(album.data.album.people.length, 10, 'people in the album');
    assert.equal(metrics.people, 10);
    assert.ok(metrics.pairwiseF1 >= 0.97, `pairwise F1 ${metrics.pairwiseF1}`);
    const counts = album.data.album.people.map((p: any) => p.faceCount);
    assert.deepEqual(
      counts,
      [...counts].sort((a: number, b: number) => b - a),
      'most faces first',
    );
    assertNoSharedPhoto(assigned);
  });

  test('clustering the same faces again gives the same people, with the same ids', async () => {
    const first = await assignments(lfw());
    await cluster(lfw());
    assert.deepEqual(await assignments(lfw()), first);
    const lib = await gql(server.url, `mutation { clusterLibrary { faces newPeople } }`);
    assert.equal(lib.errors, undefined, JSON.stringify(lib.errors));
    assert.deepEqual(await assignments(lfw()), first);
  });
});

describe('two faces of one photo are two people', () => {
  let twins: { photo: string; copies: string[]; original: string };

  before(async () => {
    const files = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => fileFromPath(path.join(DEMO_DIR, `sample${i}.jpg`))));
    // One face of sample1, twice in one new photo: the two copies are as alike as two faces get.
    const sample1 = files[0].bytes;
    const up = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { done items { image { id ${FACES} } } } }`,
      { a: demoAlbum },
      'f',
      files,
    );
    assert.equal(up.errors, undefined, JSON.stringify(up.errors));
    assert.equal(up.data.ingestImages.done, 6);
    for (const item of up.data.ingestImages.items)
      facesOfImage.set(
        item.image.id,
        item.image.faces.map((f: any) => f.id),
      );
    const face = up.data.ingestImages.items[0].image.faces.reduce((a: any, b: any) => (a.box.width >= b.box.width ? a : b));
    const meta = await sharp(sample1).metadata();
    const side = Math.round(face.box.width * 2);
    const left = Math.max(0, Math.min(meta.width! - side, Math.round(face.box.x + face.box.width / 2 - side / 2)));
    const top = Math.max(0, Math.min(meta.height! - side, Math.round(face.box.y + face.box.height / 2 - side / 2)));
    const crop = await sharp(sample1).extract({ left, top, width: side, height: side }).toBuffer();
    const double = await sharp({ create: { width: side * 2 + 40, height: side, channels: 3, background: '#ffffff' } })
      .composite([
        { input: crop, left: 0, top: 0 },
        { input: crop, left: side + 40, top: 0 },
      ])
      .jpeg({ quality: 92 })
      .toBuffer();
    const up2 = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { image { id ${FACES} } } } }`,
      { a: demoAlbum },
      'f',
      [{ name: 'twins.jpg', bytes: double }],
    );
    const image = up2.data.ingestImages.items[0].image;
    assert.equal(image.faces.length, 2, 'the doubled face is found twice');
    facesOfImage.set(
      image.id,
      image.faces.map((f: any) => f.id),
    );
    twins = { photo: image.id, copies: image.faces.map((f: any) => f.id), original: face.id };
  });

  test('no person holds two faces of one photo, even two copies of one face', async () => {
    // minFaces 1: every face is someone, so the constraint is all that keeps the copies apart.
    await cluster(demoAlbum, ', minFaces: 1');
    const assigned = await assignments(demoAlbum);
    assertNoSharedPhoto(assigned);
    const [a, b] = twins.copies.map((f) => assigned.get(f));
    assert.ok(a && b && a !== b, `copies in ${a} and ${b}`);
    assert.ok([a, b].includes(assigned.get(twins.original)!), 'the original face is with one of its copies');
    await gql(server.url, `mutation { clusterLibrary(minFaces: 1) { faces } }`);
    assertNoSharedPhoto(await assignments(demoAlbum));
    if (lfwAlbum) assertNoSharedPhoto(await assignments(lfwAlbum));
    // Back to the default, so that lone faces are nobody again for the tests below.
    await gql(server.url, `mutation { clusterLibrary { faces } }`);
  });

  test('merging two people of one photo, or moving a face next to its photo-mate, is refused', async () => {
    await cluster(demoAlbum, ', minFaces: 1');
    try {
      const assigned = await assignments(demoAlbum);
      const [x, y] = twins.copies;
      const [px, py] = [assigned.get(x), assigned.get(y)];
      assert.ok(px && py && px !== py);
      const merge = await gql(server.url, `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id } }`, { i: px, f: [py] });
      assert.deepEqual(codes(merge), ['BAD_USER_INPUT']);
      // The photo the refusal names holds faces of both (the twins' photo, or another they share).
      const clash = String(merge.errors![0].extensions!.imageId);
      const inClash = facesOfImage.get(clash)!.map((f) => assigned.get(f));
      assert.ok(inClash.includes(px) && inClash.includes(py), `image ${clash}`);
      const move = await gql(server.url, `mutation($f: ID!, $p: ID) { moveFace(faceId: $f, personId: $p) { id } }`, { f: x, p: py });
      assert.deepEqual(codes(move), ['BAD_USER_INPUT']);
      assert.deepEqual(await assignments(demoAlbum), assigned, 'nothing changed');
    } finally {
      await cluster(demoAlbum);
    }
  });
});

describeWithDatasets(['lfw10'], 'user edits on known people survive re-clustering (lfw10)', () => {
  test('renaming, merging, undoing a merge, moving faces and hiding are all kept', async () => {
    await cluster(lfw());
    const before = await assignments(lfw());
    const person = personByTruth(before);
    const facesOf = (id: string) =>
      [...before]
        .filter(([, p]) => p === id)
        .map(([f]) => f)
        .sort();
    const ok = (r: any) => {
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      return r.data;
    };

    ok(await gql(server.url, `mutation($id: ID!) { renamePerson(id: $id, name: "Tony") { id name } }`, { id: person.get('Tony_Blair') }));
    const merged = ok(
      await gql(server.url, `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id into { id faceCount } from { id } } }`, {
        i: person.get('Colin_Powell'),
        f: [person.get('Hugo_Chavez')],
      }),
    ).mergePeople;
    assert.equal(merged.into.faceCount, facesOf(person.get('Colin_Powell')!).length + facesOf(person.get('Hugo_Chavez')!).length);
    // A merge taken back: both people return, same ids, same faces.
    const second = ok(
      await gql(server.url, `mutation($i: ID!, $f: [ID!]!) { mergePeople(into: $i, from: $f) { id } }`, {
        i: person.get('Arnold_Schwarzenegger'),
        f: [person.get('George_W_Bush')],
      }),
    ).mergePeople;
    assert.equal(
      (await gql(server.url, `query($id: ID!) { person(id: $id) { id } }`, { id: person.get('George_W_Bush') })).data.person,
      null,
    );
    const undone = ok(
      await gql(server.url, `mutation($id: ID!) { undoMerge(id: $id) { undone from { id faceCount } } }`, { id: second.id }),
    ).undoMerge;
    assert.equal(undone.undone, true);
    assert.deepEqual(codes(await gql(server.url, `mutation($id: ID!) { undoMerge(id: $id) { id } }`, { id: second.id })), [
      'BAD_USER_INPUT',
    ]);
    const afterUndo = await assignments(lfw());
    for (const truth of ['Arnold_Schwarzenegger', 'George_W_Bush']) {
      assert.deepEqual(
        [...afterUndo]
          .filter(([, p]) => p === person.get(truth))
          .map(([f]) => f)
          .sort(),
        facesOf(person.get(truth)!),
        truth,
      );
    }
    // By hand: an Ariel Sharon face to Gerhard Schroeder (wrongly, on purpose), a Jacques Chirac face to nobody.
    const moved = facesOf(person.get('Ariel_Sharon')!)[0];
    const freed = facesOf(person.get('Jacques_Chirac')!)[0];
    ok(
      await gql(server.url, `mutation($f: ID!, $p: ID) { moveFace(faceId: $f, personId: $p) { id } }`, {
        f: moved,
        p: person.get('Gerhard_Schroeder'),
      }),
    );
    ok(await gql(server.url, `mutation($f: ID!) { moveFace(faceId: $f, personId: null) { id } }`, { f: freed }));
    ok(await gql(server.url, `mutation($id: ID!) { hidePerson(id: $id) { hidden } }`, { id: person.get('Vladimir_Putin') }));

    const edited = await assignments(lfw());
    assert.equal(edited.get(moved), person.get('Gerhard_Schroeder'));
    assert.equal(edited.get(freed), null);
    for (const f of facesOf(person.get('Hugo_Chavez')!)) assert.equal(edited.get(f), person.get('Colin_Powell'));

    await cluster(lfw());
    assert.deepEqual(await assignments(lfw()), edited, 'album re-clustering kept every edit');
    await gql(server.url, `mutation { clusterLibrary { faces } }`);
    assert.deepEqual(await assignments(lfw()), edited, 'library re-clustering kept every edit');

    const people = ok(
      await gql(server.url, `query($a: ID!) { album(id: $a) { people { id name } all: people(includeHidden: true) { id hidden } } }`, {
        a: lfw(),
      }),
    ).album;
    assert.equal(people.people.find((p: any) => p.id === person.get('Tony_Blair')).name, 'Tony');
    assert.equal(people.people.length, 8, '10 people, one merged away, one hidden');
    assert.ok(people.all.some((p: any) => p.id === person.get('Vladimir_Putin') && p.hidden));
    const unassigned = ok(
      await gql(server.url, `query($a: ID!) { album(id: $a) { unassignedFaces(first: 200) { edges { node { id assignedBy } } } } }`, {
        a: lfw(),
      }),
    );
    const freedNode = unassigned.album.unassignedFaces.edges.find((e: any) => e.node.id === freed);
    assert.equal(freedNode?.node.assignedBy, 'USER');
    // The name is found by search, in any case.
    const found = await gql(server.url, `{ people(search: "TON") { edges { node { id name faceCount } } } }`);
    assert.deepEqual(
      found.data.people.edges.map((e: any) => e.node.name),
      ['Tony'],
    );
  });

  test('suggestFacesForPerson puts a face taken out of the person first', async () => {
    const tony = (await gql(server.url, `{ people(search: "Tony") { edges { node { id faces(first: 1) { edges { node { id } } } } } } }`))
      .data.people.edges[0].node;
    const face = tony.faces.edges[0].node.id;
    await gql(server.url, `mutation($f: ID!) { moveFace(faceId: $f, personId: null) { id } }`, { f: face });
    const r = await gql(server.url, `query($p: ID!) { suggestFacesForPerson(personId: $p, limit: 5) { distance face { id } } }`, {
      p: tony.id,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const s = r.data.suggestFacesForPerson;
    assert.equal(s[0].face.id, face);
    for (let i = 1; i < s.length; i++) assert.ok(s[i].distance >= s[i - 1].distance - 1e-6, 'nearest first');
    assert.deepEqual(
      codes(await gql(server.url, `query($p: ID!) { suggestFacesForPerson(personId: $p, limit: 0) { distance } }`, { p: tony.id })),
      ['BAD_USER_INPUT'],
    );
    await gql(server.url, `mutation($f: ID!, $p: ID) { moveFace(faceId: $f, personId: $p) { id } }`, { f: face, p: tony.id });
  });
});

describeWithDatasets(['lfw10', 'knn'], 'new faces of known people (lfw10, knn)', () => {
  test('join the person they look like; a stranger waits for more faces like it', async () => {
    const before = await assignments(lfw());
    const person = personByTruth(before);
    // New bytes of known people (re-encoded, resized), and a face nobody in lfw10 has.
    const reencode = async (file: string) => sharp(path.join(LFW, file)).resize(320).jpeg({ quality: 80 }).toBuffer();
    const files = [
      { name: 'donald.jpg', bytes: await reencode('Donald_Rumsfeld/Donald_Rumsfeld_0002.jpg') },
      { name: 'jacques.jpg', bytes: await reencode('Jacques_Chirac/Jacques_Chirac_0003.jpg') },
      await fileFromPath(datasetPath('knn', 'train/biden/biden.jpg')),
    ];
    const up = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { image { faces { id box { width height } } } } } }`,
      { a: lfw() },
      'f',
      files,
    );
    assert.equal(up.errors, undefined, JSON.stringify(up.errors));
    const mainOf = (i: number) =>
      up.data.ingestImages.items[i].image.faces.reduce((a: any, b: any) => (a.box.width >= b.box.width ? a : b)).id;
    // Queued behind the run ingestion started, so the new faces have been placed when it returns.
    await cluster(lfw(), ', incremental: true');
    const after = await assignments(lfw());
    assert.equal(after.get(mainOf(0)), person.get('Donald_Rumsfeld'));
    assert.equal(after.get(mainOf(1)), person.get('Jacques_Chirac'));
    assert.equal(after.get(mainOf(2)), null, 'a stranger seen once is nobody yet');
    for (const [face, p] of before) assert.equal(after.get(face), p, 'an incremental run moves nothing');
  });
});

describe('people on the package photos: search, errors and thumbnails', () => {
  /** The six demo photos, three photos of the astronaut and the cameraman, every face someone (minFaces 1). */
  let album: string;
  let astronautFace: string;

  before(async () => {
    album = (await gql(server.url, `mutation { createAlbum(name: "package photos") { id } }`)).data.createAlbum.id;
    const files = [
      ...(await Promise.all(DEMO_PHOTOS.map((f) => fileFromPath(path.join(DEMO_DIR, f))))),
      ...(await astronautPhotos(3)),
      await fileFromPath(path.join(ONEFACE_DIR, 'camera.png')),
    ];
    const up = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { done items { fileName image { id ${FACES} } } } }`,
      { a: album },
      'f',
      files,
    );
    assert.equal(up.errors, undefined, JSON.stringify(up.errors));
    assert.equal(up.data.ingestImages.done, 10);
    const faces = up.data.ingestImages.items.flatMap((i: any) => i.image.faces);
    assert.equal(faces.length, 22 + 3 + 1);
    astronautFace = up.data.ingestImages.items.find((i: any) => i.fileName === 'astronaut-001.jpg').image.faces[0].id;
    await cluster(album, ', minFaces: 1');
  });

  test('people search, person by id, and errors with stable codes', async () => {
    // The astronaut's three photos are one person; named, she is found by search, in any case.
    const eileen = (await gql(server.url, `query($f: ID!) { face(id: $f) { person { id faceCount } } }`, { f: astronautFace })).data.face
      .person;
    assert.equal(eileen.faceCount, 3);
    await gql(server.url, `mutation($id: ID!) { renamePerson(id: $id, name: "Eileen") { id } }`, { id: eileen.id });
    const found = await gql(server.url, `{ people(search: "EIL") { edges { node { id name faceCount } } } }`);
    assert.deepEqual(
      found.data.people.edges.map((e: any) => [e.node.id, e.node.name, e.node.faceCount]),
      [[eileen.id, 'Eileen', 3]],
    );
    assert.deepEqual((await gql(server.url, `query($id: ID!) { person(id: $id) { id name } }`, { id: eileen.id })).data.person, {
      id: eileen.id,
      name: 'Eileen',
    });
    assert.deepEqual(codes(await gql(server.url, `{ person(id: "abc") { id } }`)), ['BAD_USER_INPUT']);
    assert.equal((await gql(server.url, `{ person(id: "999999") { id } }`)).data.person, null);
    assert.deepEqual(codes(await gql(server.url, `mutation { renamePerson(id: "999999", name: "x") { id } }`)), ['NOT_FOUND']);
    assert.deepEqual(codes(await gql(server.url, `mutation { clusterFaces(albumId: "999999") { faces } }`)), ['NOT_FOUND']);
    assert.deepEqual(codes(await gql(server.url, `mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 0) { faces } }`, { a: album })), [
      'BAD_USER_INPUT',
    ]);
  });

  test('people and faces link JPEG thumbnails of the right size, cached as immutable', async () => {
    const r = await gql(server.url, `query($a: ID!) { album(id: $a) { people { id thumbnail thumbnailFace { id thumbnail } } } }`, {
      a: album,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const people = r.data.album.people;
    assert.ok(people.length >= 8);
    for (const p of people) {
      assert.match(p.thumbnail, /^\/thumbnails\/faces\/\d+-[0-9a-f]{24}\.jpg$/);
      assert.equal(p.thumbnail, p.thumbnailFace.thumbnail);
    }
    const url = new URL(people[0].thumbnail, server.url).toString();
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const bytes = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', FACE_THUMBNAIL_SIZE, FACE_THUMBNAIL_SIZE]);
    // Made once: the file is under the data folder and served again as it is.
    const key = /-([0-9a-f]{24})\.jpg$/.exec(url)![1];
    const file = path.join(server.dataDir, 'thumbnails', key.slice(0, 2), `${key}.jpg`);
    const { mtimeMs } = await fs.stat(file);
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), bytes);
    assert.equal((await fs.stat(file)).mtimeMs, mtimeMs);
    assert.equal((await fetch(url, { headers: { 'if-none-match': etag! } })).status, 304);
    assert.equal((await fetch(url.replace(key, '0'.repeat(24)))).status, 404, "a key that is not the face's");
    assert.equal((await fetch(new URL('/thumbnails/faces/1-x.jpg', server.url))).status, 404);

    // Any face has one, and a person's can be chosen.
    const faces = (
      await gql(server.url, `query($id: ID!) { person(id: $id) { faces(first: 3) { edges { node { id thumbnail } } } } }`, {
        id: people[0].id,
      })
    ).data.person.faces.edges;
    const chosen = faces[faces.length - 1].node;
    const thumb = await sharp(Buffer.from(await (await fetch(new URL(chosen.thumbnail, server.url))).arrayBuffer())).metadata();
    assert.deepEqual([thumb.format, thumb.width, thumb.height], ['jpeg', FACE_THUMBNAIL_SIZE, FACE_THUMBNAIL_SIZE]);
    const set = await gql(server.url, `mutation($f: ID!) { setPersonThumbnail(faceId: $f) { thumbnail } }`, { f: chosen.id });
    assert.equal(set.data.setPersonThumbnail.thumbnail, chosen.thumbnail);
  });
});
