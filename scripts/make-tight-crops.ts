/**
 * `npx tsx scripts/make-tight-crops.ts`: writes test/fixtures/datasets/lfw10-tight
 * from lfw10: each 250 x 250 photo's central 100 x 100 square (a little below
 * the centre), grey, resized to 150 x 150. LFW photos are centred on the face,
 * so the square lies inside it: forehead and chin cut off, the kind of crop SSD
 * was never trained on and almost never detects. The crop does not depend on any
 * detector, so it cannot flatter one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DATASETS, LFW10_DIR } from '../test/helpers/datasets.js';

const SIDE = 100;
const OUT = path.join(DATASETS, 'lfw10-tight');
const left = Math.round(125 - SIDE / 2);
const top = left + 4;

for (const person of (await fs.readdir(LFW10_DIR)).sort()) {
  await fs.mkdir(path.join(OUT, person), { recursive: true });
  for (const file of (await fs.readdir(path.join(LFW10_DIR, person))).sort()) {
    await sharp(path.join(LFW10_DIR, person, file))
      .extract({ left, top, width: SIDE, height: SIDE })
      .resize(150, 150)
      .grayscale()
      .jpeg({ quality: 90 })
      .toFile(path.join(OUT, person, file));
  }
}
console.log(`wrote ${OUT}`);
