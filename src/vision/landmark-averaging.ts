import { cropImage } from './alignment.js';
import type { Box, FaceEngine, Point, RgbImage } from './types.js';

/**
 * For each of the 68 points (iBUG 300-W order), the point it becomes in a
 * mirrored face: the jaw runs the other way, left and right eyebrows, eyes,
 * nostrils and mouth corners swap, the midline stays.
 */
export const MIRRORED_68: readonly number[] = [
  16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 27, 28, 29, 30, 35,
  34, 33, 32, 31, 45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55, 64,
  63, 62, 61, 60, 67, 66, 65,
];

/**
 * 68 landmarks per box, averaged over the photo and its mirror image
 * (test-time augmentation of the landmark net). The net's errors on a face
 * and on its mirror are partly independent, so the average is steadier, and
 * the alignment built on it is too: on lfw10 this, with multi-scale chips,
 * raised the best balanced accuracy from 0.991 to 0.994 (see calibration.ts).
 */
export async function averagedLandmarks(engine: FaceEngine, image: RgbImage, boxes: Box[]): Promise<Point[][]> {
  if (boxes.length === 0) return [];
  const direct = await engine.landmarks(image, boxes);
  const mirrored = cropImage(image, { x: 0, y: 0, width: image.width, height: image.height }, true);
  const flipped = await engine.landmarks(
    mirrored,
    boxes.map((b) => ({ ...b, x: image.width - b.x - b.width })),
  );
  return direct.map((points, i) =>
    points.map((p, j) => {
      const q = flipped[i][MIRRORED_68[j]];
      return { x: (p.x + image.width - q.x) / 2, y: (p.y + q.y) / 2 };
    }),
  );
}
