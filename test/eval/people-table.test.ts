import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterer } from '../../src/cli/eval-people.js';
import { halfOf, halfSet, peopleTable, scorePeople, type PeopleSet } from '../../src/eval/people-table.js';
import { toyVectors } from '../support/toy-vectors.js';

describe('people table', () => {
  const dim = 8;
  const { near, pack } = toyVectors(dim);
  // Two people of four faces each (axes 0 and 3), a photo without a face of the first, and a leftover of the
  // first just beyond the threshold that only the second stage attaches.
  const faces = [
    ...[1, 2, 4, 5].map((k) => near(0, k, 0.2)),
    ...[1, 2, 4, 5].map((k) => near(3, k, 0.2)),
    new Float32Array(dim),
    near(0, 6, 0.3),
  ];
  const set: PeopleSet = {
    name: 'toy',
    dim,
    identities: ['ann', 'ann', 'ann', 'ann', 'cat', 'cat', 'cat', 'cat', 'ann', 'ann'],
    embeddings: pack(faces),
    present: faces.map((_, i) => i !== 8),
    imageIds: faces.map((_, i) => i),
  };

  test('scores before and after: the leftover joins, the faceless photo misses its pairs', () => {
    const before = scorePeople(set, 'before', clusterer(0.05, 'before')).metrics;
    const after = scorePeople(set, 'after', clusterer(0.05, 'after')).metrics;
    assert.equal(before.people, 2);
    assert.equal(before.pairwisePrecision, 1);
    // ann: 6 faces, 15 pairs; cat: 6 pairs. Before: 6 + 6 of 21; after: 10 + 6.
    assert.equal(before.pairwiseRecall, 12 / 21);
    assert.equal(after.pairwiseRecall, 16 / 21);
    assert.equal(after.pairwisePrecision, 1);
    assert.match(
      peopleTable([{ set: 'toy', system: 'after', metrics: after, cpuSeconds: 0 }]),
      /\| toy \| after \| 2\/2 \| 1\.000 \| 0\.762 \|/,
    );
  });

  test('halves split people, not faces, and always the same way', () => {
    const halves = [halfSet(set, 0), halfSet(set, 1)];
    assert.equal(halves[0].identities.length + halves[1].identities.length, set.identities.length);
    for (const [h, half] of halves.entries()) for (const id of half.identities) assert.equal(halfOf(id), h);
    assert.notEqual(halfOf('ann'), halfOf('cat'), 'the two toy people fall in different halves');
  });
});
