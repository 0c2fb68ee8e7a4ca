/**
 * `npx tsx scripts/make-tight-crops.ts`: writes the two tight-crop sets of
 * test/fixtures/datasets, 150 x 150 grey crops inside a face (forehead and chin
 * cut off), the kind of crop SSD was never trained on and rarely detects:
 * - lfw10-tight/<Person>/*: each 250 x 250 lfw10 photo's central 100 x 100
 *   square (4 px below the centre). LFW photos are centred on the face, so the
 *   square lies inside it, whatever any detector says.
 * - groups-tight/*: the middle of each of the 22 faces of the six group photos
 *   (boxes as drawn by hand-checked SSD runs, test/vision/face-detection.test.ts):
 *   a square of 70 % of the box width, centred 55 % down the box.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DATASETS, LFW10_DIR } from '../test/helpers/datasets.js';

const GROUP_FACES: Record<string, number[][]> = {
  sample1: [[414, 355, 177, 240], [838, 421, 186, 228], [1476, 199, 203, 241]],
  sample2: [[1447, 153, 194, 242], [902, 220, 151, 233], [361, 126, 153, 259]],
  sample3: [[585, 329, 199, 271], [1514, 292, 170, 280], [1075, 215, 220, 299]],
  sample4: [[664, 53, 187, 258], [257, 185, 162, 245], [989, 180, 169, 227], [1277, 144, 145, 244]],
  sample5: [[787, 109, 156, 212], [1113, 198, 158, 236], [1406, 390, 165, 271], [598, 415, 166, 249], [377, 859, 172, 301]],
  sample6: [[681, 321, 160, 307], [1180, 305, 188, 280], [1487, 263, 212, 296], [250, 468, 210, 291]],
};

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
