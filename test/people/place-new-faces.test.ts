import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { AlbumRepository } from '../../src/repositories/album.repository.js';
import { ClusteringRepository } from '../../src/repositories/clustering.repository.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';
import { ClusteringService } from '../../src/services/clustering.service.js';
import { openScratchDatabase } from '../helpers/scratch-database.js';
import { storeSyntheticFaces } from '../support/stored-library.js';
import { syntheticLibrary } from '../support/synthetic-people.js';
import { OwnershipRepository } from '../../src/repositories/ownership.repository.js';
import { OwnerAccess } from '../../src/services/owner-access.js';

/**
 * `placeNewFaces`, the path every ingested batch takes: the new photos' faces and what lies near
 * them by the k-NN index, not the whole album. On a synthetic library (test/support/synthetic-people.ts)
 * in a real database: new faces of known people join them, and a new face brings two older faces of
 * its person, nobody's until then, to the three that make a person.
 */
const lib = syntheticLibrary(1500, 21);
let scratch: { database: Database; drop(): Promise<void> };
let service: ClusteringService;
let album: number;

before(async () => {
  scratch = await openScratchDatabase('place_new');
  const { db } = scratch.database;
  album = (await db.insertInto('albums').values({ owner_id: LOCAL_OWNER.id, name: 'new faces' }).returning('id').executeTakeFirstOrThrow())
    .id;
  service = new ClusteringService({
    repository: new ClusteringRepository(db),
    albums: new AlbumRepository(db),
    access: new OwnerAccess(new OwnershipRepository(db)),
  });
});

after(async () => {
  await scratch?.drop();
});

const facesOf = (person: number) => Array.from(lib.person.keys()).filter((f) => lib.person[f] === person);

async function personOf(faceIds: number[]): Promise<(number | null)[]> {
  const rows = await sql<{ face_id: number; person_id: number | null }>`
    SELECT face_id, person_id FROM face_people WHERE face_id = ANY(${faceIds}::bigint[])`.execute(scratch.database.db);
  const byFace = new Map(rows.rows.map((r) => [Number(r.face_id), r.person_id === null ? null : Number(r.person_id)]));
  return faceIds.map((id) => byFace.get(id) ?? null);
}

test('new faces join their people, and make a person with older faces nobody had', async () => {
  const { db } = scratch.database;
  // Two people with many faces: their last face arrives later. A third person: two faces first (too few for
  // a person), the third later.
  const sizes = new Map<number, number>();
  for (const p of lib.person) sizes.set(p, (sizes.get(p) ?? 0) + 1);
  const big = [...sizes].filter(([, n]) => n >= 8).map(([p]) => p);
  assert.ok(big.length >= 3, 'the library has people with many faces');
  const [a, b, c] = big;
  const lateA = facesOf(a).at(-1)!;
  const lateB = facesOf(b).at(-1)!;
  const [c1, c2, c3] = facesOf(c);
  const leftOut = new Set([lateA, lateB, ...facesOf(c)]);
  const first = Int32Array.from(lib.person.keys()).filter((f) => !leftOut.has(f));
  // A photo of its own for each face, so that no photo rule is in play.
  const photoOf = Int32Array.from(lib.person.keys());
  const firstIds = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album }, lib.embeddings, first, photoOf);
  const [oldC1, oldC2] = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album }, lib.embeddings, [c1, c2], photoOf);
  // minFaces given: to the letter, so two faces are no person even as a tight pair.
  await service.clusterLibrary(LOCAL_OWNER.id, { minFaces: 3 });
  assert.deepEqual(await personOf([oldC1, oldC2]), [null, null], 'two faces are too few for a person');
  const unassignedBefore = (await personOf(firstIds)).filter((p) => p === null).length;
  assert.ok(unassignedBefore > 20, `strangers stay nobody's (${unassignedBefore})`);
  const personA = (await personOf([firstIds[first.indexOf(facesOf(a)[0])]]))[0];
  const personB = (await personOf([firstIds[first.indexOf(facesOf(b)[0])]]))[0];
  assert.ok(personA !== null && personB !== null && personA !== personB);

  const late = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album }, lib.embeddings, [lateA, lateB, c3], photoOf);
  const images = (await db.selectFrom('faces').select('image_id').where('id', 'in', late).execute()).map((r) => r.image_id);
  const summary = await service.placeNewFaces(LOCAL_OWNER.id, album, { imageIds: images });

  const [placedA, placedB, placedC3] = await personOf(late);
  assert.equal(placedA, personA, "a known person's new face joins them");
  assert.equal(placedB, personB);
  assert.ok(placedC3 !== null, 'the third face of a person makes the person');
  assert.deepEqual(await personOf([oldC1, oldC2]), [placedC3, placedC3], 'with the two older faces the index found near it');
  assert.equal(summary.newPeople, 1);
  assert.ok(summary.faces < unassignedBefore, `the run placed ${summary.faces} faces, not the album's ${unassignedBefore} unassigned ones`);
});
