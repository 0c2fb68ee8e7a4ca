import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { regionsFromPacket } from '../../src/metadata/xmp.js';
import { gql, gqlUpload, type UploadFile } from '../helpers/graphql-client.js';
import { astronautPhotos, DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';
import { datasetPath, describeWithDatasets } from '../support/datasets.js';

const run = promisify(execFile);

/**
 * XMP face regions in (names on ingest) and out (Image.xmpSidecar, GET /images/:id.xmp),
 * end to end over HTTP with the real models: two owners on one server, keys from the real CLI.
 */
let server: TestServer;
let alice: Record<string, string>;
let bob: Record<string, string>;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
/** A region to embed: a name over a box normalised to the stored pixels (top-left corner and size). */
interface Region {
  name: string;
  box: Rect;
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function xmpPacket(body: string, namespaces = ''): string {
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:MP="http://ns.microsoft.com/photo/1.2/" xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"${namespaces}>${body}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}

/** MWG regions as digiKam writes them: centre and size, normalised. */
function mwgXmp(regions: Region[], dims: { w: number; h: number }): string {
  const items = regions
    .map(
      ({ name, box: b }) =>
        `<rdf:li><rdf:Description mwg-rs:Name="${xmlText(name)}" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="${b.x + b.width / 2}" stArea:y="${b.y + b.height / 2}" stArea:w="${b.width}" stArea:h="${b.height}" stArea:unit="normalized"/></rdf:Description></rdf:li>`,
    )
    .join('');
  return xmpPacket(
    `<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions stDim:w="${dims.w}" stDim:h="${dims.h}" stDim:unit="pixel"/><mwg-rs:RegionList><rdf:Bag>${items}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>`,
  );
}

/** Microsoft People Tagging: "x, y, w, h", top-left corner and size. */
function mpXmp(regions: Region[]): string {
  const items = regions
    .map(
      ({ name, box: b }) =>
        `<rdf:li MPReg:PersonDisplayName="${xmlText(name)}" MPReg:Rectangle="${b.x}, ${b.y}, ${b.width}, ${b.height}"/>`,
    )
    .join('');
  return xmpPacket(`<MP:RegionInfo rdf:parseType="Resource"><MPRI:Regions><rdf:Bag>${items}</rdf:Bag></MPRI:Regions></MP:RegionInfo>`);
}

async function withXmp(bytes: Uint8Array, xmp: string, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const img = sharp(bytes).withXmp(xmp);
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

const FACES = `faces { id source box { x y width height } person { id name } }`;

async function createAlbum(headers: Record<string, string>, name: string): Promise<string> {
  const r = await gql(server.url, `mutation($n: String!) { createAlbum(name: $n) { id } }`, { n: name }, headers);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.createAlbum.id;
}

/** Ingests files and returns each item's image with its faces (and people). */
async function ingest(headers: Record<string, string>, album: string, files: UploadFile[]): Promise<any[]> {
  const r = await gqlUpload(
    server.url,
    `mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { items { error { code message } image { id width height ${FACES} } } } }`,
    { a: album },
    'files',
    files,
    { headers: { 'apollo-require-preflight': 'true', ...headers } },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  for (const item of r.data.ingestImages.items) assert.equal(item.error, null, JSON.stringify(item.error));
  return r.data.ingestImages.items.map((i: any) => i.image);
}

/** The detected faces' boxes of a photo (searchByPhoto stores nothing). */
async function detect(bytes: Uint8Array): Promise<Rect[]> {
  const r = await gqlUpload(
    server.url,
    `query($f: Upload!) { searchByPhoto(file: $f, limit: 1) { box { x y width height } } }`,
    {},
    'f',
    [{ name: 'p.jpg', bytes }],
    {
      single: true,
      headers: { 'apollo-require-preflight': 'true', ...alice },
    },
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.searchByPhoto.map((f: any) => f.box);
}

async function people(headers: Record<string, string>, album: string): Promise<{ id: string; name: string | null; faceCount: number }[]> {
  const r = await gql(server.url, `query($a: ID!) { album(id: $a) { people { id name faceCount } } }`, { a: album }, headers);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.album.people;
}

async function image(headers: Record<string, string>, id: string): Promise<any> {
  const r = await gql(server.url, `query($id: ID!) { image(id: $id) { id width height xmpSidecar ${FACES} } }`, { id }, headers);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.image;
}

function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

/** A pixel box grown by `f` about its centre, normalised to `w` x `h`: a user's looser box around a face. */
function loose(b: Rect, w: number, h: number, f = 1.15): Rect {
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  return { x: (cx - (b.width * f) / 2) / w, y: (cy - (b.height * f) / 2) / h, width: (b.width * f) / w, height: (b.height * f) / h };
}

/** `facegraph keys create --owner NAME`, the real command; the key is the last line of its output. */
async function createKey(owner: string, dataDir: string, databaseUrl: string | undefined): Promise<string> {
  const { stdout } = await run(process.execPath, ['src/cli/facegraph-bin.mjs', 'keys', 'create', '--owner', owner], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, FACEGRAPH_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
  });
  const lines = stdout.trim().split('\n');
  return lines[lines.length - 1];
}

const GROUP = path.join(DEMO_DIR, 'sample1.jpg');
let group: Buffer;
let groupMeta: { width: number; height: number };
let groupFaces: Rect[];
/** Alice's group photo named by XMP (first test), and her rotated one with the stored-frame region it carried. */
let groupImage = '';
let rotated = { image: '', stored: { x: 0, y: 0, width: 0, height: 0 } as Rect };

/** The regions of a sidecar, read back by facegraph's own reader, in the frame of a `w` x `h` orientation-1 photo. */
async function sidecarRegions(xmp: string): Promise<{ name: string; box: Rect }[]> {
  const { regions, warnings } = await regionsFromPacket(Buffer.from(xmp), { orientation: 1, storedWidth: 0, storedHeight: 0 });
  assert.deepEqual(warnings, []);
  return regions;
}

const exiftool = existsSync('/usr/bin/exiftool') ? '/usr/bin/exiftool' : undefined;
const NO_EXIFTOOL = exiftool ? false : 'exiftool is not installed (Debian libimage-exiftool-perl; .ci/run installs it)';

/** The region names exiftool reads from a sidecar file. */
async function exiftoolNames(xmp: string): Promise<string[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-xmp-'));
  try {
    const file = path.join(dir, 'photo.xmp');
    await fs.writeFile(file, xmp);
    const { stdout } = await run(exiftool!, ['-j', '-RegionName', '-RegionType', file]);
    const [out] = JSON.parse(stdout);
    assert.deepEqual(
      [out.RegionType].flat().filter((t: string) => t !== 'Face'),
      [],
    );
    return [out.RegionName ?? []].flat().map(String);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function getSidecar(id: string, headers: Record<string, string>): Promise<Response> {
  return fetch(new URL(`/images/${id}`, server.url), { headers });
}

before(async () => {
  const first = await startTestServer();
  const { dataDir } = first;
  const { databaseUrl } = first.config;
  await first.stop();
  alice = { authorization: `Bearer ${await createKey('alice', dataDir, databaseUrl)}` };
  bob = { authorization: `Bearer ${await createKey('bob', dataDir, databaseUrl)}` };
  server = await startTestServer({}, { dataDir, databaseUrl });
  group = await fs.readFile(GROUP);
  const meta = await sharp(group).metadata();
  groupMeta = { width: meta.width!, height: meta.height! };
  groupFaces = (await detect(group)).sort((a, b) => a.x - b.x);
  assert.ok(groupFaces.length >= 3, `the demo group photo has ${groupFaces.length} faces`);
});

after(async () => {
  await server?.destroy();
});

describe('XMP face regions in', () => {
  test('MWG regions name the faces they overlap; a region on no face becomes a MANUAL face of that name', async () => {
    const album = await createAlbum(alice, 'group');
    const { width: w, height: h } = groupMeta;
    const [left, second] = groupFaces;
    // A box in the top-left corner, where the photo has no face, as big as the first face.
    const empty = { x: 0.01, y: 0.01, width: (left.width * 1.2) / w, height: (left.height * 1.2) / h };
    assert.ok(groupFaces.every((f) => iou(f, { x: empty.x * w, y: empty.y * h, width: empty.width * w, height: empty.height * h }) === 0));
    const xmp = mwgXmp(
      [
        { name: 'Ann Left', box: loose(left, w, h) },
        { name: 'Zoë "Z" <O\'Brien> & Co', box: loose(second, w, h, 0.9) },
        { name: 'Nobody There', box: empty },
      ],
      { w, h },
    );
    const [img] = await ingest(alice, album, [{ name: 'group.jpg', bytes: await withXmp(group, xmp) }]);
    groupImage = img.id;
    const detected = img.faces.filter((f: any) => f.source !== 'MANUAL');
    assert.equal(detected.length, groupFaces.length, 'every detected face is stored');
    const named = (name: string) => img.faces.filter((f: any) => f.person?.name === name);
    assert.equal(named('Ann Left').length, 1);
    assert.ok(iou(named('Ann Left')[0].box, left) > 0.8, 'the first name is on the first face');
    assert.equal(named('Zoë "Z" <O\'Brien> & Co').length, 1);
    assert.ok(iou(named('Zoë "Z" <O\'Brien> & Co')[0].box, second) > 0.8, 'the second name is on the second face');
    const manual = img.faces.filter((f: any) => f.source === 'MANUAL');
    assert.equal(manual.length, 1, 'one manual face, for the region on no face');
    assert.equal(manual[0].person?.name, 'Nobody There');
    assert.ok(Math.abs(manual[0].box.x - empty.x * w) <= 1 && Math.abs(manual[0].box.width - empty.width * w) <= 1);
    const names = (await people(alice, album)).map((p) => p.name).sort();
    assert.deepEqual(names, ['Ann Left', 'Nobody There', 'Zoë "Z" <O\'Brien> & Co'].sort());
  });

  test('a Microsoft People Tagging region names its face; an existing person of that name is reused', async () => {
    const album = await createAlbum(alice, 'mp');
    const [a1, a2] = await astronautPhotos(2);
    const meta = await sharp(a1.bytes).metadata();
    const [face] = await detect(a1.bytes);
    const region = { name: 'Eileen Collins', box: loose(face, meta.width!, meta.height!) };
    const [first] = await ingest(alice, album, [{ name: 'a1.jpg', bytes: await withXmp(a1.bytes, mpXmp([region])) }]);
    assert.equal(first.faces.length, 1);
    assert.equal(first.faces[0].source, 'DETECTOR');
    assert.equal(first.faces[0].person?.name, 'Eileen Collins');
    const [second] = await ingest(alice, album, [{ name: 'a2.jpg', bytes: await withXmp(a2.bytes, mpXmp([region])) }]);
    assert.equal(second.faces[0].person?.id, first.faces[0].person.id, 'the same person, not a second "Eileen Collins"');
    assert.deepEqual(
      (await people(alice, album)).map((p) => [p.name, p.faceCount]),
      [['Eileen Collins', 2]],
    );
  });

  test('a rotated photo (EXIF orientation 6): regions in the stored pixels land on the right upright face', async () => {
    const album = await createAlbum(alice, 'rotated');
    const { width: w, height: h } = groupMeta;
    // Stored sideways: the pixels turned 90° counter-clockwise, orientation 6 turns them back upright.
    const sideways = await sharp(group).rotate(270).jpeg({ quality: 95 }).toBuffer();
    const target = groupFaces[groupFaces.length - 1];
    const up = loose(target, w, h);
    // Orientation 6 shows stored (u, v) at upright (1 - v, u): so upright (u', v') is stored (v', 1 - u').
    const stored = { x: up.y, y: 1 - (up.x + up.width), width: up.height, height: up.width };
    const xmp = mwgXmp([{ name: 'Right Most', box: stored }], { w: h, h: w });
    const bytes = await sharp(sideways).withMetadata({ orientation: 6 }).withXmp(xmp).jpeg({ quality: 95 }).toBuffer();
    assert.equal((await sharp(bytes).metadata()).orientation, 6);
    const [img] = await ingest(alice, album, [{ name: 'rotated.jpg', bytes }]);
    rotated = { image: img.id, stored };
    assert.equal(img.width, w, 'stored upright');
    assert.equal(
      img.faces.filter((f: any) => f.source === 'MANUAL').length,
      0,
      'the region matched a detected face (read unrotated, it would be a manual face elsewhere)',
    );
    const named = img.faces.filter((f: any) => f.person?.name === 'Right Most');
    assert.equal(named.length, 1);
    assert.ok(iou(named[0].box, target) > 0.7, `on the right-most face: ${JSON.stringify(named[0].box)} vs ${JSON.stringify(target)}`);
  });

  test('malformed, huge or hostile XMP is ignored: the photo is stored with its faces, nobody named', async () => {
    // Bob, who has named nobody yet: Alice's "Eileen Collins" would rightly grow by these photos.
    const album = await createAlbum(bob, 'hostile');
    const photos = await astronautPhotos(6);
    const meta = await sharp(photos[0].bytes).metadata();
    const [face] = await detect(photos[0].bytes);
    const region = (name: string) => mwgXmp([{ name, box: loose(face, meta.width!, meta.height!) }], { w: meta.width!, h: meta.height! });
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
      ']>' +
      region('&lol9;').replace('&amp;lol9;', '&lol9;');
    // 10,000 levels in 110 KB, under the size bound, so that the depth bound refuses it.
    const deep = region('Deep Down')
      .replace('xmlns:stDim=', 'xmlns:a="urn:a" xmlns:stDim=')
      .replace('<mwg-rs:Regions', `${'<a:x>'.repeat(10_000)}${'</a:x>'.repeat(10_000)}<mwg-rs:Regions`);
    const huge = region(`Huge ${'x'.repeat(150)}`).replace(
      '</rdf:Description></rdf:RDF>',
      `<a:pad xmlns:a="urn:a">${'y'.repeat(300_000)}</a:pad></rdf:Description></rdf:RDF>`,
    );
    const garbage = `${region('Garbage').slice(0, 300)}<<<&&&\u0001 >>> <rdf:li`;
    const nan = region('Not A Number').replace(/stArea:x="[^"]*"/, 'stArea:x="NaN"');
    const cases: [string, string, 'jpeg' | 'png'][] = [
      ['laughs', laughs, 'jpeg'],
      ['deep', deep, 'png'], // a JPEG's XMP segment holds 64 KB: 10k levels need PNG
      ['huge', huge, 'png'],
      ['garbage', garbage, 'jpeg'],
      ['nan', nan, 'jpeg'],
    ];
    const files: UploadFile[] = [];
    for (const [i, [name, xmp, format]] of cases.entries()) {
      const bytes = await withXmp(photos[i].bytes, xmp, format);
      assert.ok((await sharp(bytes).metadata()).xmp, `${name}: sharp embedded the XMP`);
      files.push({ name: `${name}.${format}`, bytes });
    }
    const started = Date.now();
    const images = await ingest(bob, album, files);
    for (const [i, img] of images.entries()) {
      assert.ok(img, `${cases[i][0]}: stored`);
      assert.equal(img.faces.length, 1, `${cases[i][0]}: the face is detected`);
      assert.equal(img.faces[0].person?.name ?? null, null, `${cases[i][0]}: nobody named`);
    }
    assert.equal((await people(bob, album)).filter((p) => p.name).length, 0);
    assert.ok(Date.now() - started < 60_000);
  });

  test('a job retried after the photo was stored makes no second manual face or person', async () => {
    const album = await createAlbum(alice, 'retry');
    const { width: w, height: h } = groupMeta;
    const empty = { x: 0.01, y: 0.01, width: (groupFaces[0].width * 1.2) / w, height: (groupFaces[0].height * 1.2) / h };
    const bytes = await withXmp(
      group,
      mwgXmp(
        [
          { name: 'Once Only', box: empty },
          { name: 'Retried Ann', box: loose(groupFaces[0], w, h) },
        ],
        { w, h },
      ),
    );
    // The first attempt stores the photo, then "dies" before its batch item is recorded ...
    const first = await server.facegraph.services.ingest.ingestOne(Number(album), { fileName: 'g.jpg', read: async () => bytes });
    assert.equal(first.created, true);
    // ... and the retry (here: the same bytes again through the API) finds it stored.
    const [img] = await ingest(alice, album, [{ name: 'g.jpg', bytes }]);
    assert.equal(Number(img.id), first.image.id);
    assert.equal(img.faces.filter((f: any) => f.source === 'MANUAL').length, 1);
    const named = (await people(alice, album)).filter((p) => p.name === 'Once Only' || p.name === 'Retried Ann');
    assert.deepEqual(named.map((p) => [p.name, p.faceCount]).sort(), [
      ['Once Only', 1],
      ['Retried Ann', 1],
    ]);
  });
});

describe('XMP out: Image.xmpSidecar and GET /images/:id.xmp', () => {
  test('the sidecar holds an MWG region for each named face, escaped; the route serves it to the owner only', async () => {
    const img = await image(alice, groupImage);
    const xmp: string = img.xmpSidecar;
    assert.ok(xmp.startsWith('<?xpacket begin='), xmp.slice(0, 80));
    assert.match(xmp, /mwg-rs:Name="Zoë &quot;Z&quot; &lt;O&apos;Brien&gt; &amp; Co"/);
    assert.match(xmp, new RegExp(`<mwg-rs:AppliedToDimensions stDim:w="${img.width}" stDim:h="${img.height}" stDim:unit="pixel"/>`));
    const regions = await sidecarRegions(xmp);
    const named = img.faces.filter((f: any) => f.person?.name);
    assert.deepEqual(regions.map((r) => r.name).sort(), named.map((f: any) => f.person.name).sort());
    for (const face of named) {
      const r = regions.find((x) => x.name === face.person.name)!;
      const box = { x: r.box.x * img.width, y: r.box.y * img.height, width: r.box.width * img.width, height: r.box.height * img.height };
      assert.ok(iou(box, face.box) > 0.98, `${face.person.name}: ${JSON.stringify(box)} vs ${JSON.stringify(face.box)}`);
    }

    const res = await getSidecar(`${groupImage}.xmp`, alice);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/rdf\+xml; charset=utf-8/);
    assert.equal(await res.text(), xmp);
    assert.equal((await getSidecar(`${groupImage}.xmp`, bob)).status, 404, "another owner's image is NOT_FOUND");
    assert.equal((await getSidecar('999999.xmp', alice)).status, 404);
    assert.equal((await getSidecar(`${groupImage}.jpg`, alice)).status, 404);
    assert.equal((await getSidecar(`${groupImage}.xmp`, {})).status, 401);
    const theirs = await gql(server.url, `query($id: ID!) { image(id: $id) { xmpSidecar } }`, { id: groupImage }, bob);
    assert.equal(theirs.data.image, null);
  });

  test('an image with no named face has no sidecar: null, and 204 from the route', async () => {
    // Bob's: Alice's astronaut photos could join her named "Eileen Collins".
    const album = await createAlbum(bob, 'unnamed');
    const [photo] = await astronautPhotos(1);
    const [img] = await ingest(bob, album, [{ name: 'plain.jpg', bytes: await sharp(photo.bytes).rotate(90).jpeg().toBuffer() }]);
    assert.equal((await image(bob, img.id)).xmpSidecar, null);
    assert.equal((await getSidecar(`${img.id}.xmp`, bob)).status, 204);
  });

  test('a rotated photo: the sidecar region is in the stored pixels, where it came from', async () => {
    const img = await image(alice, rotated.image);
    assert.match(img.xmpSidecar, new RegExp(`stDim:w="${img.height}" stDim:h="${img.width}"`), 'AppliedToDimensions of the stored pixels');
    const [region] = (await sidecarRegions(img.xmpSidecar)).filter((r) => r.name === 'Right Most');
    assert.ok(iou(region.box, rotated.stored) > 0.7, `${JSON.stringify(region.box)} vs ${JSON.stringify(rotated.stored)}`);
  });

  test('exiftool reads the names back', { skip: NO_EXIFTOOL }, async () => {
    const img = await image(alice, groupImage);
    const names = await exiftoolNames(img.xmpSidecar);
    assert.deepEqual(names.sort(), ['Ann Left', 'Nobody There', 'Zoë "Z" <O\'Brien> & Co'].sort());
  });

  test('round trip: the sidecar embedded with withXmp, ingested by another owner, gives the same names', async () => {
    const img = await image(alice, groupImage);
    const album = await createAlbum(bob, 'round trip');
    const [theirs] = await ingest(bob, album, [{ name: 'group.jpg', bytes: await withXmp(group, img.xmpSidecar) }]);
    const names = (faces: any[]) =>
      faces
        .filter((f) => f.person?.name)
        .map((f) => `${f.person.name} ${f.source}`)
        .sort();
    assert.deepEqual(names(theirs.faces), names(img.faces));
    for (const face of theirs.faces.filter((f: any) => f.person?.name)) {
      const mine = img.faces.find((f: any) => f.person?.name === face.person.name);
      assert.ok(iou(face.box, mine.box) > 0.9, face.person.name);
    }
    assert.deepEqual(
      (await people(bob, album))
        .map((p) => p.name)
        .filter(Boolean)
        .sort(),
      ['Ann Left', 'Nobody There', 'Zoë "Z" <O\'Brien> & Co'].sort(),
    );
  });
});

describeWithDatasets(['lfw10'], 'XMP: the issue check on lfw10 (Ariel Sharon)', () => {
  const ariel = (n: number) => datasetPath('lfw10', 'Ariel_Sharon', `Ariel_Sharon_${String(n).padStart(4, '0')}.jpg`);
  let album = '';
  let firstImage = '';

  test('a photo carrying an MWG region "Ariel Sharon" names his person; four more photos, clustered, join it', async () => {
    album = await createAlbum(alice, 'lfw');
    const bytes = await fs.readFile(ariel(1));
    const meta = await sharp(bytes).metadata();
    const [face] = await detect(bytes);
    const xmp = mwgXmp([{ name: 'Ariel Sharon', box: loose(face, meta.width!, meta.height!) }], { w: meta.width!, h: meta.height! });
    const [img] = await ingest(alice, album, [{ name: 'Ariel_Sharon_0001.jpg', bytes: await withXmp(bytes, xmp) }]);
    firstImage = img.id;
    assert.equal(img.faces.length, 1);
    assert.equal(img.faces[0].person?.name, 'Ariel Sharon');
    const person = (await people(alice, album)).find((p) => p.name === 'Ariel Sharon');
    assert.ok(person, 'the album has a person named Ariel Sharon');

    const more = await Promise.all([2, 3, 4, 5].map(async (n) => ({ name: path.basename(ariel(n)), bytes: await fs.readFile(ariel(n)) })));
    await ingest(alice, album, more);
    const r = await gql(server.url, `mutation($a: ID!) { clusterFaces(albumId: $a) { faces } }`, { a: album }, alice);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const after = await people(alice, album);
    const sharon = after.find((p) => p.id === person.id);
    assert.equal(sharon?.name, 'Ariel Sharon');
    assert.equal(sharon?.faceCount, 5, `all five photos are his person: ${JSON.stringify(after)}`);
  });

  test('xmpSidecar of the first photo holds the named region; exiftool reads it; another owner gets the name back', async () => {
    const img = await image(alice, firstImage);
    const [region, ...others] = await sidecarRegions(img.xmpSidecar);
    assert.equal(others.length, 0);
    assert.equal(region.name, 'Ariel Sharon');
    const box = {
      x: region.box.x * img.width,
      y: region.box.y * img.height,
      width: region.box.width * img.width,
      height: region.box.height * img.height,
    };
    assert.ok(iou(box, img.faces[0].box) > 0.98);
    if (exiftool) assert.deepEqual(await exiftoolNames(img.xmpSidecar), ['Ariel Sharon']);
    const bobs = await createAlbum(bob, 'lfw round trip');
    const [theirs] = await ingest(bob, bobs, [{ name: 'a.jpg', bytes: await withXmp(await fs.readFile(ariel(1)), img.xmpSidecar) }]);
    assert.equal(theirs.faces.length, 1);
    assert.equal(theirs.faces[0].person?.name, 'Ariel Sharon');
  });
});
