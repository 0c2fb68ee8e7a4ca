import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { codes, fileFromPath, gql, gqlUpload } from '../helpers/graphql-client.js';
import { datasetPath, DATASETS, DEMO_PHOTOS, describeWithDatasets, ONEFACE_DIR } from '../support/datasets.js';
import { astronautPhotos, DEMO_DIR, folderWith, startTestServer, type TestServer } from '../helpers/harness.js';
import { cosineDistance } from '../../src/vision/vector-math.js';

const INGEST_PATHS = `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) {
  status total done failed items { fileName error { code } image { faces { id box { width height } embedding } } } } }`;

/** Faces per photo of the package album: the six demo group photos (22 faces), the astronaut and the cameraman. */
const PACKAGE_FACES: Record<string, number> = {
  'sample1.jpg': 3,
  'sample2.jpg': 3,
  'sample3.jpg': 3,
  'sample4.jpg': 4,
  'sample5.jpg': 5,
  'sample6.jpg': 4,
  'astronaut.png': 1,
  'camera.png': 1,
};

let server: TestServer;
let root: string;
let albumId: string;
/** face id -> its embedding, for every face of the package album. */
const embeddingOf = new Map<string, number[]>();
let astronautFace: string;

before(async () => {
  // ingestPaths reads from the import root: a folder with the package photos here, and a link out of it.
  root = await folderWith({
    ...Object.fromEntries(DEMO_PHOTOS.map((f) => [`demo/${f}`, path.join(DEMO_DIR, f)])),
    'oneface/astronaut.png': path.join(ONEFACE_DIR, 'astronaut.png'),
    'oneface/camera.png': path.join(ONEFACE_DIR, 'camera.png'),
  });
  await fs.symlink('/etc', path.join(root, 'escape-link'));
  server = await startTestServer({ FACEGRAPH_IMPORT_ROOT: root });
  albumId = (await gql(server.url, `mutation { createAlbum(name: "package photos") { id } }`)).data.createAlbum.id;
  const paths = [...DEMO_PHOTOS.map((f) => `demo/${f}`), 'oneface/astronaut.png', 'oneface/camera.png'];
  const r = await gql(server.url, INGEST_PATHS, { a: albumId, p: paths });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestPaths.done, 8);
  for (const item of r.data.ingestPaths.items) {
    assert.equal(item.image.faces.length, PACKAGE_FACES[item.fileName], item.fileName);
    for (const face of item.image.faces) embeddingOf.set(face.id, face.embedding);
    if (item.fileName === 'astronaut.png') astronautFace = item.image.faces[0].id;
  }
  assert.equal(embeddingOf.size, 24);
});
after(async () => server?.destroy());

describe('similarity search on the package photos (24 faces)', () => {
  test('similarFaces: nearest first, the query face excluded, at the cosine distance of the stored vectors', async () => {
    for (const [id, embedding] of embeddingOf) {
      const r = await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 5) { distance face { id } } }`, { id });
      const matches = r.data.similarFaces;
      assert.equal(matches.length, 5);
      assert.ok(
        matches.every((m: any) => m.face.id !== id),
        'query face excluded',
      );
      for (let k = 1; k < matches.length; k++) assert.ok(matches[k].distance >= matches[k - 1].distance - 1e-6, 'ordered');
      // The distance pgvector reports is the cosine distance of the stored vectors.
      for (const m of matches) assert.ok(Math.abs(m.distance - cosineDistance(embedding, embeddingOf.get(m.face.id)!)) < 1e-4);
    }
  });

  test('maxDistance cuts the list; compareFaces agrees with the stored vectors', async () => {
    const [a, b] = [...embeddingOf.keys()];
    const r = await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 50, maxDistance: 0.3) { distance } }`, { id: a });
    assert.ok(r.data.similarFaces.every((m: any) => m.distance <= 0.3));
    const c = await gql(server.url, `query($a: ID!, $b: ID!) { compareFaces(faceA: $a, faceB: $b) { distance threshold samePerson } }`, {
      a,
      b,
    });
    const expected = cosineDistance(embeddingOf.get(a)!, embeddingOf.get(b)!);
    assert.ok(Math.abs(c.data.compareFaces.distance - expected) < 1e-4);
    assert.equal(c.data.compareFaces.samePerson, expected <= c.data.compareFaces.threshold);
    assert.deepEqual(
      codes(await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, maxDistance: 3) { distance } }`, { id: a })),
      ['BAD_USER_INPUT'],
    );
  });

  test('an album filter returns a full page from a small album inside a bigger library', async () => {
    const small = (await gql(server.url, `mutation { createAlbum(name: "small") { id } }`)).data.createAlbum.id;
    const files = [...(await astronautPhotos(2)), await fileFromPath(path.join(ONEFACE_DIR, 'camera.png'))];
    const up = await gqlUpload(
      server.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { done } }`,
      { a: small },
      'f',
      files,
    );
    assert.equal(up.data.ingestImages.done, 3);
    const query = [...embeddingOf.keys()][0];
    const r = await gql(
      server.url,
      `query($id: ID!, $a: ID!) { similarFaces(faceId: $id, limit: 3, albumId: $a) { face { id image { album { id } } } } }`,
      { id: query, a: small },
    );
    assert.equal(r.data.similarFaces.length, 3);
    assert.ok(r.data.similarFaces.every((m: any) => m.face.image.album.id === small));
  });

  test('searchByPhoto finds the face of an unseen photo and stores nothing', async () => {
    const before = (await gql(server.url, `query($a: ID!) { album(id: $a) { imageCount } }`, { a: albumId })).data.album.imageCount;
    // The album holds astronaut.png already; a re-encoded, resized copy is new bytes of the same woman.
    const bytes = await sharp(path.join(ONEFACE_DIR, 'astronaut.png')).resize(400).jpeg({ quality: 80 }).toBuffer();
    const r = await gqlUpload(
      server.url,
      `query($f: Upload!, $a: ID) { searchByPhoto(file: $f, limit: 3, albumId: $a) { box { x y width height } matches { distance face { id } } } }`,
      { a: albumId },
      'f',
      [{ name: 'probe.jpg', bytes }],
      { single: true },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.ok(r.data.searchByPhoto.length >= 1);
    const best = r.data.searchByPhoto.reduce((a: any, b: any) => (a.box.width >= b.box.width ? a : b));
    assert.equal(best.matches[0].face.id, astronautFace);
    assert.ok(best.matches[0].distance < 0.05, 'the same photo, re-encoded, is nearly identical');
    const afterCount = (await gql(server.url, `query($a: ID!) { album(id: $a) { imageCount } }`, { a: albumId })).data.album.imageCount;
    assert.equal(afterCount, before);
  });

  test('ingestPaths refuses paths outside the import root, through .. or a symlink', async () => {
    const r = await gql(
      server.url,
      `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { done failed items { fileName error { code } } } }`,
      {
        a: albumId,
        p: ['../../../etc/passwd', '/etc/hostname', 'demo/../../docs/ENVIRONMENT.md', 'escape-link/passwd', 'demo/nobody.jpg', 'demo'],
      },
    );
    assert.equal(r.data.ingestPaths.done, 0);
    assert.deepEqual(
      r.data.ingestPaths.items.map((i: any) => i.error.code),
      ['FORBIDDEN_PATH', 'FORBIDDEN_PATH', 'FORBIDDEN_PATH', 'FORBIDDEN_PATH', 'NOT_FOUND', 'BAD_USER_INPUT'],
    );
  });
});

