import type { FaceDetectorOptions, FoundDetection, LocatedFaces } from './face-detector.js';

/**
 * The int8 detector's error band around the bounds that decide whether a detection is a face: a detection
 * within it is decided by the float32 detector. Used by face-detector.ts (how far below `minScore` an int8
 * pass reads, which misses are near) and by the pipeline (which boxes to look for again).
 */

/**
 * How far an int8 detector's score can lie from float32's, in logits (log-odds): the largest difference
 * measured over every labelled photo's matched boxes was 0.88 (docs/quality.md, Precision parity); a
 * score within this of a bound, on either side, is decided by the float32 detector.
 */
export const INT8_SCORE_BAND = 1;
/** The same for a box's shorter side, as a ratio: the largest measured was 1.12. */
export const INT8_SIZE_BAND = 1.15;

const logit = (p: number) => Math.log(p / (1 - p));

/** The score `direction` (+1 above, -1 below) band widths from `bound`. */
export function bandEdge(bound: number, direction: 1 | -1): number {
  return 1 / (1 + Math.exp(-(logit(bound) + direction * INT8_SCORE_BAND)));
}

export function nearScoreBound(score: number, bound: number): boolean {
  const s = Math.min(Math.max(score, 1e-6), 1 - 1e-6);
  return Math.abs(logit(s) - logit(bound)) <= INT8_SCORE_BAND;
}

export function nearSizeBound(side: number, bound: number): boolean {
  return side >= bound / INT8_SIZE_BAND && side <= bound * INT8_SIZE_BAND;
}

/**
 * Whether an int8 detection lies within the int8 error band of a bound that decides whether it is a face
 * (the score bound `minScore`, the size bound `minFaceSize`): then float32 must decide it, so that no face
 * is kept or dropped by int8 rounding. A detection of a float32 pass is float32's decision already.
 */
export function nearDecisionBound(
  located: LocatedFaces,
  d: FoundDetection,
  options: Pick<FaceDetectorOptions, 'minScore' | 'minFaceSize'>,
): boolean {
  if (!located.search.approximate || located.search.float32Passes.has(d.pass)) return false;
  return nearScoreBound(d.score, options.minScore) || nearSizeBound(Math.min(d.box.width, d.box.height), options.minFaceSize);
}
