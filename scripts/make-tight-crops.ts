/**
 * `npx tsx scripts/make-tight-crops.ts`: writes the two tight-crop sets of
 * test/fixtures/datasets, 150 x 150 grey crops inside a face (forehead and chin
 * cut off), the kind of crop SSD was never trained on and rarely detects:
 * - lfw10-tight/<Person>/*: each 250 x 250 lfw10 photo's central 100 x 100
 *   square (4 px below the centre). LFW photos are centred on the face, so the
 *   square lies inside it, whatever any detector says.
 * - groups-tight/*: the middle of each of the 22 faces of the six group photos
 *   (GROUP_FACES in test/helpers/datasets.ts):
 *   a square of 70 % of the box width, centred 55 % down the box.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DATASETS, GROUP_FACES, LFW10_DIR } from '../test/helpers/datasets.js';


const tight = (image: sharp.Sharp, left: number, top: number, side: number, out: string) =>
  image.extract({ left, top, width: side, height: side }).resize(150, 150).grayscale().jpeg({ quality: 90 }).toFile(out);

const lfwOut = path.join(DATASETS, 'lfw10-tight');
for (const person of (await fs.readdir(LFW10_DIR)).sort()) {
  await fs.mkdir(path.join(lfwOut, person), { recursive: true });
  for (const file of (await fs.readdir(path.join(LFW10_DIR, person))).sort()) {
    await tight(sharp(path.join(LFW10_DIR, person, file)), 75, 79, 100, path.join(lfwOut, person, file));
  }
}

const groupsOut = path.join(DATASETS, 'groups-tight');
await fs.mkdir(groupsOut, { recursive: true });
for (const [photo, boxes] of Object.entries(GROUP_FACES)) {
  for (const [i, [x, y, w, h]] of boxes.entries()) {
    const side = Math.round(0.7 * w);
    const cx = x + w / 2;
    const cy = y + 0.55 * h;
    await tight(sharp(path.join(DATASETS, 'groups', `${photo}.jpg`)), Math.round(cx - side / 2), Math.round(cy - side / 2), side, path.join(groupsOut, `${photo}-face${i + 1}.jpg`));
  }
}
console.log(`wrote ${lfwOut} and ${groupsOut}`);
