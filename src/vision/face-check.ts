import { centre } from './alignment.js';
import type { LandmarkFit } from './landmark-averaging.js';
import type { Box, FaceSource, Point } from './types.js';

export type { FaceSource } from './types.js';

/** Why a candidate is not taken as a human face. */
export type FaceRejection = 'landmarks-disagree' | 'box-shape' | 'face-geometry';

/**
 * Largest landmark disagreement (see {@link LandmarkFit.disagreement}) of a detector box kept as a face:
 * half-way between the faces seen and a cat's, since a missed face costs as much as a false one (docs/quality.md, The face check).
 */
export const MAX_DISAGREEMENT = 0.07;
/**
 * The same for the whole-image fallback (read padded, box grown: see face-pipeline.ts): stricter, as no
 * detector's word is behind it (docs/quality.md, Whole-image fallback).
 */
export const MAX_WHOLE_IMAGE_DISAGREEMENT = 0.03;
/**
 * Above this one reading of a detector or drawn box is doubtful, and the box gets a second look: the mean
 * over it and six nudged copies (`nudgedDisagreement` in landmark-averaging.ts) must stay within
 * {@link MAX_NUDGED_DISAGREEMENT}, since near the bound one reading moves with a few pixels of box (docs/quality.md, The face check).
 */
export const DOUBTFUL_DISAGREEMENT = 0.035;
/** Bound on the mean of the seven readings of a doubtful box: half-way between faces' and noface boxes' means (docs/quality.md, The face check). */
export const MAX_NUDGED_DISAGREEMENT = 0.064;
/**
 * A doubtful detector box that SSD itself scores below this is two weak votes, and its nudged mean must
 * stay within {@link MAX_NUDGED_WEAK} (docs/quality.md, The face check).
 */
export const WEAK_SCORE = 0.7;
/** Bound on a weak doubtful box's nudged mean (docs/quality.md, The face check). */
export const MAX_NUDGED_WEAK = 0.047;
/** Width / height of a detector box that can be a face: SSD's face boxes are a little taller than wide (docs/quality.md, The face check). */
const BOX_ASPECT = { min: 0.45, max: 1.5 } as const;
/** Eye-to-mouth distance over the distance between the eyes, with a margin around the datasets' faces (docs/quality.md, The face check). */
const EYE_MOUTH_RATIO = { min: 0.6, max: 2.2 } as const;
/** Head roll beyond which the whole-image fallback does not believe in a face (an upright crop; docs/quality.md, The face check). */
const MAX_WHOLE_IMAGE_ROLL_DEGREES = 45;
/** A whole image taken as a face must be mostly face: eyes at least this far apart, in box widths (docs/quality.md, The face check). */
const MIN_WHOLE_IMAGE_EYE_SPAN = 0.2;

export interface FaceCheck {
  isFace: boolean;
  rejection?: FaceRejection;
}

/**
 * The independent check every face passes before facegraph keeps it: the 68
 * landmarks must be a face's (the net reads the same points in the image and
 * in its mirror, eyes level with each other and above the mouth), and a
 * detector box must have a face's shape. A face that is not a face becomes a
 * wrong person and a wrong search hit, so a box that fails is dropped even if
 * SSD was sure of it. `nudged`: the box's mean disagreement over nudged copies,
 * which a doubtful box ({@link isDoubtful}) needs to pass; `score`: the
 * detector's, which decides how low that mean must be; `shapeVouched`: a second
 * detector run found this face in this box (the pipeline's second opinion on a
 * box of no face's shape), so the shape bound does not apply.
 */
