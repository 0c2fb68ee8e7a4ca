import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { METADATA_VERSION, readTakenAt } from '../../src/metadata/exif.js';
import { ImageRepository } from '../../src/repositories/image.repository.js';
import { MetadataBackfill } from '../../src/services/metadata-backfill.service.js';
import { codes, gql, gqlUpload } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { datasetPath, needsDatasets } from '../support/datasets.js';

/**
 * Image.takenAt from EXIF (DateTimeOriginal, OffsetTimeOriginal), Album.images(orderBy: TAKEN_AT)
 * paged by keyset with the undated last, and the backfill of rows stored before takenAt existed.
 * Small faceless JPEGs given their EXIF here by sharp; one server for the file.
 */
let server: TestServer;
let albumId: string;

interface Made {
  name: string;
  /** EXIF DateTimeOriginal and OffsetTimeOriginal, or none at all. */
  exif?: { date: string; offset?: string };
  /** What takenAt must say, as an instant. */
  expect: string | null;
}

/** Upload order (a, d: the same instant, in either order by id); the grey level makes the EXIF-less photos distinct bytes. */
const PHOTOS: Made[] = [
  { name: 'c-none.jpg', expect: null },
  { name: 'a-offset.jpg', exif: { date: '2021:06:01 08:15:00', offset: '-07:00' }, expect: '2021-06-01T15:15:00Z' },
  { name: 'e-none.jpg', expect: null },
  { name: 'b-no-offset.jpg', exif: { date: '2019:03:04 05:06:07' }, expect: '2019-03-04T05:06:07Z' },
  { name: 'd-same-instant.jpg', exif: { date: '2021:06:01 15:15:00', offset: '+00:00' }, expect: '2021-06-01T15:15:00Z' },
  { name: 'f-east.jpg', exif: { date: '2020:01:01 00:00:00', offset: '+09:00' }, expect: '2019-12-31T15:00:00Z' },
];
/** The file names as ids were given (workers store a batch's photos in parallel), and by takenAt then id, the undated last. */
let ADDED: string[];
let BY_TAKEN_AT: string[];

async function photo(made: Made, grey: number): Promise<Buffer> {
  const img = sharp({ create: { width: 48, height: 32, channels: 3, background: { r: grey, g: grey, b: grey } } }).jpeg();
  if (!made.exif) return img.toBuffer();
  const { date, offset } = made.exif;
  return img
    .withExif({ IFD0: { Make: 'facegraph test' }, IFD2: { DateTimeOriginal: date, ...(offset ? { OffsetTimeOriginal: offset } : {}) } })
    .toBuffer();
}

async function ingest(files: { name: string; bytes: Buffer }[]): Promise<{ id: string; fileName: string; takenAt: string | null }[]> {
  const r = await gqlUpload(
    server.url,
    'mutation($a: ID!, $files: [Upload!]!) { ingestImages(albumId: $a, files: $files) { items { error { code } image { id fileName takenAt } } } }',
    { a: albumId },
    'files',
    files,
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  for (const item of r.data.ingestImages.items) assert.equal(item.error, null);
  return r.data.ingestImages.items.map((i: any) => i.image);
}

const PAGE = `query($a: ID!, $first: Int, $after: String, $order: ImageOrder!) {
  album(id: $a) { images(first: $first, after: $after, orderBy: $order) { edges { node { fileName takenAt } } pageInfo { hasNextPage endCursor } } }
}`;

async function page(first: number, after: string | null, order = 'TAKEN_AT') {
  const r = await gql(server.url, PAGE, { a: albumId, first, after, order });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const { edges, pageInfo } = r.data.album.images;
  return {
    names: edges.map((e: any) => e.node.fileName) as string[],
    pageInfo: pageInfo as { hasNextPage: boolean; endCursor: string | null },
  };
}

/** Every file name of the album by takenAt, `first` at a time; `between` runs after the first page. */
async function walk(first: number, between?: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 20; i++) {
    const p = await page(first, after);
    names.push(...p.names);
    if (!p.pageInfo.hasNextPage) return names;
    after = p.pageInfo.endCursor;
    if (i === 0) await between?.();
  }
  throw new Error('more pages than photos');
}

const instant = (s: string | null) => (s === null ? null : new Date(s).toISOString());

before(async () => {
  server = await startTestServer();
  const r = await gql(server.url, 'mutation { createAlbum(name: "taken") { id } }');
  albumId = r.data.createAlbum.id;
});
after(async () => server?.destroy());

