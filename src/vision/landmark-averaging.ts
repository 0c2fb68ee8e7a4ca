import { FramedImage, type Rgb } from './framed-image.js';
import type { Box, FaceEngine, Point, RgbImage } from './types.js';

/**
 * For each of the 68 points (iBUG 300-W order), the point it becomes in a
 * mirrored face: the jaw runs the other way, left and right eyebrows, eyes,
 * nostrils and mouth corners swap, the midline stays.
 */
export const MIRRORED_68: readonly number[] = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35, 34, 33, 32, 31, 45,
  44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64, 63, 62, 61, 60, 67, 66, 65,
];

/** The landmarks of one box, and how far the net's two readings of it disagreed. */
export interface LandmarkFit {
  /** 68 points, the mean of the direct and the mirrored reading. */
  points: Point[];
  /**
   * Mean distance between the direct and the mirrored reading of each point,
   * over the box's diagonal. The net was trained on faces only: on a face it
   * reads the same points in the photo and in its mirror image (0.008-0.046 on
   * every face of lfw10, knn, edge and the demo photos), on anything else it
   * draws a face-shaped guess that the mirror image does not repeat (0.07-0.20
   * on the noface photos, 0.105 on the cat). See face-check.ts.
   */
  disagreement: number;
}

/**
 * 68 landmarks per box, averaged over the photo and its mirror image
 * (test-time augmentation of the landmark net). The net's errors on a face
 * and on its mirror are partly independent, so the average is steadier, and
 * the alignment built on it is too (docs/quality.md, Chip paddings).
 * How much the two readings disagree is kept: it tells a face from a thing.
 */
export async function averagedLandmarks(engine: FaceEngine, image: RgbImage, boxes: Box[]): Promise<LandmarkFit[]> {
  if (boxes.length === 0) return [];
  const direct = await engine.landmarks(image, boxes);
  const mirroredBoxes = boxes.map((b) => ({ ...b, x: image.width - b.x - b.width }));
  const flipped = await engine.landmarks(mirroredInside(image, mirroredBoxes), mirroredBoxes);
  return direct.map((points, i) => {
    let distance = 0;
    const averaged = points.map((p, j) => {
      const q = flipped[i][MIRRORED_68[j]];
      const x = image.width - q.x;
      distance += Math.hypot(p.x - x, p.y - q.y);
      return { x: (p.x + x) / 2, y: (p.y + q.y) / 2 };
    });
    const diagonal = Math.hypot(boxes[i].width, boxes[i].height);
    return { points: averaged, disagreement: distance / points.length / diagonal };
  });
}

/**
 * The nudged copies of a box on which a doubtful reading is repeated: shifted
 * by 6 % of the box across and down, and scaled by 0.88 and 1.12 about its
 * centre (dx, dy, scale). A detector's box is itself off by that much from
 * photo to photo; on a face the net's readings hardly move, on a thing that
 * only looks face-like from one box they scatter (the cat of noface/chelsea.png:
 * one box 0.050, its nudged copies 0.034-0.111).
 */
const NUDGES: readonly (readonly [number, number, number])[] = [
  [0.06, 0, 1],
  [-0.06, 0, 1],
  [0, 0.06, 1],
  [0, -0.06, 1],
  [0, 0, 0.88],
  [0, 0, 1.12],
];

/**
 * Mean landmark disagreement over each box and its {@link NUDGES} (seven readings
 * a box, all boxes in one batch): a steadier measure than one reading. See
 * face-check.ts for where it is used.
 */
export async function nudgedDisagreement(engine: FaceEngine, image: RgbImage, boxes: Box[], fits: LandmarkFit[]): Promise<number[]> {
  if (boxes.length === 0) return [];
  const nudged = boxes.flatMap((b) =>
    NUDGES.map(([dx, dy, s]) => {
      const width = b.width * s;
      const height = b.height * s;
      return { x: b.x + b.width * dx + (b.width - width) / 2, y: b.y + b.height * dy + (b.height - height) / 2, width, height };
    }),
  );
  const readings = await averagedLandmarks(engine, image, nudged);
  return boxes.map((_, i) => {
    const own = readings.slice(i * NUDGES.length, (i + 1) * NUDGES.length);
    return own.reduce((sum, r) => sum + r.disagreement, fits[i].disagreement) / (own.length + 1);
  });
}

/** Pixels around a box that are copied too: the engines clip and floor boxes, and must only ever read copied pixels. */
const MIRROR_MARGIN = 2;
const BLACK: Rgb = [0, 0, 0];

/**
 * The image mirrored left-right, but only inside `boxes` (mirrored
 * coordinates) plus a margin; the rest is black. The landmark net only looks
 * inside the boxes, and mirroring a whole 1920-px photo pixel by pixel cost
 * more than the net itself. Only the rectangle around the boxes is allocated
 * (a {@link FramedImage} on black, which the ONNX engine reads in place): a
 * full-size black image was 7 MB per call for a 1920-px photo.
 */
export function mirroredInside(image: RgbImage, boxes: readonly Box[]): RgbImage {
  const { width, height, data } = image;
  const spans = boxes
    .map((b) => ({
      x0: Math.max(0, Math.floor(b.x) - MIRROR_MARGIN),
      x1: Math.min(width, Math.ceil(b.x + b.width) + MIRROR_MARGIN),
      y0: Math.max(0, Math.floor(b.y) - MIRROR_MARGIN),
      y1: Math.min(height, Math.ceil(b.y + b.height) + MIRROR_MARGIN),
    }))
    .filter((s) => s.x1 > s.x0 && s.y1 > s.y0);
  if (spans.length === 0) return new FramedImage({ data: new Uint8Array(0), width: 0, height: 0 }, 0, 0, width, height, BLACK);
  const left = Math.min(...spans.map((s) => s.x0));
  const top = Math.min(...spans.map((s) => s.y0));
  const pw = Math.max(...spans.map((s) => s.x1)) - left;
  const ph = Math.max(...spans.map((s) => s.y1)) - top;
  const patch = new Uint8Array(pw * ph * 3);
  for (const { x0, x1, y0, y1 } of spans) {
    for (let y = y0; y < y1; y++) {
      // Patch pixel (x - left, y - top) is image pixel (width - 1 - x, y).
      let o = ((y - top) * pw + (x0 - left)) * 3;
      let i = (y * width + width - 1 - x0) * 3;
      for (let x = x0; x < x1; x++, o += 3, i -= 3) {
        patch[o] = data[i];
        patch[o + 1] = data[i + 1];
        patch[o + 2] = data[i + 2];
      }
    }
  }
  return new FramedImage({ data: patch, width: pw, height: ph }, left, top, width, height, BLACK);
}
