/**
 * Verification metrics over scored pairs: pure functions, no I/O, so each can be
 * checked against hand-computed values.
 *
 * A pair's score is a cosine *distance* (lower = more alike) and the decision
 * rule is the pipeline's: "same person" iff `distance <= threshold`. A pair whose
 * distance is `null` could not be scored (a photo without a face): it counts as
 * an error at every threshold, never as dropped. For rankings (AUC, TAR@FAR) a
 * missing positive is placed after every negative and a missing negative before
 * every positive, the worst place each can take.
 */

/** One verification pair: its distance (`null` if unscorable) and whether it is the same person. */
export interface ScoredPair {
  distance: number | null;
  /** A pair with a poor face (vision/face-quality.ts), where the analyzer measures quality. */
  poor?: boolean;
  same: boolean;
}

/** Counts at one threshold. */
export interface Confusion {
  truePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  falsePositives: number;
}

/** The decision for one pair at `threshold`, with unscorable pairs always wrong. */
function isCorrect(pair: ScoredPair, threshold: number): boolean {
  if (pair.distance === null) return false;
  return pair.distance <= threshold === pair.same;
}

/** Confusion counts at `threshold`; an unscorable pair counts as a false negative or a false positive. */
export function confusionAt(pairs: readonly ScoredPair[], threshold: number): Confusion {
  const c: Confusion = { truePositives: 0, falseNegatives: 0, trueNegatives: 0, falsePositives: 0 };
  for (const p of pairs) {
    const correct = isCorrect(p, threshold);
    if (p.same) correct ? c.truePositives++ : c.falseNegatives++;
    else correct ? c.trueNegatives++ : c.falsePositives++;
  }
  return c;
}

/** Fraction of pairs decided correctly at `threshold` (0 for no pairs). */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  if (pairs.length === 0) return 0;
  const c = confusionAt(pairs, threshold);
  return (c.truePositives + c.trueNegatives) / pairs.length;
}

/**
 * Mean of the true-positive rate and the true-negative rate at `threshold`: on
 * lfw10 only 9 % of pairs are positives, so plain accuracy would reward calling
 * everyone a stranger. A class with no pairs is left out of the mean.
 */
export function balancedAccuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  const c = confusionAt(pairs, threshold);
  const rates: number[] = [];
  const positives = c.truePositives + c.falseNegatives;
  const negatives = c.trueNegatives + c.falsePositives;
  if (positives > 0) rates.push(c.truePositives / positives);
  if (negatives > 0) rates.push(c.trueNegatives / negatives);
  return rates.length === 0 ? 0 : rates.reduce((a, b) => a + b, 0) / rates.length;
}

