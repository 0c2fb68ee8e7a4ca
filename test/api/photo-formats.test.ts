/**
 * The photos phones and cameras write, through the GraphQL API (issue 34): a HEIC gives the
 * JPEG's faces on every path (upload, ingestPaths, searchByPhoto), the real HEIC/AVIF files are
 * stored (with takenAt), a CR3 is analysed from its preview and the pruned DNG refused naming
 * it, a video is refused as one (and `facegraph ingest` skips it), and libheif's 132 fuzzing
 * files, in one batch, all settle without a partial row, the server still finding faces after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { findPhotos } from '../../src/cli/ingest-command.js';
import { assertConsistent } from '../helpers/consistency.js';
import { gql, gqlUpload, type UploadFile } from '../helpers/graphql-client.js';
import { DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';
import { PACKAGE_PHOTOS, datasetPath, needsDatasets } from '../support/datasets.js';
import { quickTimeHead } from '../support/quicktime.js';

const INGEST = `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) {
  status total done failed
  items { fileName error { code message } image { id format width height takenAt faces { box { x y width height } } } } } }`;
const INGEST_PATHS = `mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) {
  items { fileName error { code message } image { format faces { box { x y width height } } } } } }`;
const formats = needsDatasets('formats');

type Box = { x: number; y: number; width: number; height: number };

let server: TestServer;

async function createAlbum(name: string): Promise<string> {
  const r = await gql(server.url, 'mutation($n: String!) { createAlbum(name: $n) { id } }', { n: name });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.createAlbum.id;
}

async function ingest(albumId: string, files: UploadFile[]): Promise<any> {
  const r = await gqlUpload(server.url, INGEST, { a: albumId }, 'files', files);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.ingestImages;
}

async function file(name: string, full: string): Promise<UploadFile> {
  return { name, bytes: await fs.readFile(full) };
}

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

/** Each of the JPEG's boxes has one in `boxes` at IoU >= 0.8, and there are as many. */
function assertSameFaces(boxes: Box[], jpegBoxes: Box[]): void {
  assert.equal(boxes.length, jpegBoxes.length, JSON.stringify(boxes));
  for (const want of jpegBoxes) {
    const best = Math.max(...boxes.map((b) => iou(b, want)));
    assert.ok(best >= 0.8, `a box at IoU ${best.toFixed(2)} of ${JSON.stringify(want)}`);
  }
}

let jpegBoxes: Box[];

before(async () => {
  // The whole fuzzing corpus (132 files) goes in one request.
  server = await startTestServer({ FACEGRAPH_IMPORT_ROOT: PACKAGE_PHOTOS, FACEGRAPH_MAX_FILES: '200' });
  const album = await createAlbum('jpeg');
  const batch = await ingest(album, [await file('sample1.jpg', path.join(DEMO_DIR, 'sample1.jpg'))]);
  jpegBoxes = batch.items[0].image.faces.map((f: any) => f.box);
  assert.equal(jpegBoxes.length, 3);
});
after(async () => server?.destroy());