describeWithDatasets(['lfw10'], 'similarity on lfw10 (10 people x 10 photos)', () => {
  const LFW = datasetPath('lfw10');
  let lfw: TestServer;
  /** face id -> person (the folder name), for the main (largest) face of each lfw10 photo. */
  const personOf = new Map<string, string>();
  const lfwEmbeddingOf = new Map<string, number[]>();

  before(async () => {
    // ingestPaths reads the labelled sets' folder here.
    lfw = await startTestServer({ FACEGRAPH_IMPORT_ROOT: DATASETS! });
    const created = await gql(lfw.url, `mutation { createAlbum(name: "lfw10") { id } }`);
    const album = created.data.createAlbum.id;
    const paths: string[] = [];
    for (const person of (await fs.readdir(LFW)).sort()) {
      for (const f of (await fs.readdir(path.join(LFW, person))).sort()) paths.push(`lfw10/${person}/${f}`);
    }
    const r = await gql(lfw.url, INGEST_PATHS, { a: album, p: paths });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.ingestPaths.done, 100);
    for (const item of r.data.ingestPaths.items) {
      const faces = item.image.faces;
      assert.ok(faces.length >= 1, `no face in ${item.fileName}`);
      const main = faces.reduce((a: any, b: any) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
      personOf.set(main.id, item.fileName.replace(/_\d+\.jpg$/, ''));
      lfwEmbeddingOf.set(main.id, main.embedding);
    }
  });
  after(async () => lfw?.destroy());

  test('two photos of one person are closer than photos of two people for the large majority of pairs', () => {
    const ids = [...personOf.keys()];
    let same = 0;
    let sameTotal = 0;
    const sameD: number[] = [];
    const diffD: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const d = cosineDistance(lfwEmbeddingOf.get(ids[i])!, lfwEmbeddingOf.get(ids[j])!);
        (personOf.get(ids[i]) === personOf.get(ids[j]) ? sameD : diffD).push(d);
      }
    }
    // AUC: the share of (same, different) pair-pairs ranked the right way round.
    diffD.sort((a, b) => a - b);
    for (const d of sameD) {
      let lo = 0;
      let hi = diffD.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (diffD[mid] <= d) lo = mid + 1;
        else hi = mid;
      }
      same += diffD.length - lo;
      sameTotal += diffD.length;
    }
    const auc = same / sameTotal;
    assert.equal(sameD.length, 450);
    assert.ok(auc > 0.95, `AUC ${auc}`);
  });

  test('similarFaces puts the same person first for most faces, nearest first, itself excluded', async () => {
    let top1 = 0;
    for (const [id, person] of personOf) {
      const r = await gql(lfw.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 5) { distance face { id } } }`, { id });
      const matches = r.data.similarFaces;
      assert.equal(matches.length, 5);
      assert.ok(
        matches.every((m: any) => m.face.id !== id),
        'query face excluded',
      );
      for (let k = 1; k < matches.length; k++) assert.ok(matches[k].distance >= matches[k - 1].distance - 1e-6, 'ordered');
      // The distance pgvector reports is the cosine distance of the stored vectors.
      assert.ok(
        Math.abs(
          matches[0].distance - cosineDistance(lfwEmbeddingOf.get(id)!, lfwEmbeddingOf.get(matches[0].face.id) ?? lfwEmbeddingOf.get(id)!),
        ) < 1e-4 || !lfwEmbeddingOf.has(matches[0].face.id),
      );
      if (personOf.get(matches[0].face.id) === person) top1++;
    }
    assert.ok(top1 >= 90, `top-1 same person for ${top1}/100 faces`);
  });
});
