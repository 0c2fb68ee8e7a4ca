import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromVectorText, toVectorText } from '../../src/db/vector.js';
import { cosineDistance, l2Normalize } from '../../src/vision/vector-math.js';

test('vectors must have 128 finite dimensions and round-trip through pgvector text', () => {
  const v = Array.from({ length: 128 }, (_, i) => Math.sin(i));
  assert.deepEqual(
    fromVectorText(toVectorText(v)).map((x) => x.toFixed(5)),
    v.map((x) => x.toFixed(5)),
  );
  assert.throws(() => toVectorText([1, 2, 3]), RangeError);
  assert.throws(() => toVectorText(Array(128).fill(Number.NaN)), RangeError);
});

test('normalisation and cosine distance', () => {
  const n = l2Normalize(Float32Array.from([3, 4]));
  assert.ok(Math.abs(n[0] - 0.6) < 1e-6 && Math.abs(n[1] - 0.8) < 1e-6);
  assert.ok(Math.abs(cosineDistance([1, 0], [0, 1]) - 1) < 1e-9);
  assert.ok(Math.abs(cosineDistance([1, 0], [-1, 0]) - 2) < 1e-9);
  assert.ok(Math.abs(cosineDistance([1, 2], [2, 4])) < 1e-9);
});
