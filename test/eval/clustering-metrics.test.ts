import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairwiseClusteringMetrics } from '../../src/eval/clustering-metrics.js';

describe('pairwiseClusteringMetrics', () => {
  it('scores merges and splits pair by pair', () => {
    // Same-identity pairs: a 3, b 1 = 4. Clustered pairs: cluster 1 has 1, cluster 2 has 3 = 4.
    // Right: (a,1) 1 + (b,2) 1 = 2. So precision 1/2, recall 1/2.
    const m = pairwiseClusteringMetrics(['a', 'a', 'a', 'b', 'b', 'c'], [1, 1, 2, 2, 2, null]);
    assert.deepEqual(m, { identities: 3, people: 2, pairwisePrecision: 0.5, pairwiseRecall: 0.5, pairwiseF1: 0.5 });
  });

  it('is perfect for a relabelled but identical partition', () => {
    const m = pairwiseClusteringMetrics(['a', 'a', 'b', 'b', 'b'], ['x', 'x', 'y', 'y', 'y']);
    assert.deepEqual(m, { identities: 2, people: 2, pairwisePrecision: 1, pairwiseRecall: 1, pairwiseF1: 1 });
  });

  it('gives recall 0 when every face is alone and precision 1/3 when all are merged', () => {
    const alone = pairwiseClusteringMetrics(['a', 'a', 'b', 'b'], [null, null, null, null]);
    assert.deepEqual(alone, { identities: 2, people: 0, pairwisePrecision: 1, pairwiseRecall: 0, pairwiseF1: 0 });
    // 6 pairs put together, 2 of them right.
    const merged = pairwiseClusteringMetrics(['a', 'a', 'b', 'b'], [0, 0, 0, 0]);
    assert.equal(merged.pairwisePrecision, 2 / 6);
    assert.equal(merged.pairwiseRecall, 1);
    assert.equal(merged.pairwiseF1, 0.5);
  });

  it('refuses lists of different lengths', () => {
    assert.throws(() => pairwiseClusteringMetrics(['a'], []), RangeError);
  });
});
