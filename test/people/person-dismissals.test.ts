import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closeGroupPairs, EXACT_PAIR_GROUPS } from '../../src/clustering/close-pairs.js';
import { clusterFaces } from '../../src/clustering/cluster-faces.js';
import { mulberry32 } from '../../src/clustering/neighbour-graph.js';
import { toyVectors } from '../support/toy-vectors.js';

/**
 * "Not the same person" in the pure clustering code: two groups within the
 * threshold of each other merge without the cannot-link and stay apart with
 * it, each keeping its own faces together; and the close pairs of people that
 * mergeSuggestions ranks, exact and through the neighbour graph.
 */
const dim = 8;
const { near, pack } = toyVectors(dim);
const options = { threshold: 0.05, minFaces: 2, neighbours: 8 };
/** Person A: three faces tilted towards axis 1; person B: three towards axis 2, within the threshold of A. */
const A = [near(0, 1, 0.1), near(0, 1, 0.12), near(0, 1, 0.14)];
const B = [near(0, 2, 0.1), near(0, 2, 0.12), near(0, 2, 0.14)];
const groups = (personOf: Int32Array) => [...personOf];

describe('clusterFaces: "not the same person" (sides)', () => {
  test('two groups within the threshold merge without it, and stay apart, each whole, with it', () => {
    const embeddings = pack([...A, ...B]);
    const imageIds = [1, 2, 3, 4, 5, 6];
    const without = clusterFaces({ embeddings, dim, imageIds }, options);
    assert.equal(without.people.length, 1, 'without the rule the six faces are one person');
    assert.equal(new Set(groups(without.personOf)).size, 1);

    const sides = [[1], [1], [1], [-1], [-1], [-1]];
    const apart = clusterFaces({ embeddings, dim, imageIds, sides }, options);
    assert.equal(apart.people.length, 2);
    const [a, b] = [apart.personOf[0], apart.personOf[3]];
    assert.ok(a >= 0 && b >= 0 && a !== b, JSON.stringify(groups(apart.personOf)));
    assert.deepEqual(groups(apart.personOf), [a, a, a, b, b, b]);
  });

  test('a face without a side may join either; the keys of one pair do not hold other people apart', () => {
    // A's faces carry pair 1, B's pair 2 (each against somebody else): nothing keeps A from B.
    const embeddings = pack([...A, ...B, near(0, 3, 0.1)]);
    const r = clusterFaces({ embeddings, dim, imageIds: [1, 2, 3, 4, 5, 6, 7], sides: [[1], [1], [1], [2], [2], [2]] }, options);
    assert.equal(r.people.length, 1);
    assert.equal(new Set(groups(r.personOf)).size, 1);
  });

  test('faces of a dismissed person never join the other, existing person, nor do poor faces change it', () => {
    const sum = new Float32Array(dim);
    for (const v of A) for (let d = 0; d < dim; d++) sum[d] += v[d];
    const anchor = { count: 3, sum, imageIds: [] };
    const embeddings = pack([...B, near(0, 2, 0.11)]);
    const imageIds = [4, 5, 6, 7];
    const poor = [false, false, false, true];
    const joined = clusterFaces({ embeddings, dim, imageIds, poor, anchors: [anchor] }, options);
    assert.deepEqual([...joined.anchorOf], [0, 0, 0, -1], 'without the rule B joins A');

    const r = clusterFaces(
      { embeddings, dim, imageIds, poor, anchors: [{ ...anchor, sides: [7] }], sides: [[-7], [-7], [-7], [-7]] },
      options,
    );
    assert.deepEqual([...r.anchorOf], [-1, -1, -1, -1]);
    assert.equal(r.people.length, 1);
    assert.deepEqual(groups(r.personOf), [0, 0, 0, -1], 'B is a person of its own; the poor face stays out');
  });
});

describe('closeGroupPairs', () => {
  /** Random unit vectors averaged in groups of `size`: people's centroids. */
  const centroids = (n: number, d: number, seed: number) => {
    const random = mulberry32(seed);
    const means = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < 3; f++) {
        const v = Array.from({ length: d }, () => random() - 0.5 + (d > 0 && i % 7 === 0 ? 0.3 : 0));
        const norm = Math.hypot(...v);
        for (let k = 0; k < d; k++) means[i * d + k] += v[k] / norm / 3;
      }
    }
    return means;
  };
  const brute = (means: Float32Array, d: number, max: number) => {
    const n = means.length / d;
    const out: { a: number; b: number; distance: number }[] = [];
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += means[a * d + k] * means[b * d + k];
        if (1 - s <= max) out.push({ a, b, distance: 1 - s });
      }
    }
    return out.sort((x, y) => x.distance - y.distance);
  };

  test('exact up to EXACT_PAIR_GROUPS: every pair within the reach, closest first, by 1 - meanA·meanB', () => {
    const means = centroids(300, 16, 1);
    const want = brute(means, 16, 0.5);
    const got = closeGroupPairs(means, 16, 0.5);
    assert.ok(want.length > 10);
    assert.deepEqual(
      got.map((p) => [p.a, p.b]),
      want.map((p) => [p.a, p.b]),
    );
    for (let i = 1; i < got.length; i++) assert.ok(got[i].distance >= got[i - 1].distance);
  });

  test('beyond it, the neighbour graph finds the closest pairs', () => {
    const n = EXACT_PAIR_GROUPS + 500;
    const means = centroids(n, 16, 2);
    const want = brute(means, 16, 0.45).slice(0, 50);
    const got = closeGroupPairs(means, 16, 0.45).slice(0, 50);
    assert.ok(want.length === 50);
    const found = new Set(got.map((p) => `${p.a}:${p.b}`));
    const recall = want.filter((p) => found.has(`${p.a}:${p.b}`)).length / want.length;
    assert.ok(recall >= 0.9, `recall of the 50 closest pairs ${recall}`);
  });
});
