import { accuracyAt, balancedAccuracyAt, bestAccuracy, confusionAt, rocAuc, type ScoredPair } from './verification-metrics.js';

/** The scored pairs of one labelled set. */
export interface SetPairs {
  name: string;
  pairs: readonly ScoredPair[];
}

/** A threshold chosen on some sets, and how it scores on one set it never saw. */
export interface HeldOutScore {
  /** The set scored, left out of the choice. */
  set: string;
  /** Chosen on all the other sets. */
  threshold: number;
  accuracy: number;
  /** Mean of the same-person and different-person accept rates (the latter alone for a set of negatives only). */
  balancedAccuracy: number;
  /** The best any threshold could do on this set (an oracle): how much the held-out choice costs. */
  oracleAccuracy: number;
  oracleThreshold: number;
  /** `NaN` for a set without same-person pairs. */
  auc: number;
}

/** Thresholds tried: cosine distances 0.000-0.300 in steps of 0.0005 (every calibrated threshold so far is 0.07-0.12). */
const GRID = Array.from({ length: 601 }, (_, i) => i * 0.0005);

/**
 * Balanced accuracy over several sets, each set weighing the same within each
 * class: the mean same-person accept rate over the sets that have same-person
 * pairs, and the mean different-person reject rate over the sets that have
 * different-person pairs, averaged. So lfw10's 4,950 pairs do not decide alone,
 * and a set of one class only (edge's photos of one man, the group photos'
 * strangers) counts for its class, not as a whole vote.
 */
export function macroBalancedAccuracy(sets: readonly SetPairs[], threshold: number): number {
  const accept: number[] = [];
  const reject: number[] = [];
  for (const s of sets) {
    const c = confusionAt(s.pairs, threshold);
    if (c.truePositives + c.falseNegatives > 0) accept.push(c.truePositives / (c.truePositives + c.falseNegatives));
    if (c.trueNegatives + c.falsePositives > 0) reject.push(c.trueNegatives / (c.trueNegatives + c.falsePositives));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rates = [accept, reject].filter((xs) => xs.length > 0).map(mean);
  return rates.length === 0 ? 0 : mean(rates);
}

/**
 * The threshold with the best {@link macroBalancedAccuracy} over `sets`.
 * Among equally good thresholds, the middle of the longest run of them, so
 * the choice does not sit on a data point.
 */
export function chooseThreshold(sets: readonly SetPairs[]): { threshold: number; meanBalancedAccuracy: number } {
  if (sets.length === 0) throw new RangeError('chooseThreshold needs at least one set');
  const scores = GRID.map((t) => macroBalancedAccuracy(sets, t));
  const best = Math.max(...scores);
  let run = { start: 0, length: 0 };
  for (let i = 0; i < scores.length; ) {
    if (scores[i] < best - 1e-12) {
      i++;
      continue;
    }
    let j = i;
    while (j < scores.length && scores[j] >= best - 1e-12) j++;
    if (j - i > run.length) run = { start: i, length: j - i };
    i = j;
  }
  return { threshold: round4(GRID[run.start + Math.floor((run.length - 1) / 2)]), meanBalancedAccuracy: best };
}

/**
 * Leave one set out: for each set, choose the threshold on all the others
 * ({@link chooseThreshold}) and score the left-out set at it. The numbers a
 * new user's photos can expect, unlike a threshold scored on the data it was
 * tuned on.
 */
export function leaveOneSetOut(sets: readonly SetPairs[]): HeldOutScore[] {
  if (sets.length < 2) throw new RangeError('leave-one-set-out needs at least two sets');
  return sets.map((left) => {
    const { threshold } = chooseThreshold(sets.filter((s) => s !== left));
    return scoreAt(left, threshold);
  });
}

/** One set's numbers at a given threshold. */
export function scoreAt(set: SetPairs, threshold: number): HeldOutScore {
  const oracle = bestAccuracy(set.pairs);
  return {
    set: set.name,
    threshold,
    accuracy: accuracyAt(set.pairs, threshold),
    balancedAccuracy: balancedAccuracyAt(set.pairs, threshold),
    oracleAccuracy: oracle.accuracy,
    oracleThreshold: round4(oracle.threshold),
    auc: rocAuc(set.pairs),
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