export function checkFace(
  fit: LandmarkFit,
  box: Box,
  source: FaceSource,
  nudged?: number,
  score?: number,
  shapeVouched = false,
): FaceCheck {
  const wholeImage = source === 'whole-image';
  if (fit.disagreement > (wholeImage ? MAX_WHOLE_IMAGE_DISAGREEMENT : MAX_DISAGREEMENT)) {
    return { isFace: false, rejection: 'landmarks-disagree' };
  }
  // A doubtful box with no second look is not taken on one reading.
  if (isDoubtful(fit, source)) {
    // A detector's weak score makes the bound stricter; a drawn box has no score (a person vouches for it).
    const bound = source === 'detector' && score !== undefined && score < WEAK_SCORE ? MAX_NUDGED_WEAK : MAX_NUDGED_DISAGREEMENT;
    if (!(nudged !== undefined && nudged <= bound)) return { isFace: false, rejection: 'landmarks-disagree' };
  }
  const aspect = box.width / box.height;
  if (!wholeImage && !shapeVouched && (aspect < BOX_ASPECT.min || aspect > BOX_ASPECT.max))
    return { isFace: false, rejection: 'box-shape' };
  const g = faceGeometry(fit.points);
  const plausible =
    g.eyeMouthRatio >= EYE_MOUTH_RATIO.min &&
    g.eyeMouthRatio <= EYE_MOUTH_RATIO.max &&
    // Mouth below the eyes, in the frame the eyes define.
    g.mouthBelowEyes > 0 &&
    (!wholeImage || (Math.abs(g.rollDegrees) <= MAX_WHOLE_IMAGE_ROLL_DEGREES && g.eyeSpan / box.width >= MIN_WHOLE_IMAGE_EYE_SPAN));
  return plausible ? { isFace: true } : { isFace: false, rejection: 'face-geometry' };
}

/** Whether {@link checkFace} wants the nudged readings of this box (`nudgedDisagreement`) before it decides. */
export function isDoubtful(fit: LandmarkFit, source: FaceSource): boolean {
  return source !== 'whole-image' && fit.disagreement > DOUBTFUL_DISAGREEMENT && fit.disagreement <= MAX_DISAGREEMENT;
}

/**
 * Whether the verdict on a detector box may turn on a few pixels of the box: one reading doubtful or
 * failing. An int8 detector's boxes lie a few pixels from float32's, so the pipeline runs the pass that
 * found such a box again in float32 and decides on face-api's own boxes (docs/quality.md, The face check).
 */
export function wantsFloat32Box(fit: LandmarkFit): boolean {
  return fit.disagreement > DOUBTFUL_DISAGREEMENT;
}

/** Distance between the eye centres of 68 landmarks, in their pixels. */
export function eyeSpanOf(points: readonly Point[]): number {
  return faceGeometry(points).eyeSpan;
}

interface FaceGeometry {
  eyeSpan: number;
  eyeMouthRatio: number;
  rollDegrees: number;
  /** Component of eyes-to-mouth along the eyes' downward normal (positive: the mouth is below). */
  mouthBelowEyes: number;
}

function faceGeometry(points: readonly Point[]): FaceGeometry {
  const left = centre(points.slice(36, 42));
  const right = centre(points.slice(42, 48));
  const mouth = centre(points.slice(48, 68));
  const ex = right.x - left.x;
  const ey = right.y - left.y;
  const eyeSpan = Math.hypot(ex, ey) || 1e-9;
  const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
  const mx = mouth.x - mid.x;
  const my = mouth.y - mid.y;
  return {
    eyeSpan,
    eyeMouthRatio: Math.hypot(mx, my) / eyeSpan,
    rollDegrees: (Math.atan2(ey, ex) * 180) / Math.PI,
    mouthBelowEyes: (ex * my - ey * mx) / eyeSpan,
  };
}

/**
 * The face an evaluation (and anything else that needs "the" face of a photo)
 * takes as the photo's subject: among faces that passed {@link checkFace} (no
 * other face reaches here), the largest area times detector confidence, linear
 * in both (docs/quality.md, The face check).
 */
export function mainFace<F extends { box: { width: number; height: number }; score: number; source?: FaceSource }>(
  faces: readonly F[],
): F | undefined {
  let best: F | undefined;
  let bestWeight = -1;
  for (const f of faces) {
    // Whole-image and hand-drawn faces have no detector score; a person vouches for the latter.
    const confidence = f.source === 'whole-image' || f.source === 'manual' ? 1 : f.score;
    const weight = f.box.width * f.box.height * confidence;
    if (weight > bestWeight) {
      best = f;
      bestWeight = weight;
    }
  }
  return best;
}
