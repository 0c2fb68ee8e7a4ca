import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../../src/db/database.js';
import { copyOrder, readPages, tableShapes } from '../../src/db/library-copy.js';

// The parts of `facegraph migrate-to` that need no PostgreSQL: the copy order and reading in pages
// (the copy itself, end to end: test/api/migrate-to.test.ts).

let database: Database;
before(async () => {
  database = await openDatabase({ databaseUrl: undefined, dataDir: null });
  await sql`CREATE TABLE keyed (a bigint, b text, v real, PRIMARY KEY (a, b))`.execute(database.db);
  await sql`CREATE TABLE heap (n integer, t text)`.execute(database.db);
  await sql`INSERT INTO keyed SELECT i / 3, 'k' || (i % 3), i / 7.0 FROM generate_series(0, 2999) i`.execute(database.db);
  // Rows of several hundred bytes over many heap blocks, some deleted: holes in the ctid ranges.
  await sql`INSERT INTO heap SELECT i, repeat('x', 300) FROM generate_series(1, 5000) i`.execute(database.db);
  await sql`DELETE FROM heap WHERE n % 11 = 0`.execute(database.db);
});
after(() => database.close());

test('reads a table with a composite primary key in pages, each row once, in key order', async () => {
  const shape = (await tableShapes(database.db)).get('keyed')!;
  assert.deepEqual(
    shape.key.map((c) => c.name),
    ['a', 'b'],
  );
  const pages: (string | null)[][][] = [];
  for await (const page of readPages(database.db, shape, 250)) pages.push(page);
  assert.equal(pages.length, 12);
  const rows = pages.flat();
  assert.equal(rows.length, 3000);
  assert.equal(new Set(rows.map((r) => `${r[0]}/${r[1]}`)).size, 3000);
  assert.deepEqual(rows[0], ['0', 'k0', '0']);
  assert.deepEqual(rows.at(-1)!.slice(0, 2), ['999', 'k2']);
  // real as text: the shortest form that reads back as the same float4.
  assert.equal(Math.fround(Number(rows.at(-1)![2])), Math.fround(2999 / 7));
});

test('reads a table without a primary key by block ranges, each row once', async () => {
  const shape = (await tableShapes(database.db)).get('heap')!;
  assert.deepEqual(shape.key, []);
  let pages = 0;
  const seen: number[] = [];
  for await (const page of readPages(database.db, shape)) {
    pages++;
    seen.push(...page.map((r) => Number(r[0])));
  }
  const expected = Array.from({ length: 5000 }, (_, i) => i + 1).filter((n) => n % 11 !== 0);
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    expected,
  );
  assert.ok(pages > 1, `${pages} pages`);
});

test('orders parents before children; self-references and cycles are deferred', () => {
  const fk = (child: string, parent: string) => ({ name: `${child}_${parent}_fk`, child, parent, definition: '' });
  const { order, deferred } = copyOrder(
    ['faces', 'people', 'albums', 'owners', 'a', 'b', 'jobs'],
    [
      fk('faces', 'albums'),
      fk('albums', 'owners'),
      fk('people', 'faces'),
      fk('people', 'people'),
      fk('a', 'b'),
      fk('b', 'a'),
      fk('faces', 'jobs'),
    ],
  );
  const before = (x: string, y: string) => assert.ok(order.indexOf(x) < order.indexOf(y), `${x} before ${y}: ${order}`);
  before('owners', 'albums');
  before('albums', 'faces');
  before('faces', 'people');
  before('jobs', 'faces');
  assert.equal(order.length, 7);
  assert.deepEqual(deferred.map((k) => k.name).sort(), ['a_b_fk', 'people_people_fk']);
});
