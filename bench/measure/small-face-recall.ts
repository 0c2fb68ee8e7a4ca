/**
 * `npx tsx bench/measure/small-face-recall.ts [--input fit,face-api]`
 *
 * How many small faces the detector finds in large photos with each
 * FACEGRAPH_DETECT_INPUT (strips at the tiles' scale, or 768-px tiles), made
 * from the demo group photos, lfw10 and the noface textures with sharp:
 * - mosaics: 1920 x 1280 photos full of faces of 32-65 px (the six group
 *   photos shrunk, as in test/vision/face-detection.test.ts; lfw10 portraits
 *   on noface textures);
 * - sparse photos: two lfw10 faces of 32-72 px pasted at random places (fixed
 *   seed) into the group photos and noface textures, 1920 px wide and 1280 or
 *   1500 high.
 * A face counts as found when a detection overlaps its box by IoU > 0.3.
 * Detection only (the pipeline's first stage), int8 as the default engine.
 * The group photos are face-api's (its npm package), the textures the package
 * photos of test/fixtures/photos/noface, lfw10 is read from FACEGRAPH_DATASETS:
 * without it only the group-photo mosaics are measured, and the script says so.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { detectFaces, type DetectorInput } from '../../src/vision/face-detector.js';
import type { Box, RgbImage } from '../../src/vision/types.js';
import { DEMO_DIR, GROUP_FACES, LFW10_DIR, NOFACE_DIR, needsDatasets } from '../../test/support/datasets.js';
import { groupPhotoMosaic } from '../../test/support/mosaic.js';

const { values } = parseArgs({ options: { input: { type: 'string', default: 'fit,face-api' } } });
const inputs = values.input.split(',') as DetectorInput[];
const config = loadConfig(process.env);
const engine = createEngine(config);

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const i = Math.max(0, w) * Math.max(0, h);
  return i / (a.width * a.height + b.width * b.height - i);
}

async function raw(image: sharp.Sharp): Promise<RgbImage> {
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

interface TestPhoto {
  name: string;
  image: RgbImage;
  truth: Box[];
}

/** lfw10's portraits with the box of their main face (the detector's, at 512). */
async function portraits(): Promise<{ file: string; box: Box }[]> {
  const dir = LFW10_DIR;
  const out = [];
  for (const person of (await fs.readdir(dir)).sort()) {
    for (const file of (await fs.readdir(path.join(dir, person))).sort()) {
      const [face] = await engine.detect(await raw(sharp(path.join(dir, person, file))), { minScore: 0.5, maxFaces: 1 });
      if (face) out.push({ file: path.join(dir, person, file), box: face.box });
    }
  }
  return out;
}

async function groupMosaic(faceSize: number): Promise<TestPhoto> {
  const { bytes, truth } = await groupPhotoMosaic(faceSize);
  return { name: `group photos, faces ~${faceSize} px`, image: await raw(sharp(bytes)), truth };
}

async function lfwMosaic(people: { file: string; box: Box }[], texture: string, faceSize: number, first: number): Promise<TestPhoto> {
  const background = await sharp(path.join(NOFACE_DIR, texture))
    .resize({ width: 1920, height: 1280, fit: 'fill' })
    .removeAlpha()
    .toBuffer();
  const side = Math.round((250 * faceSize) / 105);
  const gap = Math.round(side * 0.6);
  const composites: sharp.OverlayOptions[] = [];
  const truth: Box[] = [];
  let k = first;
  for (let top = 20; top + side < 1260; top += side + gap) {
    for (let left = 20 + ((top / 7) % gap); left + side < 1900; left += side + gap) {
      const { file, box } = people[k++ % people.length];
      composites.push({ input: await sharp(file).resize({ width: side, height: side }).toBuffer(), left: Math.round(left), top });
      const f = side / 250;
      truth.push({ x: Math.round(left) + box.x * f, y: top + box.y * f, width: box.width * f, height: box.height * f });
    }
  }
  const bytes = await sharp(background, { raw: undefined }).composite(composites).jpeg({ quality: 90 }).toBuffer();
  return { name: `lfw10 on ${texture}, faces ~${faceSize} px`, image: await raw(sharp(bytes)), truth };
}

