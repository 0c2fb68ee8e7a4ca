import { centre } from './alignment.js';
import type { LandmarkFit } from './landmark-averaging.js';
import type { Box, Point } from './types.js';

/**
 * How a face was found: by the SSD detector, or — for a photo in which the
 * detector found nothing — as the whole image, when the image is itself a
 * tight crop of a face (forehead and chin cut off, which SSD was never trained
 * to see), or in a box a user drew (`manual`), which is checked like a
 * detector box.
 */
export type FaceSource = 'detector' | 'whole-image' | 'manual';

/** Why a candidate is not taken as a human face. */
export type FaceRejection = 'landmarks-disagree' | 'box-shape' | 'face-geometry';

/**
 * Largest landmark disagreement (see {@link LandmarkFit.disagreement}) of a
 * detector box kept as a face. Measured with the ONNX engine on every photo in
 * the repository's datasets: the main faces of lfw10, knn and edge and the 22
 * faces of the demo group photos 0.008-0.046 (the highest a turned face in
 * sample2), the tight crops of lfw10 at most 0.031; the cat of
 * noface/chelsea.png 0.105 (SSD score 0.93); the whole noface photos
 * 0.070-0.20. The bound sits half-way (geometrically) between the faces'
 * 0.046 and the cat's 0.105, not just above the faces seen so far: a real
 * face missed on a photo nobody tuned on costs as much as a false one. The
 * price: lfw10's backgrounds hold 3 boxes that fail (0.11-0.13, or too narrow)
 * that are real people but no face to recognise: two half-faces cut by the
 * photo's edge and one blurred 33-px bystander.
 */
export const MAX_DISAGREEMENT = 0.07;
/**
 * The same for the whole-image fallback, which has no detector's word behind
 * it, measured as the fallback reads an image (padded, box grown: see
 * face-pipeline.ts): stricter, half-way (geometrically) between lfw10's tight
 * crops (at most 0.019) and the closest noface photo (0.047, coffee.png). 7 of the 22 crops cut from the
 * group photos pass; the other 15 (tilted heads, eyes closed, off-centre:
 * 0.030-0.104) stay missed rather than risk a false face.
 */
export const MAX_WHOLE_IMAGE_DISAGREEMENT = 0.03;
/**
 * Above this one reading of a detector or drawn box is doubtful, and the box
 * gets a second look: the mean over it and six nudged copies of it
 * (`nudgedDisagreement` in landmark-averaging.ts) must stay within
 * {@link MAX_NUDGED_DISAGREEMENT}. One reading is not enough near the bound:
 * the cat of noface/chelsea.png reads 0.029-0.129 as its box moves by 1-4 px,
 * so whether it passed was chance (it passed with the int8 detector's box,
 * 0.050). Measured with both detectors (fp32, int8) on every face of lfw10,
 * knn, edge and the demo photos and on the 13 noface photos each also cut by
 * 4 px at 15 offsets: 6-11 of 152 faces read above 0.035, and every box of a
 * noface photo that one reading let through read 0.039 or more.
 */
export const DOUBTFUL_DISAGREEMENT = 0.035;
/**
 * Bound on the mean of the seven readings of a doubtful box. The faces'
 * means were at most 0.054 (a turned head in sample2) but one, a blurred
 * 42-px bystander of lfw10's Colin_Powell_0010 (0.074-0.075: it is dropped);
 * the noface boxes' at least 0.073 (coins.png, fp32) and 0.076 (the cat,
 * int8). The bound sits half-way (geometrically) between 0.054 and 0.073.
 */
export const MAX_NUDGED_DISAGREEMENT = 0.064;
/**
 * A doubtful detector box that SSD itself scores below this is two weak
 * votes, and its nudged mean must stay within {@link MAX_NUDGED_WEAK}. The
 * noface photos cut by 1-7 px, rescaled and turned by 3 degrees (40 + 19
 * variants each, both detectors) let three boxes through the nudged bound
 * alone: a coin of coins.png (score 0.55, mean 0.063, fp32) and the cup of
 * coffee.png twice (0.51 and 0.54, means 0.056 and 0.062, int8); every noface
 * box near the bound scored 0.50-0.60 (the cat 0.89-0.93 reads 0.060 at best,
 * but no single reading of it passes). Among the faces only one doubtful box
 * scores below 0.7 (lfw10's Ariel_Sharon_0004 bystander, int8: 0.58).
 */
export const WEAK_SCORE = 0.7;
/**
 * Bound on a weak doubtful box's nudged mean: half-way (geometrically) between
 * that one face's 0.040 and the lowest noface box's 0.056.
 */
export const MAX_NUDGED_WEAK = 0.047;
/**
 * Width / height of a detector box that can be a face. SSD's face boxes are a
 * little taller than wide: 0.56-1.22 on every true face of the datasets. The
 * false box that became the main face of a red-carpet photo (an upper body
 * below the face, 389 x 190) was 2.05.
 */
const BOX_ASPECT = { min: 0.45, max: 1.5 } as const;
/** Eye-to-mouth distance over the distance between the eyes: 0.74-1.83 on the datasets' faces. */
const EYE_MOUTH_RATIO = { min: 0.6, max: 2.2 } as const;
/** Head roll beyond which the whole-image fallback does not believe in a face (an upright crop; 43 degrees the most seen). */
const MAX_WHOLE_IMAGE_ROLL_DEGREES = 45;
/** A whole image taken as a face must be mostly face: eyes at least this far apart, in box widths (tight crops 0.3-0.38 of the grown box). */
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
export function checkFace(fit: LandmarkFit, box: Box, source: FaceSource, nudged?: number, score?: number, shapeVouched = false): FaceCheck {
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
  if (!wholeImage && !shapeVouched && (aspect < BOX_ASPECT.min || aspect > BOX_ASPECT.max)) return { isFace: false, rejection: 'box-shape' };
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
 * Whether the verdict on a detector box may turn on a few pixels of the box:
 * one reading doubtful or failing. An int8 detector's boxes lie a few pixels
 * from float32's, and on such a box that shift can decide: the cameraman of
 * oneface/camera.png reads 0.072 in int8's box and 0.046 in float32's, while
 * the cat of noface/chelsea.png reads 0.029-0.129 as its box moves by 1-4 px.
 * The pipeline runs the detector pass that found such a box again in
 * float32 and decides on face-api's own boxes; every noface box, cut, turned
 * or rescaled, with either detector, read above 0.039. Boxes that read
 * clearly (at most {@link DOUBTFUL_DISAGREEMENT}) are decided alike in either.
 */
export function wantsExactBox(fit: LandmarkFit): boolean {
  return fit.disagreement > DOUBTFUL_DISAGREEMENT;
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
 * other face reaches here), the largest area times detector confidence. Size
 * alone let a large doubtful box beat the confident face beside it; the square
 * of the confidence over-rewarded confident bystanders (on lfw10, a 63 x 85
 * bystander at 0.84 beat the 104 x 85 subject at 0.58, and AUC fell from 0.9998
 * to 0.986), so the weight is linear.
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
