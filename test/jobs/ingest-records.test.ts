import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { AlbumRepository } from '../../src/repositories/album.repository.js';
import { ImageRepository, type NewFace, type NewImage } from '../../src/repositories/image.repository.js';
import { IngestBatchRepository } from '../../src/repositories/ingest-batch.repository.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';
import { openScratchDatabase } from '../helpers/scratch-database.js';

/**
 * The rows a photo's ingestion writes, on a real database (PGlite, or
 * PostgreSQL with DATABASE_URL): an image with its faces in one statement, and
 * an item's outcome with its batch's counters. No models: the faces are made up.
 */
let database: Database;
let images: ImageRepository;
let batches: IngestBatchRepository;
let albumId: number;
let scratch: Awaited<ReturnType<typeof openScratchDatabase>>;

before(async () => {
  scratch = await openScratchDatabase('records');
  database = scratch.database;
  images = new ImageRepository(database.db);
  batches = new IngestBatchRepository(database.db);
  albumId = (await new AlbumRepository(database.db).create(LOCAL_OWNER.id, 'records')).id;
});

after(async () => scratch?.drop());

let photos = 0;
function newImage(): NewImage {
  photos++;
  return {
    albumId,
    sha256: photos.toString(16).padStart(64, 'a'),
    fileName: `${photos}.jpg`,
    format: 'jpeg',
    width: 640,
    height: 480,
    byteSize: 1000 + photos,
  };
}

function face(k: number, source: NewFace['source'] = 'detector'): NewFace {
  const embedding = new Float32Array(128);
  embedding[k % 128] = 1;
  return {
    box: { x: 10 * k, y: 20, width: 50, height: 60 },
    score: 0.9,
    source,
    landmarks: [{ x: 1.234, y: 5.678 }],
    embedding,
    model: 'test-model',
    quality: 1,
    maleProbability: 0.25,
  };
}

async function facesOf(imageId: number) {
  return database.db
    .selectFrom('faces')
    .select([
      'image_id',
      'album_id',
      'owner_id',
      'box_x',
      'score',
      'model',
      'source',
      'male_probability',
      sql<string>`embedding::text`.as('embedding'),
    ])
    .where('image_id', '=', imageId)
    .orderBy('box_x')
    .execute();
}

