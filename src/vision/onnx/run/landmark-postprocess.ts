import type { Box, Point } from '../../types.js';

const f32 = Math.fround;

/**
 * face-api's `FaceLandmark68NetBase.postProcess` followed by the tfjs engine's
 * mapping to photo coordinates, for one face: the net's 136 outputs (x, y
 * interleaved, relative to the padded 112 x 112 square) are scaled, un-padded
 * and divided by the crop's scaled size in float32, then placed on the crop.
 *
 * face-api subtracts |w - h| / 2 as the padding while `padToSquare` put
 * round(|w - h| / 2) after the image and the rest before; the half pixel this
 * costs on odd differences is reproduced, not fixed, because the reference
 * engine defines the correct output.
 */
export function landmarksToImage(output: Float32Array, offset: number, crop: Box, inputSize: number): Point[] {
  const { width, height } = crop;
  const scale = inputSize / Math.max(height, width);
  const scaledWidth = width * scale;
  const scaledHeight = height * scale;
  const pad = Math.abs(scaledWidth - scaledHeight) / 2;
  const padX = f32(scaledWidth < scaledHeight ? pad : 0);
  const padY = f32(scaledHeight < scaledWidth ? pad : 0);
  const divX = f32(scaledWidth);
  const divY = f32(scaledHeight);
  const size = f32(inputSize);
  const points: Point[] = new Array(68);
  for (let i = 0; i < 68; i++) {
    const relX = f32(f32(f32(output[offset + 2 * i] * size) - padX) / divX);
    const relY = f32(f32(f32(output[offset + 2 * i + 1] * size) - padY) / divY);
    // FaceLandmarks stores rel * size and gives back (rel * size) / size; kept for exactness.
    points[i] = { x: crop.x + ((relX * width) / width) * width, y: crop.y + ((relY * height) / height) * height };
  }
  return points;
}
