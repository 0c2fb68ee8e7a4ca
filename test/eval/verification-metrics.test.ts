import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accuracyAt,
  balancedAccuracyAt,
  bestAccuracy,
  bestBalancedAccuracy,
  confusionAt,
  rocAuc,
  tarAtFar,
  type ScoredPair,
} from '../../src/eval/verification-metrics.js';

// Positives at 0.1 and 0.3, negatives at 0.2, 0.45 and 0.5 (values worked out by hand below).
const pairs: ScoredPair[] = [
  { distance: 0.1, same: true },
  { distance: 0.2, same: false },
  { distance: 0.3, same: true },
  { distance: 0.45, same: false },
  { distance: 0.5, same: false },
];
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

describe('verification metrics', () => {
  it('counts decisions at a threshold, distance <= threshold meaning same', () => {
    assert.deepEqual(confusionAt(pairs, 0.25), { truePositives: 1, falseNegatives: 1, trueNegatives: 2, falsePositives: 1 });
    assert.deepEqual(confusionAt(pairs, 0.2), { truePositives: 1, falseNegatives: 1, trueNegatives: 2, falsePositives: 1 });
    close(accuracyAt(pairs, 0.25), 3 / 5);
    // TPR 1/2, TNR 2/3.
    close(balancedAccuracyAt(pairs, 0.25), 7 / 12);
  });

  it('computes ROC AUC as the share of positive-negative pairs ranked right', () => {
    // 0.1 beats all three negatives, 0.3 beats 0.45 and 0.5: 5 of 6.
    close(rocAuc(pairs), 5 / 6);
    close(
      rocAuc([
        { distance: 0.1, same: true },
        { distance: 0.9, same: false },
      ]),
      1,
    );
    close(
      rocAuc([
        { distance: 0.9, same: true },
        { distance: 0.1, same: false },
      ]),
      0,
    );
    // A tie counts one half.
    close(
      rocAuc([
        { distance: 0.2, same: true },
        { distance: 0.2, same: false },
      ]),
      0.5,
    );
    assert.ok(Number.isNaN(rocAuc([{ distance: 0.2, same: true }])));
  });

  it('finds the best accuracy and puts its threshold in the widest winning gap', () => {
    // 0.8 at 0.15 (gap 0.1) and at 0.375 (gap 0.15): the wider gap wins.
    const best = bestAccuracy(pairs);
    close(best.accuracy, 4 / 5);
    close(best.threshold, 0.375);
    // Balanced: at 0.375 TPR 1 and TNR 2/3 = 5/6, better than 0.15's 3/4.
    const balanced = bestBalancedAccuracy(pairs);
    close(balanced.accuracy, 5 / 6);
    close(balanced.threshold, 0.375);
  });

  it('reads TAR at a FAR without exceeding the FAR', () => {
    // 3 negatives: FAR 0.34 allows one false accept (0.2), so 0.3 is the last threshold: both positives.
    assert.deepEqual(tarAtFar(pairs, 0.34), { tar: 1, threshold: 0.3 });
    // FAR 0.01 allows none: stop before 0.2, half of the positives.
    assert.deepEqual(tarAtFar(pairs, 0.01), { tar: 0.5, threshold: 0.1 });
    // A tie between a positive and a negative cannot be split.
    assert.equal(
      tarAtFar(
        [
          { distance: 0.1, same: true },
          { distance: 0.1, same: false },
        ],
        0,
      ).tar,
      0,
    );
  });

  it('counts a pair without a face as an error, never drops it', () => {
    const withMissing: ScoredPair[] = [...pairs, { distance: null, same: true }, { distance: null, same: false }];
    // At 0.375 the five scored pairs give 4 right; both unscorable pairs are wrong.
    close(accuracyAt(withMissing, 0.375), 4 / 7);
    assert.deepEqual(confusionAt(withMissing, 10), { truePositives: 2, falseNegatives: 1, trueNegatives: 0, falsePositives: 4 });
    // Ranked worst: the missing positive after all negatives, the missing negative before all positives.
    // Positives 0.1, 0.3, miss; negatives miss(-inf), 0.2, 0.45, 0.5: wins 3 + 2 + 0 of 12.
    close(rocAuc(withMissing), 5 / 12);
    // The unscorable negative is accepted at every threshold: FAR 1/4 is used up at once.
    assert.deepEqual(tarAtFar(withMissing, 0.25), { tar: 1 / 3, threshold: 0.1 });
  });
});

describe('best threshold search', () => {
  it('agrees with trying every threshold on random data', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 20; round++) {
      const pairs: ScoredPair[] = Array.from({ length: 60 }, () => {
        const same = random() < 0.3;
        const distance = random() < 0.05 ? null : Math.round((same ? 0.3 : 0.6) * random() * 100 + random() * 30) / 100;
        return { distance, same };
      });
      const distances = [...new Set(pairs.flatMap((p) => (p.distance === null ? [] : [p.distance])))];
      const candidates = [-1, ...distances, ...distances.map((d) => d + 1e-9)];
      const bruteAccuracy = Math.max(...candidates.map((t) => accuracyAt(pairs, t)));
      const bruteBalanced = Math.max(...candidates.map((t) => balancedAccuracyAt(pairs, t)));
      const best = bestAccuracy(pairs);
      const balanced = bestBalancedAccuracy(pairs);
      close(best.accuracy, bruteAccuracy);
      close(accuracyAt(pairs, best.threshold), bruteAccuracy);
      close(balanced.accuracy, bruteBalanced);
      close(balancedAccuracyAt(pairs, balanced.threshold), bruteBalanced);
    }
  });
});
