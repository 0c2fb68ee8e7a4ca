/**
 * `npx tsx bench/measure/hnsw-insert-cost.ts [--faces N] [--m M] [--ef-construction E] [--inserts K]`
 *
 * What one face's insert costs embedded PGlite once the faces' HNSW index
 * holds N faces (default 10,000; the index as migrations/2026-11-28T1600 builds
 * it, m = 32, ef_construction = 400, unless told otherwise): N synthetic
 * embeddings of people (test/support/synthetic-people.ts) loaded and indexed, then K
 * more (default 300) inserted one statement each, as ingestion inserts a
 * photo's faces. In-memory PGlite, this thread; prints the index build time
 * and the mean insert time. Ingestion pays the insert on the main thread.
 */
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { syntheticLibrary } from '../../test/support/synthetic-people.js';
import { toVectorText } from '../../src/db/vector.js';

const { values } = parseArgs({
  options: {
    faces: { type: 'string', default: '10000' },
    m: { type: 'string', default: '32' },
    'ef-construction': { type: 'string', default: '400' },
    inserts: { type: 'string', default: '300' },
  },
});
const n = Number(values.faces);
const inserts = Number(values.inserts);
const m = Number(values.m);
const ef = Number(values['ef-construction']);
const lib = syntheticLibrary(n + inserts);
const embedding = (k: number) => toVectorText(lib.embeddings.subarray(k * lib.dim, (k + 1) * lib.dim));
const db = await PGlite.create({ extensions: { vector } });
try {
  await db.exec(
    'CREATE EXTENSION vector; CREATE TABLE faces (id bigint generated always as identity primary key, embedding vector(128) not null)',
  );
  for (let start = 0; start < n; start += 500) {
    const rows = Array.from({ length: Math.min(500, n - start) }, (_, i) => embedding(start + i));
    await db.query(`INSERT INTO faces (embedding) SELECT unnest($1::text[])::vector`, [rows]);
  }
  let t = performance.now();
  await db.exec(`CREATE INDEX ON faces USING hnsw (embedding vector_cosine_ops) WITH (m = ${m}, ef_construction = ${ef})`);
  const build = performance.now() - t;
  t = performance.now();
  for (let k = n; k < n + inserts; k++) await db.query('INSERT INTO faces (embedding) VALUES ($1::vector)', [embedding(k)]);
  const each = (performance.now() - t) / inserts;
  process.stdout.write(
    `${n} faces, m = ${m}, ef_construction = ${ef}: index built in ${(build / 1000).toFixed(1)} s; then ${each.toFixed(2)} ms a single-face insert\n`,
  );
} finally {
  await db.close();
}
