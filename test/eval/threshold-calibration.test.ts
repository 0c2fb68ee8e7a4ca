import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitHalfCalibration, type LabelledPair } from '../../src/eval/threshold-calibration.js';

/** Two photos each of A, B, C, D; same-person distances given, every other pair at 0.9. */
function dataset(samePerson: Record<string, number>): LabelledPair[] {
  const photos = Object.keys(samePerson).flatMap((id) => [id, id]);
  const pairs: LabelledPair[] = [];
  for (let a = 0; a < photos.length; a++) {
    for (let b = a + 1; b < photos.length; b++) {
      const same = photos[a] === photos[b];
      pairs.push({ identityA: photos[a], identityB: photos[b], same, distance: same ? samePerson[photos[a]] : 0.9 });
    }
  }
  return pairs;
}
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} != ${expected}`);

describe('splitHalfCalibration', () => {
  it('takes the median of the per-half thresholds over the 3 splits of 4 people', () => {
    // {A,B}: positives 0.1 0.2 -> midpoint of the gap to 0.9 = 0.55; {A,C}: 0.6; {A,D}: 0.65.
    const c = splitHalfCalibration(dataset({ A: 0.1, B: 0.2, C: 0.3, D: 0.4 }));
    assert.equal(c.splits, 3);
    close(c.threshold, 0.6);
    close(c.thresholdRange[0], 0.55);
    close(c.thresholdRange[1], 0.65);
    assert.equal(c.heldOutBalancedAccuracy, 1);
    assert.equal(c.heldOutAccuracy, 1);
  });

  it('reports how a threshold carries over to the people it was not tuned on', () => {
    // D's two photos are further apart than strangers: the halves holding D tune to 0.5,
    // the others (0.55, 0.6) miss D's pair on the held-out side: balanced 0.75, accuracy 5/6.
    const c = splitHalfCalibration(dataset({ A: 0.1, B: 0.2, C: 0.3, D: 0.95 }));
    close(c.threshold, 0.55);
    close(c.thresholdRange[0], 0.5);
    close(c.heldOutBalancedAccuracy, (0.75 + 0.75 + 1) / 3);
    close(c.heldOutAccuracy, (5 / 6 + 5 / 6 + 1) / 3);
  });

  it('needs at least four people', () => {
    assert.throws(() => splitHalfCalibration(dataset({ A: 0.1, B: 0.2, C: 0.3 })), RangeError);
  });
});
