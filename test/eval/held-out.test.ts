import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseThreshold, leaveOneSetOut, macroBalancedAccuracy, type SetPairs } from '../../src/eval/held-out.js';

const pairs = (same: number[], different: number[]) => [
  ...same.map((distance) => ({ distance, same: true })),
  ...different.map((distance) => ({ distance, same: false })),
];

describe('thresholds across sets', () => {
  const a: SetPairs = { name: 'a', pairs: pairs([0.02, 0.04, 0.06], [0.1, 0.12, 0.2]) };
  const b: SetPairs = { name: 'b', pairs: pairs([0.03, 0.05], [0.09, 0.3]) };
  const strangers: SetPairs = { name: 'strangers', pairs: pairs([], [0.07, 0.15]) };

  it('weighs each set the same within each class, a one-class set counting for its class only', () => {
    // At 0.08: a and b perfect; strangers reject 1 of 2. Accept rate 1, reject rate mean(1, 1, 0.5) = 5/6.
    assert.ok(Math.abs(macroBalancedAccuracy([a, b, strangers], 0.08) - (1 + 5 / 6) / 2) < 1e-12);
  });

  it('chooses the middle of the best run of thresholds', () => {
    // a and b are both perfect from 0.060 to 0.0895: the middle grid point is 0.0745.
    assert.equal(chooseThreshold([a, b]).threshold, 0.0745);
    assert.equal(chooseThreshold([a, b]).meanBalancedAccuracy, 1);
  });

  it('scores each set at a threshold chosen without it', () => {
    const held = leaveOneSetOut([a, b, strangers]);
    assert.deepEqual(
      held.map((h) => h.set),
      ['a', 'b', 'strangers'],
    );
    // Left out, the strangers are scored at the threshold a and b chose (0.0745): 0.07 is wrongly accepted.
    assert.equal(held[2].threshold, 0.0745);
    assert.equal(held[2].accuracy, 0.5);
    // b left out: a alone picks the middle of its gap (0.06-0.10), and b is right at it.
    assert.equal(held[1].accuracy, 1);
    assert.throws(() => leaveOneSetOut([a]), RangeError);
  });
});
