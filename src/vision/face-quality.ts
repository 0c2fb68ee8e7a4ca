import { eyeSpanOf } from './face-check.js';
import type { LandmarkFit } from './landmark-averaging.js';
import type { RgbImage } from './types.js';

/** What the pipeline measures of a face, from which its quality is judged. */
export interface FaceSignals {
  /** Distance between the eye centres, in pixels of the image the networks saw. */
  eyeSpan: number;
  /** Variance of the Laplacian of the grey face chip over its grey variance: sharpness, whatever the contrast. */
  sharpness: number;
  /** Standard deviation of the grey chip (0-255). */
  contrast: number;
  /** The landmark net's disagreement with itself on the mirror image (see landmark-averaging.ts). */
  disagreement: number;
}

/**
 * How far (cosine distance) a face's embedding may move from the clean photo's and still be good: the
 * room between the same-person threshold (0.07) and a same-person pair's usual distance on lfw10 (about
 * 0.045-0.05); a face that moves further can leave its person or reach into another's.
 */
export const GOOD_DRIFT = 0.02;

/** Below this quality a face is poor: it is stored and shown, but never makes, joins or bridges a person. */
export const POOR_QUALITY = 0.5;

/** A logistic model of {@link featuresOf}: quality = 1 / (1 + e^-(bias + weights . features)). */
export interface QualityWeights {
  bias: number;
  weights: number[];
}

/** Fitted by `npx tsx scripts/fit-face-quality.ts` (docs/quality.md has its figures). */
const WEIGHTS: QualityWeights = { bias: 2.884, weights: [0.594, 0.946, 2.241, -4.399] };

/**
 * The model's inputs: log eye span, log sharpness, contrast, landmark disagreement. (Pose, the nose off
 * the eye line, was tried and left out: on the training copies it told good from poor no better than chance.)
 */
export function featuresOf(s: FaceSignals): number[] {
  return [Math.log(Math.max(1, s.eyeSpan)), Math.log(Math.max(1e-4, s.sharpness)), s.contrast / 64, s.disagreement * 10];
}

/**
 * The probability that the face's embedding lies within {@link GOOD_DRIFT} of where a clean, large,
 * sharp photo of the same face puts it: a logistic model of the signals, trained on lfw10's faces
 * made smaller, blurred, faded and compressed.
 */
export function faceQuality(s: FaceSignals): number {
  const x = featuresOf(s);
  const z = WEIGHTS.bias + x.reduce((a, v, j) => a + WEIGHTS.weights[j] * v, 0);
  return 1 / (1 + Math.exp(-z));
}

/** The signals of a face from its landmarks (in the pixels the networks saw) and its middle face chip. */
export function faceSignals(fit: LandmarkFit, chip: RgbImage): FaceSignals {
  return { eyeSpan: eyeSpanOf(fit.points), ...chipSharpness(chip), disagreement: fit.disagreement };
}

/** Whether a face is poor ({@link POOR_QUALITY}); a face stored before quality was measured is not. */
export function isPoorQuality(quality: number | null | undefined): boolean {
  return quality !== null && quality !== undefined && quality < POOR_QUALITY;
}

function chipSharpness(chip: RgbImage): { sharpness: number; contrast: number } {
  const { width, height, data } = chip;
  const grey = new Float32Array(width * height);
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < grey.length; i++) {
    const g = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
    grey[i] = g;
    sum += g;
    sq += g * g;
  }
  const mean = sum / grey.length;
  const variance = Math.max(1e-6, sq / grey.length - mean * mean);
  let lsum = 0;
  let lsq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = grey[i - 1] + grey[i + 1] + grey[i - width] + grey[i + width] - 4 * grey[i];
      lsum += l;
      lsq += l * l;
      n++;
    }
  }
  const lmean = lsum / n;
  return { sharpness: (lsq / n - lmean * lmean) / variance, contrast: Math.sqrt(variance) };
}
