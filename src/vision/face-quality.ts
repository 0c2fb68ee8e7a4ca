import { centre } from './alignment.js';
import type { Point, RgbImage } from './types.js';

/** What the pipeline measures of a face, from which its quality is judged. */
export interface FaceSignals {
  /** Distance between the eye centres, in original-photo pixels. */
  eyeSpan: number;
  /** The landmark net's disagreement with itself on the mirror image (see landmark-averaging.ts). */
  disagreement: number;
  /** Detector score (1 for a whole-image or drawn face). */
  score: number;
  /** Mean cosine distance between the descriptors of the chips at different margins. */
  spread: number;
  /** Mean length of the raw descriptors. */
  rawNorm: number;
  /** Variance of the Laplacian of the grey chip over its grey variance: sharpness, independent of contrast. */
  sharpness: number;
  /** Standard deviation of the grey chip (0-255). */
  contrast: number;
  /** Nose tip across from the eyes' midpoint, in eye spans: 0 frontal, ~0.5 and more in profile. */
  yaw: number;
}

export function chipSharpness(chip: RgbImage): { sharpness: number; contrast: number } {
  const { width, height, data } = chip;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
  let sum = 0;
  let sq = 0;
  for (const g of grey) {
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

export function yawOf(points: readonly Point[]): { eyeSpan: number; yaw: number } {
  const left = centre(points.slice(36, 42));
  const right = centre(points.slice(42, 48));
  const nose = points[30];
  const ex = right.x - left.x;
  const ey = right.y - left.y;
  const eyeSpan = Math.hypot(ex, ey) || 1e-9;
  const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
  // The nose's offset along the eye line, in eye spans.
  return { eyeSpan, yaw: ((nose.x - mid.x) * ex + (nose.y - mid.y) * ey) / (eyeSpan * eyeSpan) };
}
