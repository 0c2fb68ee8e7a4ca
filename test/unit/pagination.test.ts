import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { decodeCursor, encodeCursor, paginate } from '../../src/services/pagination.js';

test('cursors round-trip and reject junk', () => {
  assert.equal(decodeCursor(encodeCursor(12345)), 12345);
  assert.equal(decodeCursor(null), 0);
  assert.throws(() => decodeCursor('garbage!'), InvalidInputError);
  assert.throws(() => decodeCursor(Buffer.from('id:-1').toString('base64url')), InvalidInputError);
});

test('paginate asks for one extra row to know about the next page', async () => {
  const rows = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));
  const fetch = async (after: number, limit: number) => rows.filter((r) => r.id > after).slice(0, limit);
  const p1 = await paginate({ first: 3 }, 100, fetch);
  assert.deepEqual(
    p1.nodes.map((r) => r.id),
    [1, 2, 3],
  );
  assert.equal(p1.hasNextPage, true);
  const p3 = await paginate({ first: 3, after: encodeCursor(6) }, 100, fetch);
  assert.deepEqual(
    p3.nodes.map((r) => r.id),
    [7],
  );
  assert.equal(p3.hasNextPage, false);
  await assert.rejects(paginate({ first: 0 }, 100, fetch), InvalidInputError);
  await assert.rejects(paginate({ first: 101 }, 100, fetch), InvalidInputError);
});
