import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { DEMO_DIR, GROUP_FACES } from './demo-photos.js';

/**
 * The two derived tight-crop sets: 150 x 150 grey crops inside a face (forehead
 * and chin cut off), the kind of crop SSD was never trained on. They are made
 * from their source photos when needed, never stored in the repository.
 */
const tight = (file: string, left: number, top: number, side: number, out: string) =>
  sharp(file).extract({ left, top, width: side, height: side }).resize(150, 150).grayscale().jpeg({ quality: 90 }).toFile(out);

/**
 * `<out>/<Person>/*`: each 250 x 250 lfw10 photo's central 100 x 100 square (4 px
 * below the centre). LFW photos are centred on the face, so the square lies inside
 * it, whatever any detector says.
 */
export async function writeLfwTightCrops(lfwDir: string, out: string): Promise<string> {
  for (const person of (await fs.readdir(lfwDir)).sort()) {
    await fs.mkdir(path.join(out, person), { recursive: true });
    for (const file of (await fs.readdir(path.join(lfwDir, person))).sort()) {
      await tight(path.join(lfwDir, person, file), 75, 79, 100, path.join(out, person, file));
    }
  }
  return out;
}

/** `<out>/sampleN-faceK.jpg`: the middle of each of the 22 demo group faces, a square of 70 % of the box width, centred 55 % down it. */
export async function writeGroupTightCrops(out: string, demoDir = DEMO_DIR): Promise<string> {
  await fs.mkdir(out, { recursive: true });
  for (const [photo, boxes] of Object.entries(GROUP_FACES)) {
    for (const [i, [x, y, w, h]] of boxes.entries()) {
      const side = Math.round(0.7 * w);
      const cx = x + w / 2;
      const cy = y + 0.55 * h;
      await tight(
        path.join(demoDir, `${photo}.jpg`),
        Math.round(cx - side / 2),
        Math.round(cy - side / 2),
        side,
        path.join(out, `${photo}-face${i + 1}.jpg`),
      );
    }
  }
  return out;
}
