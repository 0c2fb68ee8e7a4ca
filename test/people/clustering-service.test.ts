import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { syntheticLibrary } from '../support/synthetic-people.js';
import { toyVectors } from '../support/toy-vectors.js';
import type { Database } from '../../src/db/database.js';
import { AlbumRepository } from '../../src/repositories/album.repository.js';
import { ClusteringRepository } from '../../src/repositories/clustering.repository.js';
import { ImageRepository } from '../../src/repositories/image.repository.js';
import { PersonRepository } from '../../src/repositories/person.repository.js';
import { ReviewQueueRepository } from '../../src/repositories/review-queue.repository.js';
import { ClusteringService } from '../../src/services/clustering.service.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';
import { openScratchDatabase } from '../helpers/scratch-database.js';
import { OwnershipRepository } from '../../src/repositories/ownership.repository.js';
import { OwnerAccess } from '../../src/services/owner-access.js';

/**
 * The clustering service on a real database (PGlite, or PostgreSQL with
 * DATABASE_URL) with synthetic faces, no models: what two processes placing
 * the same new faces at once leave behind, and what the cached counts say.
 */
let database: Database;
let albumId: number;
let scratch: Awaited<ReturnType<typeof openScratchDatabase>>;

before(async () => {
  scratch = await openScratchDatabase('people');
  database = scratch.database;
  const albums = new AlbumRepository(database.db);
  const images = new ImageRepository(database.db);
  albumId = (await albums.create(LOCAL_OWNER.id, 'synthetic')).id;
  const lib = syntheticLibrary(400, 5);
  const byImage = new Map<number, number[]>();
  lib.imageId.forEach((image, face) => byImage.set(image, [...(byImage.get(image) ?? []), face]));
  for (const [image, faces] of byImage) {
    await images.insertWithFaces(
      photo(albumId, image),
      faces.map((f) => ({
        box: { x: 0, y: 0, width: 100, height: 100 },
        score: 1,
        source: 'detector' as const,
        landmarks: [],
        embedding: lib.embeddings.subarray(f * lib.dim, (f + 1) * lib.dim),
        model: 'synthetic',
        quality: 1,
        // Undecided: the synthetic faces carry no gender.
        maleProbability: 0.5,
      })),
    );
  }
});

after(async () => scratch?.drop());

/** A stored photo's row, numbered `n`: the faces are what a test is about. */
function photo(albumId: number, n: number) {
  return {
    albumId,
    sha256: n.toString(16).padStart(64, '0'),
    fileName: `${n}.jpg`,
    format: 'jpeg',
    width: 1000,
    height: 1000,
    byteSize: 1,
  };
}

