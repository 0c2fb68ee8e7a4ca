import path from 'node:path';
import sharp from 'sharp';
import type { Box } from '../../src/vision/types.js';
import { DEMO_DIR, GROUP_FACES } from './datasets.js';

/**
 * A 1920 x 1280 JPEG mosaic of the six demo group photos, each shrunk so its
 * faces measure about `faceSize` px (the faces are ~185 px in the photos), on
 * grey, with the faces' boxes: small faces in a large photo, for the detector's
 * tests and bench/measure/small-face-recall.ts. `dir` holds sample1-6.jpg (face-api's npm package by default).
 */
export async function groupPhotoMosaic(faceSize: number, dir = DEMO_DIR): Promise<{ bytes: Buffer; truth: Box[] }> {
  const factor = faceSize / 185;
  const cw = Math.round(1920 * factor);
  const ch = Math.round(1400 * factor);
  const composites: sharp.OverlayOptions[] = [];
  const truth: Box[] = [];
  const names = Object.keys(GROUP_FACES);
  for (let k = 0, r = 0; (r + 1) * (ch + 8) <= 1280; r++) {
    for (let c = 0; (c + 1) * (cw + 8) <= 1920; c++, k++) {
      const name = names[k % names.length];
      const file = path.join(dir, `${name}.jpg`);
      const { height = 0 } = await sharp(file).metadata();
      const left = c * (cw + 8) + 4;
      const top = r * (ch + 8) + 4;
      composites.push({ input: await sharp(file).resize({ width: cw, height: ch, fit: 'fill' }).toBuffer(), left, top });
      for (const [x, y, w, h] of GROUP_FACES[name]) {
        truth.push({ x: left + (x * cw) / 1920, y: top + (y * ch) / height, width: (w * cw) / 1920, height: (h * ch) / height });
      }
    }
  }
  const bytes = await sharp({ create: { width: 1920, height: 1280, channels: 3, background: { r: 120, g: 120, b: 120 } } })
    .composite(composites)
    .jpeg({ quality: 92 })
    .toBuffer();
  return { bytes, truth };
}
