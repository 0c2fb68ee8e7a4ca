import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { codes, fileFromPath, gql, gqlUpload } from '../helpers/graphql-client.js';
import { DATASETS, startTestServer, type TestServer } from '../helpers/harness.js';
import { cosineDistance } from '../../src/vision/vector-math.js';

const LFW = path.join(DATASETS, 'lfw10');

let server: TestServer;
let albumId: string;
/** face id -> person (the folder name), for the main (largest) face of each lfw10 photo. */
const personOf = new Map<string, string>();
const embeddingOf = new Map<string, number[]>();

before(async () => {
  // ingestPaths reads from the import root: the repository's test datasets folder here.
  server = await startTestServer({ FACEGRAPH_IMPORT_ROOT: DATASETS });
  const created = await gql(server.url, `mutation { createAlbum(name: "lfw10") { id } }`);
  albumId = created.data.createAlbum.id;
  const people = (await fs.readdir(LFW)).sort();
  const paths: string[] = [];
  for (const person of people) {
    for (const f of (await fs.readdir(path.join(LFW, person))).sort()) paths.push(`lfw10/${person}/${f}`);
  }
  const r = await gql(
    server.url,
    `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) {
       status total done failed items { fileName error { code } image { faces { id box { width height } embedding } } } } }`,
    { a: albumId, p: paths },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.equal(r.data.ingestPaths.done, 100);
  for (const item of r.data.ingestPaths.items) {
    const faces = item.image.faces;
    assert.ok(faces.length >= 1, `no face in ${item.fileName}`);
    const main = faces.reduce((a: any, b: any) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
    personOf.set(main.id, item.fileName.replace(/_\d+\.jpg$/, ''));
    embeddingOf.set(main.id, main.embedding);
  }
});
after(async () => server?.destroy());

describe('similarity on lfw10 (10 people x 10 photos)', () => {
  test('two photos of one person are closer than photos of two people for the large majority of pairs', () => {
    const ids = [...personOf.keys()];
    let same = 0;
    let sameTotal = 0;
    const sameD: number[] = [];
    const diffD: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const d = cosineDistance(embeddingOf.get(ids[i])!, embeddingOf.get(ids[j])!);
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
      const r = await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 5) { distance face { id } } }`, { id });
      const matches = r.data.similarFaces;
      assert.equal(matches.length, 5);
      assert.ok(matches.every((m: any) => m.face.id !== id), 'query face excluded');
      for (let k = 1; k < matches.length; k++) assert.ok(matches[k].distance >= matches[k - 1].distance - 1e-6, 'ordered');
      // The distance pgvector reports is the cosine distance of the stored vectors.
      assert.ok(Math.abs(matches[0].distance - cosineDistance(embeddingOf.get(id)!, embeddingOf.get(matches[0].face.id) ?? embeddingOf.get(id)!)) < 1e-4 || !embeddingOf.has(matches[0].face.id));
      if (personOf.get(matches[0].face.id) === person) top1++;
    }
    assert.ok(top1 >= 90, `top-1 same person for ${top1}/100 faces`);
  });

  test('maxDistance cuts the list; compareFaces agrees with the stored vectors', async () => {
    const [a, b] = [...personOf.keys()];
    const r = await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 50, maxDistance: 0.3) { distance } }`, { id: a });
    assert.ok(r.data.similarFaces.every((m: any) => m.distance <= 0.3));
    const c = await gql(server.url, `query($a: ID!, $b: ID!) { compareFaces(faceA: $a, faceB: $b) { distance threshold samePerson } }`, { a, b });
    const expected = cosineDistance(embeddingOf.get(a)!, embeddingOf.get(b)!);
    assert.ok(Math.abs(c.data.compareFaces.distance - expected) < 1e-4);
    assert.equal(c.data.compareFaces.samePerson, expected <= c.data.compareFaces.threshold);
    assert.deepEqual(codes(await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, maxDistance: 3) { distance } }`, { id: a })), ['BAD_USER_INPUT']);
  });

  test('an album filter returns a full page from a small album inside a bigger library', async () => {
    const small = (await gql(server.url, `mutation { createAlbum(name: "small") { id } }`)).data.createAlbum.id;
    const files = await Promise.all(
      ['Tony_Blair/Tony_Blair_0002.jpg', 'Hugo_Chavez/Hugo_Chavez_0003.jpg', 'Colin_Powell/Colin_Powell_0004.jpg'].map((f) => fileFromPath(path.join(LFW, f))),
    );
    const up = await gqlUpload(server.url, `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { done } }`, { a: small }, 'f', files);
    assert.equal(up.data.ingestImages.done, 3);
    const query = [...personOf.keys()][0];
    const r = await gql(server.url, `query($id: ID!, $a: ID!) { similarFaces(faceId: $id, limit: 3, albumId: $a) { face { id image { album { id } } } } }`, { id: query, a: small });
    assert.equal(r.data.similarFaces.length, 3);
    assert.ok(r.data.similarFaces.every((m: any) => m.face.image.album.id === small));
  });

  test('searchByPhoto finds the person of an unseen photo and stores nothing', async () => {
    const before = (await gql(server.url, `query($a: ID!) { album(id: $a) { imageCount } }`, { a: albumId })).data.album.imageCount;
    // lfw10 holds Colin_Powell_0001 already; a re-encoded, resized copy is new bytes of the same person.
    const sharp = (await import('sharp')).default;
    const bytes = await sharp(path.join(LFW, 'Colin_Powell/Colin_Powell_0001.jpg')).resize(400).jpeg({ quality: 80 }).toBuffer();
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
    assert.equal(personOf.get(best.matches[0].face.id), 'Colin_Powell');
    assert.ok(best.matches[0].distance < 0.05, 'the same photo, re-encoded, is nearly identical');
    const afterCount = (await gql(server.url, `query($a: ID!) { album(id: $a) { imageCount } }`, { a: albumId })).data.album.imageCount;
    assert.equal(afterCount, before);
  });

  test('ingestPaths refuses paths outside the import root, through .. or a symlink', async () => {
    const link = path.join(server.dataDir, 'escape-link');
    await fs.symlink('/etc', link).catch(() => undefined);
    const r = await gql(
      server.url,
      `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { done failed items { fileName error { code } } } }`,
      { a: albumId, p: ['../../../etc/passwd', '/etc/hostname', 'lfw10/../../docs/ENVIRONMENT.md', 'lfw10/nobody.jpg', 'lfw10'] },
    );
    assert.equal(r.data.ingestPaths.done, 0);
    assert.deepEqual(
      r.data.ingestPaths.items.map((i: any) => i.error.code),
      ['FORBIDDEN_PATH', 'FORBIDDEN_PATH', 'FORBIDDEN_PATH', 'NOT_FOUND', 'BAD_USER_INPUT'],
    );
  });
});
