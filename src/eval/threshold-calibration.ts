import { accuracyAt, balancedAccuracyAt, bestBalancedAccuracy, type ScoredPair } from './verification-metrics.js';

/** A verification pair between two labelled photos. */
export interface LabelledPair extends ScoredPair {
  identityA: string;
  identityB: string;
}

export interface SplitHalfCalibration {
  /** The median over splits of the threshold that maximises balanced accuracy on the tuning half. */
  threshold: number;
  /** Splits evaluated (every split of the people into two halves, or a fixed sample of them). */
  splits: number;
  /** Smallest and largest per-split threshold: how much the choice depends on who is in the data. */
  thresholdRange: [number, number];
  /** Mean balanced accuracy and accuracy of each split's threshold on the other half. */
  heldOutBalancedAccuracy: number;
  heldOutAccuracy: number;
}

/** Past this many ways to halve the people, a fixed pseudo-random sample of splits is used. */
const MAX_SPLITS = 256;

/**
 * How the default same-person threshold is chosen (see calibration.ts): split
 * the *people* into two halves, pick the threshold with the best balanced
 * accuracy on the pairs within one half, score it on the pairs within the other
 * half (people it never saw), over every such split. The median of the
 * per-split thresholds is the calibrated threshold; the held-out scores say how
 * well a threshold chosen this way carries over to new people. Pairs across the
 * halves are used by neither side.
 */
export function splitHalfCalibration(pairs: readonly LabelledPair[]): SplitHalfCalibration {
  const people = [...new Set(pairs.flatMap((p) => [p.identityA, p.identityB]))].sort();
  if (people.length < 4) throw new RangeError(`split-half calibration needs at least 4 people, got ${people.length}`);
  const half = Math.floor(people.length / 2);
  const thresholds: number[] = [];
  let balanced = 0;
  let accuracy = 0;
  for (const tuneSet of halves(people, half)) {
    const inTune = (p: LabelledPair) => tuneSet.has(p.identityA) && tuneSet.has(p.identityB);
    const inTest = (p: LabelledPair) => !tuneSet.has(p.identityA) && !tuneSet.has(p.identityB);
    const tune = pairs.filter(inTune);
    const test = pairs.filter(inTest);
    if (!tune.some((p) => p.same) || !test.some((p) => p.same)) continue;
    const { threshold } = bestBalancedAccuracy(tune);
    thresholds.push(threshold);
    balanced += balancedAccuracyAt(test, threshold);
    accuracy += accuracyAt(test, threshold);
  }
  if (thresholds.length === 0) throw new RangeError('no split has same-person pairs on both sides');
  const sorted = [...thresholds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return {
    threshold: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
    splits: thresholds.length,
    thresholdRange: [sorted[0], sorted[sorted.length - 1]],
    heldOutBalancedAccuracy: balanced / thresholds.length,
    heldOutAccuracy: accuracy / thresholds.length,
  };
}

/**
 * Subsets of `half` people, each split once (for an even count, the subset
 * holding the first person stands for the split), all of them when there are
 * at most {@link MAX_SPLITS}, else a fixed sample so results are reproducible.
 */
function* halves(people: string[], half: number): Generator<Set<string>> {
  const n = people.length;
  let total = 1;
  for (let i = 0; i < half; i++) total = (total * (n - i)) / (i + 1);
  if (total / (n === 2 * half ? 2 : 1) <= MAX_SPLITS) {
    const pick = (start: number, chosen: string[]): string[][] =>
      chosen.length === half ? [chosen] : people.slice(start).flatMap((p, i) => pick(start + i + 1, [...chosen, p]));
    for (const subset of pick(0, [])) {
      if (n === 2 * half && !subset.includes(people[0])) continue;
      yield new Set(subset);
    }
    return;
  }
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let s = 0; s < MAX_SPLITS; s++) {
    const shuffled = [...people];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    yield new Set(shuffled.slice(0, half));
  }
}
