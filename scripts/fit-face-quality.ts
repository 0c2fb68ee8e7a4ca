/**
 * `FACEGRAPH_DATASETS=... npx tsx scripts/fit-face-quality.ts`: fits the weights of src/vision/face-quality.ts.
 *
 * Every lfw10 photo is analysed as it is and in degraded copies (smaller, blurred, faded and grainy like an
 * old print, dark, JPEG-crushed). A copy's face is good when its embedding lies within GOOD_DRIFT
 * (face-quality.ts) of the clean photo's: it will still find its person and not drift to the
 * "average face" that small and old faces of different people share. A logistic regression of the
 * signals predicts it. It is fitted on five of the ten people and scored on the other five, then on all ten.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { openPipeline } from '../src/cli/eval-sources.js';
import { loadConfig } from '../src/config.js';
import { rocAuc } from '../src/eval/verification-metrics.js';
import { iou } from '../src/vision/box-matching.js';
import { mainFace } from '../src/vision/face-check.js';
import { featuresOf, GOOD_DRIFT, type QualityWeights } from '../src/vision/face-quality.js';
import { cosineDistance } from '../src/vision/vector-math.js';

const config = loadConfig();
if (!config.datasets) {
  process.stderr.write('FACEGRAPH_DATASETS is unset: this fit needs the labelled set lfw10\n');
  process.exit(2);
}
const lfw = path.join(config.datasets, 'lfw10');

type Degrade = (img: sharp.Sharp, side: number) => sharp.Sharp;
const scaled =
  (f: number): Degrade =>
  (img, side) =>
    img.resize(Math.round(side * f));
const VARIANTS: Record<string, { make: Degrade; grain?: number }> = {
  clean: { make: (img) => img },
  'scale 0.5': { make: scaled(0.5) },
  'scale 0.35': { make: scaled(0.35) },
  'scale 0.28': { make: scaled(0.28) },
  'scale 0.22': { make: scaled(0.22) },
  'blur 1.5': { make: (img) => img.blur(1.5) },
  'blur 3': { make: (img) => img.blur(3) },
  'blur 5': { make: (img) => img.blur(5) },
  'scale 0.5 blur 1.2': { make: (img, side) => img.resize(Math.round(side * 0.5)).blur(1.2) },
  'old print': {
    make: (img, side) =>
      img
        .grayscale()
        .linear(0.45, 70)
        .resize(Math.round(side * 0.45))
        .blur(0.8),
    grain: 14,
  },
  'old print small': {
    make: (img, side) =>
      img
        .grayscale()
        .linear(0.4, 75)
        .resize(Math.round(side * 0.3)),
    grain: 10,
  },
  dark: { make: (img) => img.linear(0.25, 0) },
  'jpeg 5': { make: (img) => img.jpeg({ quality: 5 }) },
};

/** Deterministic grain: the same copies on every run. */
async function withGrain(img: sharp.Sharp, amount: number): Promise<Buffer> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = Math.max(0, Math.min(255, data[i] + ((seed / 0x7fffffff) * 2 - 1) * amount));
  }
  return sharp(data, { raw: info }).png().toBuffer();
}

interface Sample {
  person: string;
  variant: string;
  x: number[];
  good: boolean;
  drift: number;
}

const { pipeline, engine } = openPipeline(config);
const samples: Sample[] = [];
const people = (await readdir(lfw)).sort();
for (const person of people) {
  for (const file of (await readdir(path.join(lfw, person))).sort()) {
    const bytes = await readFile(path.join(lfw, person, file));
    const clean = mainFace((await pipeline.analyze(bytes)).faces);
    if (!clean) continue;
    const side = (await sharp(bytes).metadata()).width!;
    for (const [variant, { make, grain }] of Object.entries(VARIANTS)) {
      const img = make(sharp(bytes), side);
      const copy = grain ? await withGrain(img, grain) : await img.toBuffer();
      const found = await pipeline.analyze(copy);
      const f = (await sharp(copy).metadata()).width! / side;
      const at = { x: clean.box.x * f, y: clean.box.y * f, width: clean.box.width * f, height: clean.box.height * f };
      const face = found.faces.find((g) => iou(g.box, at) > 0.3);
      if (!face) continue;
      const drift = cosineDistance(face.embedding, clean.embedding);
      samples.push({ person, variant, x: featuresOf(face.signals), good: drift <= GOOD_DRIFT, drift });
    }
  }
  process.stderr.write(`${person}: ${samples.length} faces so far\n`);
}
await engine.dispose();