describe('ImageRepository.insertWithFaces', () => {
  test('writes the image and each face with its image, album, owner and values', async () => {
    const image = newImage();
    const { image: row, created } = await images.insertWithFaces(image, [face(1), face(2), face(3)]);
    assert.equal(created, true);
    assert.equal(row.sha256, image.sha256);
    assert.equal(row.album_id, albumId);
    assert.equal(row.width, 640);
    const faces = await facesOf(row.id);
    assert.deepEqual(
      faces.map((f) => [f.image_id, f.album_id, f.owner_id, f.box_x, f.model, f.source, f.male_probability]),
      [
        [row.id, albumId, LOCAL_OWNER.id, 10, 'test-model', 'detector', 0.25],
        [row.id, albumId, LOCAL_OWNER.id, 20, 'test-model', 'detector', 0.25],
        [row.id, albumId, LOCAL_OWNER.id, 30, 'test-model', 'detector', 0.25],
      ],
    );
    assert.ok(faces[1].embedding.startsWith('[0,0,1,0'), faces[1].embedding.slice(0, 20));
  });

  test('an image without faces', async () => {
    const { image: row, created } = await images.insertWithFaces(newImage(), []);
    assert.equal(created, true);
    assert.deepEqual(await facesOf(row.id), []);
  });

  test('the same bytes in the same album again: the stored image, and no second set of faces', async () => {
    const image = newImage();
    const first = await images.insertWithFaces(image, [face(4)]);
    const again = await images.insertWithFaces({ ...image, fileName: 'again.jpg' }, [face(5), face(6)]);
    assert.equal(again.created, false);
    assert.equal(again.image.id, first.image.id);
    assert.equal(again.image.file_name, first.image.file_name);
    assert.deepEqual(
      (await facesOf(first.image.id)).map((f) => f.box_x),
      [40],
    );
    const [{ n }] = await database.db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sha256', '=', image.sha256)
      .execute();
    assert.equal(Number(n), 1);
  });

  test('a face the database refuses leaves neither the image nor its other faces', async () => {
    const image = newImage();
    const before = await database.db
      .selectFrom('faces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // `faces.source` is checked by the database: one bad face fails the whole statement.
    await assert.rejects(images.insertWithFaces(image, [face(7), face(8, 'bogus' as NewFace['source'])]));
    assert.equal(await images.findInAlbum(albumId, image.sha256), undefined);
    const afterwards = await database.db
      .selectFrom('faces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(afterwards.n), Number(before.n));
  });
});

describe('IngestBatchRepository.recordItem', () => {
  const ok = (position: number, imageId: number | null = null) => ({ position, imageId, error: null });
  const failed = (position: number, code: string) => ({ position, imageId: null, error: { code, message: `${code} here` } });

  async function newBatch(files: number) {
    const batch = await batches.createWithItems(
      albumId,
      Array.from({ length: files }, (_, i) => ({ fileName: `${i}.jpg`, source: { kind: 'file' as const, ref: `/x/${i}.jpg` } })),
    );
    assert.equal(batch.status, 'QUEUED');
    return batch.id;
  }

  test('counts each item once, keeps the batch running, and closes it DONE with its last item', async () => {
    const id = await newBatch(3);
    const { image } = await images.insertWithFaces(newImage(), []);
    const first = await batches.recordItem(id, ok(0, image.id));
    assert.deepEqual(
      [first.recorded, first.finished, first.batch?.done, first.batch?.failed, first.batch?.status],
      [true, false, 1, 0, 'QUEUED'],
    );
    const twice = await batches.recordItem(id, ok(0, image.id));
    assert.deepEqual(twice, { recorded: false, finished: false });
    const bad = await batches.recordItem(id, failed(1, 'UNSUPPORTED_IMAGE'));
    assert.deepEqual([bad.recorded, bad.finished, bad.batch?.done, bad.batch?.failed], [true, false, 1, 1]);
    assert.equal(bad.batch?.finished_at, null);
    const last = await batches.recordItem(id, ok(2));
    assert.deepEqual([last.recorded, last.finished, last.batch?.done, last.batch?.failed, last.batch?.status], [true, true, 2, 1, 'DONE']);
    assert.ok(last.batch?.finished_at instanceof Date);
    const items = await batches.items(id);
    assert.deepEqual(
      items.map((i) => [i.position, i.image_id, i.error_code]),
      [
        [0, image.id, null],
        [1, null, 'UNSUPPORTED_IMAGE'],
        [2, null, null],
      ],
    );
    assert.equal(await batches.pendingItem(id, 2), undefined);
  });

  test('a batch with an item that gave up ends FAILED', async () => {
    const id = await newBatch(2);
    await batches.recordItem(id, failed(0, 'INTERNAL_SERVER_ERROR'));
    const last = await batches.recordItem(id, ok(1));
    assert.deepEqual([last.finished, last.batch?.status, last.batch?.done, last.batch?.failed], [true, 'FAILED', 1, 1]);
  });

  test('items recorded at once by many callers: every one counted once, the batch closed once', async () => {
    const id = await newBatch(12);
    const results = await Promise.all(Array.from({ length: 24 }, (_, k) => batches.recordItem(id, ok(k % 12))));
    assert.equal(results.filter((r) => r.recorded).length, 12);
    assert.equal(results.filter((r) => r.finished).length, 1);
    const batch = await batches.findById(id);
    assert.deepEqual([batch?.done, batch?.failed, batch?.status], [12, 0, 'DONE']);
  });

  test('a pending item tells its batch status, so only a QUEUED batch is marked running', async () => {
    const id = await newBatch(2);
    assert.equal((await batches.pendingItem(id, 0))?.batchStatus, 'QUEUED');
    assert.equal((await batches.markRunning(id))?.status, 'RUNNING');
    assert.equal((await batches.pendingItem(id, 1))?.batchStatus, 'RUNNING');
    assert.equal(await batches.markRunning(id), undefined);
  });
});