/** Ranking key: lower means "more likely the same person"; unscorable pairs take their worst place. */
function rankKey(pair: ScoredPair): number {
  if (pair.distance !== null) return pair.distance;
  return pair.same ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/**
 * Area under the ROC curve: the probability that a random positive pair is
 * closer than a random negative pair, ties counting one half (Mann-Whitney U).
 * `NaN` when either class is empty.
 */
export function rocAuc(pairs: readonly ScoredPair[]): number {
  const ranked = pairs.map((p) => ({ key: rankKey(p), same: p.same })).sort((a, b) => a.key - b.key);
  const positives = ranked.filter((p) => p.same).length;
  const negatives = ranked.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  // Walk groups of equal keys from most to least alike; each negative beats the positives already passed.
  let positivesSeen = 0;
  let wins = 0;
  for (let i = 0; i < ranked.length; ) {
    let j = i;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (j < ranked.length && ranked[j].key === ranked[i].key) {
      ranked[j].same ? groupPositives++ : groupNegatives++;
      j++;
    }
    wins += groupNegatives * (positivesSeen + groupPositives / 2);
    positivesSeen += groupPositives;
    i = j;
  }
  return wins / (positives * negatives);
}

/**
 * True-accept rate at a false-accept rate of at most `far`: the largest
 * threshold whose share of accepted negatives does not exceed `far`, and the
 * share of positives it accepts. Conservative on ties: a threshold that would
 * accept part of a group of equal distances accepts the whole group.
 */
export function tarAtFar(pairs: readonly ScoredPair[], far: number): { tar: number; threshold: number } {
  const positives = pairs.filter((p) => p.same).length;
  const negatives = pairs.length - positives;
  if (positives === 0 || negatives === 0) return { tar: Number.NaN, threshold: Number.NaN };
  const allowed = Math.floor(far * negatives + 1e-9);
  const ranked = pairs.map((p) => ({ key: rankKey(p), same: p.same })).sort((a, b) => a.key - b.key);
  let accepted = 0;
  let falseAccepts = 0;
  let best = { tar: 0, threshold: Number.NEGATIVE_INFINITY };
  for (let i = 0; i < ranked.length; ) {
    let j = i;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (j < ranked.length && ranked[j].key === ranked[i].key) {
      ranked[j].same ? groupPositives++ : groupNegatives++;
      j++;
    }
    if (falseAccepts + groupNegatives > allowed) break;
    accepted += groupPositives;
    falseAccepts += groupNegatives;
    // An unscorable positive (+inf) is never truly accepted: stop before it.
    if (!Number.isFinite(ranked[i].key) && ranked[i].key > 0) break;
    if (Number.isFinite(ranked[i].key)) best = { tar: accepted / positives, threshold: ranked[i].key };
    i = j;
  }
  return best;
}

/**
 * The threshold with the highest accuracy, as an oracle would pick it: a bound
 * on what any threshold could reach, not a threshold to ship. Among equally
 * good thresholds the midpoint of the widest such gap between observed
 * distances is returned, so that it does not sit on a data point.
 */
export function bestAccuracy(pairs: readonly ScoredPair[]): { accuracy: number; threshold: number } {
  return bestBy(pairs, accuracyAt);
}

/** Like {@link bestAccuracy} for balanced accuracy: the threshold a calibration on labelled pairs picks. */
export function bestBalancedAccuracy(pairs: readonly ScoredPair[]): { accuracy: number; threshold: number } {
  return bestBy(pairs, balancedAccuracyAt);
}

function bestBy(
  pairs: readonly ScoredPair[],
  measure: (pairs: readonly ScoredPair[], threshold: number) => number,
): { accuracy: number; threshold: number } {
  const scored = pairs.filter((p) => p.distance !== null).sort((a, b) => a.distance! - b.distance!);
  if (scored.length === 0) return { accuracy: measure(pairs, 0), threshold: 0 };
  const positives = pairs.filter((p) => p.same).length;
  const negatives = pairs.length - positives;
  const scoredNegatives = scored.filter((p) => !p.same).length;
  // One sweep from "nobody is the same" upwards; unscored pairs stay wrong throughout.
  const score = (tp: number, fp: number): number => {
    const tn = scoredNegatives - fp;
    if (measure === accuracyAt) return (tp + tn) / pairs.length;
    const rates = [...(positives > 0 ? [tp / positives] : []), ...(negatives > 0 ? [tn / negatives] : [])];
    return rates.reduce((a, b) => a + b, 0) / rates.length;
  };
  let tp = 0;
  let fp = 0;
  let best = { accuracy: score(0, 0), threshold: scored[0].distance! - 1e-6, gap: 0 };
  for (let i = 0; i < scored.length; ) {
    const d = scored[i].distance!;
    while (i < scored.length && scored[i].distance === d) scored[i++].same ? tp++ : fp++;
    const last = i === scored.length;
    // Between this distance and the next one: threshold at the midpoint of the gap.
    const threshold = last ? d : (d + scored[i].distance!) / 2;
    const gap = last ? 0 : scored[i].distance! - d;
    const accuracy = score(tp, fp);
    if (accuracy > best.accuracy + 1e-12 || (Math.abs(accuracy - best.accuracy) <= 1e-12 && gap > best.gap)) {
      best = { accuracy, threshold, gap };
    }
  }
  return { accuracy: best.accuracy, threshold: best.threshold };
}