async function assertConsistent(): Promise<void> {
  const { db } = database;
  const stale = await sql<{ id: number }>`
    SELECT p.id FROM people p
    WHERE p.merged_into_id IS NULL AND p.face_count <> (SELECT count(*) FROM face_people fp WHERE fp.person_id = p.id)`.execute(db);
  assert.deepEqual(stale.rows, [], 'cached face counts match');
  const empty = await sql<{ id: number }>`SELECT id FROM people WHERE face_count = 0 AND name IS NULL AND NOT hidden`.execute(db);
  assert.deepEqual(empty.rows, [], 'no empty machine-made person is left');
  const shared = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT fp.person_id, f.image_id FROM face_people fp JOIN faces f ON f.id = fp.face_id
      WHERE fp.person_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) x`.execute(db);
  assert.equal(shared.rows[0].n, 0, 'no person has two faces of one photo');
}

test('two processes placing the same new faces at once leave one consistent result', async () => {
  // Two services = two processes: each serialises its own runs, but not with the other.
  const make = () =>
    new ClusteringService({
      repository: new ClusteringRepository(database.db),
      albums: new AlbumRepository(database.db),
      access: new OwnerAccess(new OwnershipRepository(database.db)),
      options: { threshold: 0.094 },
    });
  const [a, b] = await Promise.all([
    make().clusterAlbum(LOCAL_OWNER.id, albumId, { incremental: true }),
    make().clusterAlbum(LOCAL_OWNER.id, albumId, { incremental: true }),
  ]);
  assert.ok(a.newPeople + b.newPeople > 0);
  await assertConsistent();
  const people = await sql<{ n: number }>`SELECT count(*)::int AS n FROM people`.execute(database.db);
  // A full run over the same faces finds the same number of people again (ids reused).
  const full = await make().clusterAlbum(LOCAL_OWNER.id, albumId);
  assert.equal(full.newPeople, 0);
  await assertConsistent();
  assert.equal((await sql<{ n: number }>`SELECT count(*)::int AS n FROM people`.execute(database.db)).rows[0].n, people.rows[0].n);
});

test('a man and a woman who look alike stay two people; a new face confidently hers is never joined to him nor proposed for him', async () => {
  const albums = new AlbumRepository(database.db);
  const images = new ImageRepository(database.db);
  const album = (await albums.create(LOCAL_OWNER.id, 'look-alikes')).id;
  const { near } = toyVectors(128);
  let next = 10_000;
  const add = async (embedding: Float32Array, maleProbability: number) => {
    const image = next++;
    const { image: row } = await images.insertWithFaces(photo(album, image), [
      {
        box: { x: 0, y: 0, width: 100, height: 100 },
        score: 1,
        source: 'detector',
        landmarks: [],
        embedding,
        model: 'synthetic',
        quality: 1,
        maleProbability,
      },
    ]);
    return row.id;
  };
  // Six faces about 0.02 apart: one person by distance alone.
  const him = [];
  const her = [];
  for (const k of [1, 2, 3]) him.push(await add(near(0, k, 0.15), 0.95));
  for (const k of [4, 5, 6]) her.push(await add(near(0, k, 0.15), 0.04));
  const service = new ClusteringService({
    repository: new ClusteringRepository(database.db),
    albums,
    access: new OwnerAccess(new OwnershipRepository(database.db)),
    options: { threshold: 0.094 },
  });
  await service.clusterAlbum(LOCAL_OWNER.id, album);
  const personOf = async (imageIds: number[]) =>
    (
      await database.db
        .selectFrom('faces')
        .leftJoin('face_people', 'face_people.face_id', 'faces.id')
        .select(['faces.image_id', 'face_people.person_id'])
        .where('faces.image_id', 'in', imageIds)
        .orderBy('faces.image_id')
        .execute()
    ).map((r) => r.person_id);
  const [his] = new Set(await personOf(him));
  const [hers] = new Set(await personOf(her));
  assert.deepEqual(new Set(await personOf(him)).size, 1);
  assert.deepEqual(new Set(await personOf(her)).size, 1);
  assert.ok(his !== null && hers !== null && his !== hers, `${his} and ${hers}`);
  const [him1] = await database.db.selectFrom('people').select(['male_faces', 'female_faces']).where('id', '=', his!).execute();
  assert.deepEqual(him1, { male_faces: 3, female_faces: 0 }, 'his cached gender counts');
  // Nearest one of his faces, but confidently a woman: nobody proposes her for him, in any way.
  const newcomer = await add(near(0, 1, 0.1), 0.03);
  const [faceId] = (await database.db.selectFrom('faces').select('id').where('image_id', '=', newcomer).execute()).map((r) => r.id);
  const queue = await new ReviewQueueRepository(database.db).candidates({
    ownerId: LOCAL_OWNER.id,
    albumId: album,
    window: 10,
    neighbours: 10,
  });
  const proposed = queue.filter((c) => c.faceId === faceId).map((c) => c.personId);
  assert.ok(proposed.includes(hers!) && !proposed.includes(his!), `the review queue proposes her, not him: ${proposed}`);
  const people = new PersonRepository(database.db);
  assert.deepEqual(
    (await people.suggestions(LOCAL_OWNER.id, his!, 10, album)).map((s) => s.face.id),
    [],
    'no face suggested for him',
  );
  assert.deepEqual(
    (await people.suggestions(LOCAL_OWNER.id, hers!, 10, album)).map((s) => s.face.id),
    [faceId],
  );
  assert.deepEqual(await people.pairsOfOppositeGenders([[his!, hers!]]), [[his, hers]], 'never a merge suggestion');
  // Placed with the existing people's cached counts.
  await service.placeNewFaces(LOCAL_OWNER.id, album, { imageIds: [newcomer] });
  assert.deepEqual(await personOf([newcomer]), [hers]);
  await assertConsistent();
});
