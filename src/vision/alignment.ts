import type { Box, Point } from './types.js';

// face-api's dlib-style alignment constants: the crop is centred on the eyes and
// mouth and sized from the eye-to-mouth distance, so that every face reaches the
// encoder at the same scale whatever box the detector drew.
const REL_X = 0.5;
const REL_Y = 0.43;
const REL_SCALE = 0.45;

function centre(points: Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/**
 * The square crop the recognition net is fed, from 68 landmarks: a port of
 * face-api's `FaceLandmarks.align(null, { useDlibAlignment: true })`, kept here
 * so that every engine crops identically.
 */
export function dlibAlignedCrop(landmarks: Point[], image: { width: number; height: number }): Box {
  const leftEye = centre(landmarks.slice(36, 42));
  const rightEye = centre(landmarks.slice(42, 48));
  const mouth = centre(landmarks.slice(48, 68));
  const toMouth = (p: Point) => Math.hypot(mouth.x - p.x, mouth.y - p.y);
  const size = Math.floor((toMouth(leftEye) + toMouth(rightEye)) / 2 / REL_SCALE);
  const ref = centre([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, ref.x - REL_X * size));
  const y = Math.floor(Math.max(0, ref.y - REL_Y * size));
  return { x, y, width: Math.min(size, image.width + x), height: Math.min(size, image.height + y) };
}
