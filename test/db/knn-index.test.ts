import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, sql, type KyselyPlugin } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { FaceRepository } from '../../src/repositories/face.repository.js';
import { PersonRepository } from '../../src/repositories/person.repository.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';
import { openScratchDatabase } from '../helpers/scratch-database.js';
import { exactTopTen, storeSyntheticFaces } from '../support/stored-library.js';
import { syntheticLibrary } from '../support/synthetic-people.js';

/**
 * The k-NN statements walk the faces' HNSW index (an expression index over `halfvec(128)`,
 * migration 2026-12-07T1400): a query whose ORDER BY is not the index's own expression silently
 * becomes a sequential scan, which a million faces make 50 times slower. Checked on the statement
 * the repository really sends, on PGlite and PostgreSQL, and its answers against an exact scan.
 */
const FACES = 1000;
let scratch: { database: Database; drop(): Promise<void> };
let ids: number[];
const lib = syntheticLibrary(FACES, 5);
/** Every statement the repositories sent, compiled, in order. */
const sent: CompiledQuery[] = [];

before(async () => {
  scratch = await openScratchDatabase('knn_index');
  const { db } = scratch.database;
  const album = await db.insertInto('albums').values({ owner_id: LOCAL_OWNER.id, name: 'knn' }).returning('id').executeTakeFirstOrThrow();
  const rows = Int32Array.from({ length: FACES }, (_, i) => i);
  ids = await storeSyntheticFaces(db, { ownerId: LOCAL_OWNER.id, albumId: album.id }, lib.embeddings, rows, lib.imageId);
  await sql`ANALYZE faces`.execute(db);
});

after(async () => {
  await scratch?.drop();
});

/** Records each statement as compiled, and lets it run unchanged. */
function spy(): KyselyPlugin {
  const executor = scratch.database.db.getExecutor();
  return {
    transformQuery: (args) => {
      sent.push(executor.compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

/**
 * The plan PostgreSQL makes for a statement when scanning and sorting are priced out, as at a
 * million faces (at a thousand, sorting them all is cheaper): the HNSW index if it fits the statement at all.
 */
const SETTINGS = ['enable_seqscan', 'enable_bitmapscan', 'enable_sort'];

async function planOf(query: CompiledQuery): Promise<string> {
  return scratch.database.db.connection().execute(async (conn) => {
    for (const setting of SETTINGS) await sql`SELECT set_config(${setting}, 'off', false)`.execute(conn);
    try {
      const result = await conn.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN ${query.sql}`, [...query.parameters]));
      return result.rows.map((r) => String(Object.values(r)[0])).join('\n');
    } finally {
      for (const setting of SETTINGS) await sql`SELECT set_config(${setting}, 'on', false)`.execute(conn);
    }
  });
}

describe('the k-NN index', () => {
  test('similar faces: the statement walks the HNSW index, and finds the exact ten nearest', async () => {
    const faces = new FaceRepository(scratch.database.db.withPlugin(spy()));
    const picks = [0, 17, 512, 999];
    const truths = exactTopTen(
      lib.embeddings,
      Int32Array.from({ length: FACES }, (_, i) => i),
      picks,
    );
    for (const [q, pick] of picks.entries()) {
      sent.length = 0;
      const embedding = lib.embeddings.subarray(pick * 128, (pick + 1) * 128);
      const found = await faces.nearest({ ownerId: LOCAL_OWNER.id, embedding, limit: 10, excludeFaceId: ids[pick] });
      assert.deepEqual(
        found.map((f) => f.face.id),
        truths[q].map((r) => ids[r]),
        `query ${pick}: nearest ten in exact order`,
      );
      for (let i = 1; i < found.length; i++) assert.ok(found[i - 1].distance <= found[i].distance, 'ascending distance');
      // The statement as sent (the last compiled: the one holding the index scan as its subquery).
      assert.match(await planOf(sent.at(-1)!), /faces_embedding_hnsw_idx/);
    }
  });

  test("a person's suggestions: the statement walks the HNSW index", async () => {
    const { db } = scratch.database;
    const centroid = `[${Array.from(lib.embeddings.subarray(0, 128)).join(',')}]`;
    const person = await db
      .insertInto('people')
      .values({ owner_id: LOCAL_OWNER.id, face_count: 1, centroid })
      .returning('id')
      .executeTakeFirstOrThrow();
    const people = new PersonRepository(db.withPlugin(spy()));
    sent.length = 0;
    const found = await people.suggestions(LOCAL_OWNER.id, person.id, 5);
    assert.equal(found.length, 5);
    assert.equal(found[0].face.id, ids[0], 'the face the centroid is made of comes first');
    const knn = sent.find((q) => q.sql.includes('halfvec'));
    assert.ok(knn, `a statement ordering by the index's expression: ${sent.map((q) => q.sql).join('\n')}`);
    assert.match(await planOf(knn), /faces_embedding_hnsw_idx/);
  });
});