describe('Image.takenAt', () => {
  test("an iPhone HEIC's, a DNG's and a CR3's DateTimeOriginal at their OffsetTimeOriginal", {
    skip: needsDatasets('formats'),
  }, async () => {
    const taken = await readTakenAt(await fs.readFile(datasetPath('formats', 'heic', 'heic-iphone7.heic')));
    assert.equal(taken?.toISOString(), new Date('2019-10-20T18:34:30+02:00').toISOString());
    // A TIFF-based RAW, read from its path as the backfill reads stored photos.
    const dng = await readTakenAt(datasetPath('formats', 'raw', 'iphone12pro-pruned.dng'));
    assert.equal(dng?.toISOString(), new Date('2020-12-29T14:24:45-05:00').toISOString());
    // Canon CR3 (ISO BMFF, not read by exifr): the Exif IFD in moov's Canon box, from bytes and from a path.
    const cr3 = datasetPath('formats', 'raw', 'Canon-R6-pruned.CR3');
    for (const source of [cr3, await fs.readFile(cr3)]) {
      assert.equal((await readTakenAt(source))?.toISOString(), new Date('2021-05-12T12:21:21+02:00').toISOString());
    }
  });

  test('ingest stores takenAt: at the offset, as UTC without one, null without EXIF', async () => {
    const files = await Promise.all(PHOTOS.map(async (m, i) => ({ name: m.name, bytes: await photo(m, 40 + 30 * i) })));
    const images = await ingest(files);
    assert.deepEqual(
      images.map((i) => [i.fileName, instant(i.takenAt)]),
      PHOTOS.map((m) => [m.name, instant(m.expect)]),
    );
    const id = new Map(images.map((i) => [i.fileName, Number(i.id)]));
    const expect = new Map(PHOTOS.map((m) => [m.name, m.expect ? Date.parse(m.expect) : Number.POSITIVE_INFINITY]));
    ADDED = PHOTOS.map((m) => m.name).sort((x, y) => id.get(x)! - id.get(y)!);
    BY_TAKEN_AT = [...ADDED].sort((x, y) => expect.get(x)! - expect.get(y)! || id.get(x)! - id.get(y)!);
    assert.deepEqual(BY_TAKEN_AT.slice(0, 2), ['b-no-offset.jpg', 'f-east.jpg']);
  });

  test('orderBy TAKEN_AT pages by takenAt then id, the undated last, at every page size', async () => {
    for (const first of [1, 2, 3, 4, 6]) assert.deepEqual(await walk(first), BY_TAKEN_AT, `first: ${first}`);
    // The default order is still the order of addition.
    assert.deepEqual((await page(10, null, 'ADDED')).names, ADDED);
  });

  test('a page stays put when an older photo arrives behind its cursor; cursors belong to their order', async () => {
    const older: Made = { name: 'g-older.jpg', exif: { date: '2000:01:01 12:00:00', offset: '+01:00' }, expect: '2000-01-01T11:00:00Z' };
    const bytes = await photo(older, 250);
    assert.deepEqual(await walk(3, () => ingest([{ name: older.name, bytes }])), BY_TAKEN_AT);
    assert.deepEqual(await walk(10), [older.name, ...BY_TAKEN_AT]);

    const taken = (await page(1, null)).pageInfo.endCursor;
    const added = (await page(1, null, 'ADDED')).pageInfo.endCursor;
    assert.deepEqual(codes(await gql(server.url, PAGE, { a: albumId, first: 1, after: added, order: 'TAKEN_AT' })), ['BAD_USER_INPUT']);
    assert.deepEqual(codes(await gql(server.url, PAGE, { a: albumId, first: 1, after: taken, order: 'ADDED' })), ['BAD_USER_INPUT']);
  });

  test('photos stored before takenAt get it from the backfill, which resumes where it stopped', async () => {
    const { db } = server.facegraph.database;
    const dated = await walk(10);
    // As the migration leaves a library stored earlier: every photo undated, so listed as added.
    await db.updateTable('images').set({ taken_at: null, metadata_version: 0 }).execute();
    assert.deepEqual(await walk(10), [...ADDED, 'g-older.jpg']);
    // One photo file out of reach (a-offset.jpg, dated): the pass leaves its row for the next.
    const rows = await db.selectFrom('images').select(['file_name', 'sha256', 'format']).execute();
    const dropped = rows.find((r) => r.file_name === 'a-offset.jpg')!;
    const away = server.facegraph.photos.pathFor(dropped.sha256, dropped.format);
    await fs.rename(away, `${away}.away`);
    const backfill = () => new MetadataBackfill(new ImageRepository(db), server.facegraph.photos).run();
    assert.deepEqual(await backfill(), { read: rows.length - 1, dated: 4, unreadable: 1 });
    await fs.rename(`${away}.away`, away);
    assert.deepEqual(await backfill(), { read: 1, dated: 1, unreadable: 0 });
    assert.deepEqual(await backfill(), { read: 0, dated: 0, unreadable: 0 });
    assert.deepEqual(await walk(10), dated);
    const versions = await db.selectFrom('images').select('metadata_version').distinct().execute();
    assert.deepEqual(versions, [{ metadata_version: METADATA_VERSION }]);
  });
});
