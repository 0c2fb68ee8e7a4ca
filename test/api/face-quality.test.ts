/**
 * Face.quality through the API (issue 27): measured on every face, poor faces
 * stored and shown but kept out of people and after the good ones in
 * similarFaces. Real models on the astronaut photo of Debian's python3-skimage.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { POOR_QUALITY } from '../../src/vision/face-quality.js';
import { gql, gqlUpload } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

const INGEST = `mutation($albumId: ID!, $files: [Upload!]!) { ingestImages(albumId: $albumId, files: $files) {
  items { fileName error { code } image { faces { id quality } } } } }`;

let server: TestServer;
let albumId: string;
const face: Record<string, { id: string; quality: number }> = {};

before(async () => {
  server = await startTestServer();
  albumId = (await gql(server.url, `mutation { createAlbum(name: "quality") { id } }`)).data.createAlbum.id;
  const astronaut = await fs.readFile(path.join(ONEFACE_DIR, 'astronaut.png'));
  const files = [
    { name: 'astronaut.png', bytes: astronaut },
    { name: 'mirrored.png', bytes: await sharp(astronaut).flop().png().toBuffer() },
    { name: 'closer.png', bytes: await sharp(astronaut).extract({ left: 96, top: 0, width: 320, height: 320 }).png().toBuffer() },
    // The same face blurred: near the others, but too poor to be trusted.
    { name: 'blurred.png', bytes: await sharp(astronaut).blur(4).png().toBuffer() },
    { name: 'camera.png', bytes: await fs.readFile(path.join(ONEFACE_DIR, 'camera.png')) },
  ];
  const r = await gqlUpload(server.url, INGEST, { albumId }, 'files', files);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  for (const item of r.data.ingestImages.items) {
    assert.equal(item.image?.faces.length, 1, `${item.fileName}: ${JSON.stringify(item)}`);
    face[item.fileName] = item.image.faces[0];
  }
});
after(async () => server?.destroy());

describe('Face.quality', () => {
  test('every face has a quality in [0, 1]; the blurred copy is poor, the clear photos are not', () => {
    for (const [name, f] of Object.entries(face)) assert.ok(f.quality >= 0 && f.quality <= 1, `${name}: ${f.quality}`);
    assert.ok(face['blurred.png'].quality < POOR_QUALITY, `blurred: ${face['blurred.png'].quality}`);
    for (const name of ['astronaut.png', 'mirrored.png', 'closer.png', 'camera.png'])
      assert.ok(face[name].quality >= POOR_QUALITY, `${name}: ${face[name].quality}`);
  });

  test('similarFaces puts the poor face after the good ones, though it is nearer than one of them', async () => {
    const r = await gql(server.url, `query($id: ID!) { similarFaces(faceId: $id, limit: 10) { distance face { id quality } } }`, {
      id: face['astronaut.png'].id,
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const order = r.data.similarFaces.map((m: { face: { id: string } }) => m.face.id);
    const at = (name: string) => order.indexOf(face[name].id);
    const distance = (name: string) => r.data.similarFaces[at(name)].distance as number;
    assert.equal(order.length, 4);
    assert.ok(distance('blurred.png') < distance('camera.png'), 'the blurred copy is nearer than the cameraman');
    assert.equal(at('blurred.png'), 3, 'and comes last');
  });

  test('clustering makes a person of the clear photos and leaves the poor face out of it', async () => {
    const r = await gql(server.url, `mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 2) { faces } }`, { a: albumId });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const people = await gql(server.url, `query($a: ID!) { album(id: $a) { people { faces(first: 10) { edges { node { id } } } } } }`, {
      a: albumId,
    });
    assert.equal(people.errors, undefined, JSON.stringify(people.errors));
    assert.equal(people.data.album.people.length, 1, JSON.stringify(people.data.album.people));
    const [person] = people.data.album.people;
    const ids = person.faces.edges.map((e: { node: { id: string } }) => e.node.id).sort();
    assert.deepEqual(ids, ['astronaut.png', 'mirrored.png', 'closer.png'].map((n) => face[n].id).sort());
  });
});