/** Logistic regression by gradient descent on standardised features, with a little L2. */
function fit(train: Sample[]): QualityWeights {
  const k = train[0].x.length;
  const mean = Array.from({ length: k }, (_, j) => train.reduce((a, s) => a + s.x[j], 0) / train.length);
  const sd = Array.from({ length: k }, (_, j) => Math.sqrt(train.reduce((a, s) => a + (s.x[j] - mean[j]) ** 2, 0) / train.length) || 1);
  const w = new Array(k).fill(0);
  let b = 0;
  for (let iter = 0; iter < 4000; iter++) {
    const gw = new Array(k).fill(0);
    let gb = 0;
    for (const s of train) {
      const z = b + s.x.reduce((a, v, j) => a + w[j] * ((v - mean[j]) / sd[j]), 0);
      const err = 1 / (1 + Math.exp(-z)) - (s.good ? 1 : 0);
      gb += err;
      s.x.forEach((v, j) => (gw[j] += err * ((v - mean[j]) / sd[j])));
    }
    b -= (0.5 * gb) / train.length;
    w.forEach((_, j) => (w[j] -= 0.5 * (gw[j] / train.length + 1e-3 * w[j])));
  }
  // Back to raw features: z = b + sum w_j (x_j - m_j) / s_j.
  const raw = w.map((wj, j) => wj / sd[j]);
  return { bias: b - raw.reduce((a, rj, j) => a + rj * mean[j], 0), weights: raw };
}

function score(weights: QualityWeights, test: Sample[]) {
  const q = test.map((s) => 1 / (1 + Math.exp(-(weights.bias + s.x.reduce((a, v, j) => a + weights.weights[j] * v, 0)))));
  // AUC of quality for good vs poor (the verification AUC's code: distance = 1 - quality, "same" = good).
  const auc = rocAuc(test.map((s, i) => ({ distance: 1 - q[i], same: s.good })));
  const poor = test.filter((_, i) => q[i] < 0.5);
  const kept = test.filter((_, i) => q[i] >= 0.5);
  const rate = (xs: Sample[]) => (xs.length ? xs.filter((s) => s.good).length / xs.length : Number.NaN);
  return { faces: test.length, auc, goodAmongKept: rate(kept), goodAmongPoor: rate(poor), poor: poor.length };
}

const half = new Set(people.slice(0, 5));
const onHalf = fit(samples.filter((s) => half.has(s.person)));
const all = fit(samples);
const byVariant = Object.keys(VARIANTS).map((v) => {
  const xs = samples.filter((s) => s.variant === v);
  return {
    variant: v,
    faces: xs.length,
    good: xs.filter((s) => s.good).length,
    medianDrift: xs.map((s) => s.drift).sort((a, b) => a - b)[xs.length >> 1],
  };
});
if (process.argv[2]) await writeFile(process.argv[2], samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
console.log(
  JSON.stringify(
    {
      goodDrift: GOOD_DRIFT,
      samples: samples.length,
      good: samples.filter((s) => s.good).length,
      byVariant,
      heldOutPeople: score(
        onHalf,
        samples.filter((s) => !half.has(s.person)),
      ),
      fittedOnAll: { weights: all, ...score(all, samples) },
    },
    null,
    2,
  ),
);
