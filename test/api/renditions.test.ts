import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { gql, gqlUpload } from '../helpers/graphql-client.js';
import { DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';

/**
 * `Image.url` is a format every browser shows: the stored file for JPEG (and PNG, WebP, GIF, AVIF), a JPEG
 * rendition made once for TIFF (and HEIC, RAW); `Image.originalUrl` the stored bytes. Renditions are the
 * upright pixels the face boxes are in, owner-checked, cached, and a photo whose file is gone is a 404.
 */
const IMAGE = 'id format width height url originalUrl faces { box { x y width height } }';
const INGEST = `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { fileName error { code message } image { ${IMAGE} } } } }`;

interface Img {
  id: string;
  format: string;
  width: number;
  height: number;
  url: string;
  originalUrl: string;
  faces: { box: { x: number; y: number; width: number; height: number } }[];
}

describe('photos a browser can show', () => {
  let server: TestServer;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let jpeg: Buffer;
  let tiff: Buffer;
  let turned: Buffer;
  let jpegImage: Img;
  let tiffImage: Img;
  let turnedImage: Img;

  before(async () => {
    server = await startTestServer();
    const keys = server.facegraph.services.keys;
    alice = { authorization: `Bearer ${(await keys.create('alice')).key}` };
    bob = { authorization: `Bearer ${(await keys.create('bob')).key}` };
    jpeg = await fs.readFile(path.join(DEMO_DIR, 'sample1.jpg'));
    tiff = await sharp(jpeg).tiff({ compression: 'lzw' }).toBuffer();
    // Stored sideways with EXIF orientation 6: upright it is the JPEG's pixels again.
    turned = await sharp(jpeg).rotate(270).withMetadata({ orientation: 6 }).tiff({ compression: 'deflate' }).toBuffer();
    const album = (await gql(server.url, 'mutation { createAlbum(name: "formats") { id } }', {}, alice)).data.createAlbum.id;
    const r = await gqlUpload(
      server.url,
      INGEST,
      { a: album },
      'f',
      [
        { name: 'sample1.jpg', bytes: jpeg },
        { name: 'sample1.tif', bytes: tiff },
        { name: 'sample1-turned.tif', bytes: turned },
      ],
      { headers: { ...alice, 'apollo-require-preflight': 'true' } },
    );
    const items = r.data.ingestImages.items;
    for (const item of items) assert.equal(item.error, null, JSON.stringify(item.error));
    [jpegImage, tiffImage, turnedImage] = items.map((i: { image: Img }) => i.image);
  });
  after(() => server?.destroy());

  const get = (url: string, headers = alice) => fetch(new URL(url, server.url), { headers });

  test('a JPEG is shown as stored: url and originalUrl are the same file', async () => {
    assert.equal(jpegImage.url, jpegImage.originalUrl);
    const res = await get(jpegImage.url);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), jpeg);
  });

  test("a TIFF's url is a JPEG rendition of its pixels; originalUrl gives the stored TIFF", async () => {
    assert.equal(tiffImage.format, 'tiff');
    assert.notEqual(tiffImage.url, tiffImage.originalUrl);
    const res = await get(tiffImage.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
    const shown = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(shown).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.deepEqual([meta.width, meta.height], [tiffImage.width, tiffImage.height]);
    // The same picture: the rendition against the JPEG it was made from, mean absolute difference per channel.
    const a = await sharp(shown).raw().toBuffer();
    const b = await sharp(jpeg).raw().toBuffer();
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    assert.ok(sum / a.length < 3, `mean difference ${(sum / a.length).toFixed(2)}`);

    const original = await get(tiffImage.originalUrl);
    assert.equal(original.headers.get('content-type'), 'image/tiff');
    assert.deepEqual(Buffer.from(await original.arrayBuffer()), tiff);
    // The same faces as the JPEG of the same pixels.
    assert.equal(tiffImage.faces.length, jpegImage.faces.length);
  });

  test("a HEIC's url is a JPEG of its pixels, the JPEG's faces on it; originalUrl gives the stored HEIC", async () => {
    const heic = await fs.readFile(path.join(import.meta.dirname, '../fixtures/photos/sample1.heic'));
    const album = (await gql(server.url, 'mutation { createAlbum(name: "heic") { id } }', {}, alice)).data.createAlbum.id;
    const r = await gqlUpload(server.url, INGEST, { a: album }, 'f', [{ name: 'sample1.heic', bytes: heic }], {
      headers: { ...alice, 'apollo-require-preflight': 'true' },
    });
    const image: Img = r.data.ingestImages.items[0].image;
    assert.ok(image, JSON.stringify(r.data.ingestImages.items[0].error));
    assert.equal(image.faces.length, jpegImage.faces.length);
    const res = await get(image.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^image\/(jpeg|webp)$/);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height], [image.width, image.height]);
    assert.deepEqual(Buffer.from(await (await get(image.originalUrl)).arrayBuffer()), heic);
    // Its faces' thumbnails too (sharp alone cannot read HEIC).
    const faces = await gql(server.url, 'query($i: ID!) { image(id: $i) { faces { thumbnail } } }', { i: image.id }, alice);
    for (const { thumbnail } of faces.data.image.faces) {
      const t = await get(thumbnail);
      assert.equal(t.status, 200, `${thumbnail}: ${t.status}`);
      assert.equal((await sharp(Buffer.from(await t.arrayBuffer())).metadata()).format, 'jpeg');
    }
  });

  test('a rendition is upright, the frame the face boxes are given in', async () => {
    assert.deepEqual([turnedImage.width, turnedImage.height], [jpegImage.width, jpegImage.height]);
    const shown = Buffer.from(await (await get(turnedImage.url)).arrayBuffer());
    const meta = await sharp(shown).metadata();
    assert.deepEqual([meta.width, meta.height], [turnedImage.width, turnedImage.height]);
    assert.equal(meta.orientation ?? 1, 1);
    assert.equal(turnedImage.faces.length, jpegImage.faces.length);
  });

  test('made once: later requests read the kept file, and revalidate by ETag', async () => {
    const analyzer = server.facegraph.analyzer;
    const render = analyzer.renderForBrowser.bind(analyzer);
    let calls = 0;
    analyzer.renderForBrowser = (bytes) => {
      calls++;
      return render(bytes);
    };
    try {
      const first = await get(tiffImage.url);
      const again = await Promise.all([get(tiffImage.url), get(tiffImage.url)]);
      assert.equal(calls, 0, 'rendered by the earlier test, kept since');
      for (const r of again) assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.from(await first.clone().arrayBuffer()));
      const etag = first.headers.get('etag') ?? '';
      assert.equal((await fetch(new URL(tiffImage.url, server.url), { headers: { ...alice, 'if-none-match': etag } })).status, 304);
      const files = await fs.readdir(path.join(server.dataDir, 'renditions'), { recursive: true });
      assert.equal(files.filter((f) => f.endsWith('.jpg')).length, 3, `${files}`);
    } finally {
      analyzer.renderForBrowser = render;
    }
  });

  test("another owner's key, a forged signature or a JPEG asked as a rendition: 404", async () => {
    assert.equal((await get(tiffImage.url, bob)).status, 404);
    assert.equal((await get(tiffImage.originalUrl, bob)).status, 404);
    const forged = tiffImage.url.replace(/-([0-9a-f])/, (_, c: string) => `-${c === '0' ? '1' : '0'}`);
    assert.equal((await get(forged)).status, 404);
    assert.equal((await get(tiffImage.originalUrl.replace(/$/, '.jpg'))).status, 404, "the original's signature is not a rendition's");
    assert.equal((await get(`${jpegImage.url}.jpg`)).status, 404);
  });

  test('a photo whose file is gone: 404 NOT_FOUND for its rendition and original, and the server goes on', async () => {
    const album = (await gql(server.url, 'mutation { createAlbum(name: "gone") { id } }', {}, alice)).data.createAlbum.id;
    const gone = await sharp(jpeg).resize(960).tiff().toBuffer();
    const r = await gqlUpload(server.url, INGEST, { a: album }, 'f', [{ name: 'gone.tif', bytes: gone }], {
      headers: { ...alice, 'apollo-require-preflight': 'true' },
    });
    const image: Img = r.data.ingestImages.items[0].image;
    const stored = (await fs.readdir(path.join(server.dataDir, 'photos'), { recursive: true })).filter((f) => f.endsWith('.tif'));
    const sha = (await gql(server.url, 'query($i: ID!) { image(id: $i) { sha256 } }', { i: image.id }, alice)).data.image.sha256;
    const file = stored.find((f) => f.includes(sha));
    assert.ok(file, 'the stored TIFF');
    await fs.rm(path.join(server.dataDir, 'photos', file));
    for (const url of [image.url, image.originalUrl]) {
      const res = await get(url);
      assert.equal(res.status, 404, url);
      assert.equal(((await res.json()) as any).errors[0].extensions.code, 'NOT_FOUND');
    }
    assert.equal((await get(tiffImage.url)).status, 200);
  });
});