async function sparsePhotos(people: { file: string; box: Box }[], height: number): Promise<TestPhoto[]> {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const backgrounds = [
    ...Object.keys(GROUP_FACES).map((n) => path.join(DEMO_DIR, `${n}.jpg`)),
    ...['grass.png', 'brick.png', 'gravel.png', 'coffee.png'].map((n) => path.join(NOFACE_DIR, n)),
  ];
  const photos: TestPhoto[] = [];
  for (const file of backgrounds) {
    const group = file.startsWith(DEMO_DIR);
    const base = sharp(file)
      .resize({ width: 1920, height: group ? undefined : height, fit: 'fill' })
      .removeAlpha();
    const { info } = await base.clone().toBuffer({ resolveWithObject: true });
    const taken: Box[] = (GROUP_FACES[path.basename(file, '.jpg')] ?? []).map(([x, y, w, h]) => ({ x, y, width: w, height: h }));
    for (let trial = 0; trial < (height === 1280 ? 6 : 8); trial++) {
      const composites: sharp.OverlayOptions[] = [];
      const truth: Box[] = [];
      const placed = [...taken];
      for (let n = 0; n < 2; n++) {
        const faceSize = [32, 40, 48, 60, 72][Math.floor(random() * 5)];
        const { file: face, box } = people[Math.floor(random() * people.length)];
        const side = Math.round((250 * faceSize) / box.width);
        let at: Box;
        let tries = 0;
        do {
          at = { x: Math.floor(random() * (info.width - side)), y: Math.floor(random() * (info.height - side)), width: side, height: side };
        } while (
          ++tries < 50 &&
          placed.some((p) => p.x < at.x + side && at.x < p.x + p.width && p.y < at.y + side && at.y < p.y + p.height)
        );
        placed.push(at);
        composites.push({ input: await sharp(face).resize({ width: side, height: side }).toBuffer(), left: at.x, top: at.y });
        const f = side / 250;
        truth.push({ x: at.x + box.x * f, y: at.y + box.y * f, width: box.width * f, height: box.height * f });
      }
      const bytes = await base.clone().composite(composites).jpeg({ quality: 90 }).toBuffer();
      photos.push({ name: `${path.basename(file)} ${info.width} x ${info.height} #${trial + 1}`, image: await raw(sharp(bytes)), truth });
    }
  }
  return photos;
}

const groupMosaics = await Promise.all([34, 40, 55].map(groupMosaic));
const lfw10Missing = needsDatasets('lfw10');
let sets: [string, TestPhoto[]][];
if (lfw10Missing) {
  process.stderr.write(`group-photo mosaics only, no lfw10 mosaics or sparse photos: ${lfw10Missing}\n`);
  sets = [['mosaics (group photos only)', groupMosaics]];
} else {
  const people = await portraits();
  const textures: [string, number][] = [
    ['grass.png', 32],
    ['gravel.png', 38],
    ['brick.png', 45],
    ['coffee.png', 55],
    ['grass.png', 65],
    ['gravel.png', 36],
  ];
  const mosaics = [...groupMosaics, ...(await Promise.all(textures.map(([t, s], i) => lfwMosaic(people, t, s, i * 17))))];
  sets = [
    ['mosaics', mosaics],
    ['sparse, 1920 x 1280', await sparsePhotos(people, 1280)],
    ['sparse, 1920 x 1500', await sparsePhotos(people, 1500)],
  ];
}
for (const [label, photos] of sets) {
  const line: string[] = [];
  for (const input of inputs) {
    let found = 0;
    let passes = 0;
    for (const photo of photos) {
      const located = await detectFaces(engine, photo.image, {
        ...config.vision,
        minFaceSize: 25,
        tileSize: config.vision.detectTileSize,
        tryRotations: false,
        input,
      });
      passes += located.passes;
      found += photo.truth.filter((t) => located.detections.some((d) => iou(d.box, t) > 0.3)).length;
    }
    line.push(`${input}: ${found} found, ${(passes / photos.length).toFixed(2)} passes a photo`);
  }
  const faces = photos.reduce((n, p) => n + p.truth.length, 0);
  process.stdout.write(`${label} (${photos.length} photos, ${faces} faces): ${line.join('; ')}\n`);
}
await engine.dispose();