describe('HEIC through the API', () => {
  test("an uploaded HEIC of sample1.jpg gives the JPEG's three faces", async () => {
    const batch = await ingest(await createAlbum('heic upload'), [await file('sample1.heic', path.join(PACKAGE_PHOTOS, 'sample1.heic'))]);
    const [item] = batch.items;
    assert.equal(item.error, null);
    assert.deepEqual([item.image.format, item.image.width, item.image.height], ['heic', 1920, 1280]);
    assertSameFaces(
      item.image.faces.map((f: any) => f.box),
      jpegBoxes,
    );
  });

  test("a HEIC face's thumbnail is cut from the decoded photo and served as JPEG", async () => {
    const batch = await ingest(await createAlbum('heic thumbnails'), [await file('thumb.heic', path.join(PACKAGE_PHOTOS, 'sample1.heic'))]);
    const r = await gql(server.url, 'query($id: ID!) { image(id: $id) { faces { thumbnail } } }', { id: batch.items[0].image.id });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const res = await fetch(new URL(r.data.image.faces[0].thumbnail, server.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    assert.equal(meta.format, 'jpeg');
  });

  test('ingestPaths and searchByPhoto read HEIC too', async () => {
    const r = await gql(server.url, INGEST_PATHS, { a: await createAlbum('heic paths'), p: ['sample1.heic'] });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const [item] = r.data.ingestPaths.items;
    assert.equal(item.error, null);
    assertSameFaces(
      item.image.faces.map((f: any) => f.box),
      jpegBoxes,
    );
    const search = await gqlUpload(
      server.url,
      'query($f: Upload!) { searchByPhoto(file: $f, limit: 1) { box { x y width height } } }',
      {},
      'f',
      [await file('probe.heic', path.join(PACKAGE_PHOTOS, 'sample1.heic'))],
      { single: true },
    );
    assert.equal(search.errors, undefined, JSON.stringify(search.errors));
    assertSameFaces(
      search.data.searchByPhoto.map((p: any) => p.box),
      jpegBoxes,
    );
  });

  test('stores every real HEIC and AVIF; the iPhone 7 photo was taken 2019-10-20T18:34:30+02:00', { skip: formats }, async () => {
    const dir = datasetPath('formats', 'heic');
    const names = (await fs.readdir(dir)).sort();
    const batch = await ingest(await createAlbum('real heic'), await Promise.all(names.map((n) => file(n, path.join(dir, n)))));
    for (const item of batch.items) assert.equal(item.error, null, `${item.fileName}: ${item.error?.message}`);
    const byName = Object.fromEntries(batch.items.map((i: any) => [i.fileName, i.image]));
    assert.equal(byName['libheif-example.avif'].format, 'avif');
    assert.equal(byName['heic-iphone7.heic'].format, 'heic');
    assert.deepEqual([byName['heic-iphone7.heic'].width, byName['heic-iphone7.heic'].height], [4032, 3024]);
    assert.equal(new Date(byName['heic-iphone7.heic'].takenAt).toISOString(), new Date('2019-10-20T18:34:30+02:00').toISOString());
  });
});

describe('RAW and video through the API', () => {
  test('a CR3 is analysed from its preview; the pruned DNG is refused naming the format and why', { skip: formats }, async () => {
    const batch = await ingest(await createAlbum('raw'), [
      await file('Canon-R6-pruned.CR3', datasetPath('formats', 'raw', 'Canon-R6-pruned.CR3')),
      await file('iphone12pro-pruned.dng', datasetPath('formats', 'raw', 'iphone12pro-pruned.dng')),
    ]);
    const [cr3, dng] = batch.items;
    assert.equal(cr3.error, null);
    assert.deepEqual([cr3.image.format, cr3.image.width, cr3.image.height], ['cr3', 1620, 1080]);
    assert.equal(dng.image, null);
    assert.equal(dng.error.code, 'UNSUPPORTED_IMAGE');
    assert.match(dng.error.message, /DNG raw file: its preview JPEG lies outside the file/);
  });

  test("a Live Photo's movie is refused as a video, and `facegraph ingest` counts it as skipped", async () => {
    const batch = await ingest(await createAlbum('video'), [{ name: 'IMG_0001.heic', bytes: quickTimeHead() }]);
    assert.equal(batch.items[0].error.code, 'UNSUPPORTED_IMAGE');
    assert.match(batch.items[0].error.message, /video/);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-videos-'));
    try {
      await fs.writeFile(path.join(dir, 'IMG_0001.MOV'), quickTimeHead());
      await fs.writeFile(path.join(dir, 'IMG_0002.heic'), quickTimeHead());
      await fs.copyFile(path.join(PACKAGE_PHOTOS, 'sample1.heic'), path.join(dir, 'IMG_0003.heic'));
      const found = await findPhotos(dir);
      assert.deepEqual(
        found.photos.map((f) => path.basename(f)),
        ['IMG_0003.heic'],
      );
      assert.deepEqual(
        found.videos.map((f) => path.basename(f)),
        ['IMG_0001.MOV', 'IMG_0002.heic'],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("libheif's fuzzing corpus through the API", () => {
  test('all 132 files settle in one batch, refusals are UNSUPPORTED_IMAGE, no partial row, faces still found', {
    skip: formats,
  }, async () => {
    const dir = datasetPath('formats', 'heif-malformed');
    const names = (await fs.readdir(dir)).sort();
    assert.equal(names.length, 132);
    const albumId = await createAlbum('malformed');
    const batch = await ingest(albumId, await Promise.all(names.map((n) => file(n, path.join(dir, n)))));
    assert.equal(batch.status, 'DONE');
    assert.equal(batch.total, 132);
    let stored = 0;
    for (const item of batch.items) {
      if (item.image) stored++;
      else assert.equal(item.error?.code, 'UNSUPPORTED_IMAGE', `${item.fileName}: ${JSON.stringify(item.error)}`);
    }
    assert.ok(stored >= 1, `${stored} stored`);
    const album = await gql(server.url, 'query($a: ID!) { album(id: $a) { imageCount } }', { a: albumId });
    assert.equal(album.data.album.imageCount, stored, 'a row for each stored photo, none for a refused one');
    await assertConsistent(server);
    const again = await ingest(await createAlbum('after the corpus'), [await file('sample1.jpg', path.join(DEMO_DIR, 'sample1.jpg'))]);
    assertSameFaces(
      again.items[0].image.faces.map((f: any) => f.box),
      jpegBoxes,
    );
  });
});
