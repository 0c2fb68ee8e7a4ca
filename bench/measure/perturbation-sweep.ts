/**
 * `npx tsx bench/measure/perturbation-sweep.ts [--precision fp32,int8,auto] [--none DIR ...] [--some DIR ...]`
 *
 * How steady the face check's verdicts are when a photo changes a little: each
 * photo under a `--none` folder (photos without a face: every face found is a
 * false face) and under a `--some` folder (photos with at least one face: a
 * photo left with none lost its face) is analysed as it is and as 21 variants —
 * cut by 1-7 px at 12 offsets, rescaled by 0.7-1.4, re-encoded as JPEG at
 * 70-95, turned by 3 degrees either way — through the ingestion pipeline at
 * each `--precision` (FACEGRAPH_PRECISION's values). A box whose verdict turns
 * on a few pixels shows up here, not on the photo as it is.
 *
 * Default: `--none test/fixtures/photos/noface --some test/fixtures/photos/oneface` (the package photos).
 * Prints one line per false face or lost face and a summary per precision.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { listPhotos } from '../../src/eval/eval-dataset.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import type { PrecisionSetting } from '../../src/vision/onnx/run/int8-support.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { NOFACE_DIR, ONEFACE_DIR } from '../../test/support/datasets.js';

const { values } = parseArgs({
  options: {
    precision: { type: 'string', default: 'fp32,int8,auto' },
    none: { type: 'string', multiple: true },
    some: { type: 'string', multiple: true },
  },
});
const none = values.none ?? (values.some ? [] : [NOFACE_DIR]);
const some = values.some ?? (values.none ? [] : [ONEFACE_DIR]);

interface Variant {
  name: string;
  make: (bytes: Uint8Array) => Promise<Uint8Array>;
}

const CUTS = [
  [1, 0],
  [0, 1],
  [2, 2],
  [3, 1],
  [1, 3],
  [4, 0],
  [0, 4],
  [5, 0],
  [5, 5],
  [7, 2],
  [2, 7],
  [6, 6],
] as const;
const VARIANTS: Variant[] = [
  { name: 'as is', make: async (b) => b },
  ...CUTS.map(([dx, dy]) => ({
    name: `cut ${dx},${dy}`,
    make: async (b: Uint8Array) => {
      const { width = 0, height = 0 } = await sharp(b).metadata();
      return sharp(b)
        .extract({ left: dx, top: dy, width: width - dx, height: height - dy })
        .png()
        .toBuffer();
    },
  })),
  ...[0.7, 0.85, 1.15, 1.4].map((s) => ({
    name: `scale ${s}`,
    make: async (b: Uint8Array) => {
      const { width = 0 } = await sharp(b).metadata();
      return sharp(b)
        .resize({ width: Math.round(width * s) })
        .png()
        .toBuffer();
    },
  })),
  ...[70, 85, 95].map((q) => ({ name: `jpeg ${q}`, make: async (b: Uint8Array) => sharp(b).jpeg({ quality: q }).toBuffer() })),
  ...[-3, 3].map((deg) => ({
    name: `turn ${deg}`,
    make: async (b: Uint8Array) => sharp(b).rotate(deg, { background: '#808080' }).png().toBuffer(),
  })),
];

const config = loadConfig();
const photos: { file: string; face: boolean }[] = [];
for (const [dirs, face] of [
  [none, false],
  [some, true],
] as const) {
  for (const dir of dirs) photos.push(...(await listPhotos(path.resolve(dir))).map((file) => ({ file, face })));
}
const inputs: { label: string; face: boolean; bytes: Uint8Array }[] = [];
for (const { file, face } of photos) {
  const original = await readFile(file);
  for (const v of VARIANTS) inputs.push({ label: `${path.basename(file)} ${v.name}`, face, bytes: await v.make(original) });
}

for (const precision of values.precision.split(',') as PrecisionSetting[]) {
  const engine = createEngine({ engine: 'onnx', threads: config.threads, precision });
  const pipeline = new FacePipeline(engine, pipelineOptions(config));
  let falseFaces = 0;
  let lost = 0;
  let redetected = 0;
  for (const input of inputs) {
    const result = await pipeline.analyze(input.bytes);
    if (result.redetected) redetected++;
    if (!input.face && result.faces.length > 0) {
      falseFaces += result.faces.length;
      const scores = result.faces.map((f) => `${f.source} ${f.score.toFixed(2)}`).join(', ');
      process.stdout.write(`${precision}\t${input.label}: FALSE FACE (${scores})\n`);
    }
    if (input.face && result.faces.length === 0) {
      lost++;
      process.stdout.write(`${precision}\t${input.label}: FACE LOST\n`);
    }
  }
  const noFace = inputs.filter((i) => !i.face).length;
  process.stdout.write(
    `${precision}\t${noFace} photos without a face: ${falseFaces} false faces; ${inputs.length - noFace} with one: ${lost} lost; re-detected in float32: ${redetected}\n`,
  );
  await engine.dispose();
}
