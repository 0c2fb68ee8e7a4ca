/**
 * `npx tsx scripts/calibrate-int8-recognition.ts [--out models/recognition-int8-calibration.json]`
 *
 * Measures the value range of every quantization point of the recognition net
 * (float32 graph, `buildRecognitionNetGraph(..., probe)`) on the face chips of
 * the calibration photos (test/support/recognition-chips.ts: lfw10's first five photos
 * of each person, the six group photos, knn's training photos, lfw10 and knn
 * from FACEGRAPH_DATASETS; three chips a
 * face, as the pipeline cuts them), for the int8 recogniser's activation
 * scales. Per point: min, max, percentiles over all values (zeros included),
 * and the [lo, hi] that minimises the expected squared error of uint8
 * quantization (rounding step^2 / 12 inside, the distance to the range
 * outside; ReLU zeros count as exact), and the mean of every channel (for the
 * bias correction of the convs reading it; `inputChannelMeans` for the
 * network input as pixel / 255). Two passes over the chips: extremes, then a
 * histogram of 4096 bins between them.
 *
 * What it showed (models/recognition-int8-calibration.json): no fixed bound,
 * unlike the detector's ReLU6. Conv outputs reach 2.5-15, the residual sums
 * 5-27 (widest in the 32-channel stage: conv32_3 max 27, 99.999th percentile
 * 16), and the 99.999th percentile is 0.5-1.0 of the maximum. Which range the
 * int8 graph takes, and why, is RECOGNITION_RANGE_RULE
 * (src/vision/onnx/convert/recognition-net-int8-graph.ts). Re-run it after a weight
 * change; the int8 descriptors change with the file (within the distances the
 * tests bound).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeNetworkInput } from '../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS } from '../src/vision/onnx/network-specs.js';
import { buildRecognitionNetGraph } from '../src/vision/onnx/convert/recognition-net-graph.js';
import type { RecognitionCalibration, TensorRange } from '../src/vision/onnx/convert/recognition-net-int8-graph.js';
import { loadTfjsWeights } from '../src/vision/onnx/convert/tfjs-weights.js';
import { FACE_API_MODEL_DIR } from '../src/vision/tfjs-engine.js';
import { calibrationPhotos, collectChips } from '../test/support/recognition-chips.js';

const BINS = 4096;
const PERCENTILES = [0.001, 0.01, 0.1, 99.9, 99.99, 99.999];

const { values } = parseArgs({ options: { out: { type: 'string', default: 'models/recognition-int8-calibration.json' } } });
const photos = await calibrationPhotos();
const chips = await collectChips(photos, (done, photo) => process.stderr.write(`\r[${done}/${photos.length}] ${photo}`.padEnd(70)));
process.stderr.write(`\n${chips.length} chips\n`);

const ort = await import('onnxruntime-node');
const spec = NETWORK_SPECS.recognition;
const size = spec.inputSize;
const weights = await loadTfjsWeights(FACE_API_MODEL_DIR, spec.model);
const session = await ort.InferenceSession.create(buildRecognitionNetGraph(weights, size, true), {
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 2,
});
const points = session.outputNames.filter((n) => n !== 'descriptor');

async function eachOutput(visit: (name: string, data: Float32Array, channels: number) => void): Promise<void> {
  const input = new Float32Array(3 * size * size);
  for (const chip of chips) {
    writeNetworkInput(chip.image, { x: 0, y: 0, width: chip.image.width, height: chip.image.height }, spec, input, 0);
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, size, size]) });
    for (const name of points) visit(name, out[name].data as Float32Array, out[name].dims[1]);
  }
}

const lo = new Map(points.map((n) => [n, Infinity]));
const hi = new Map(points.map((n) => [n, -Infinity]));
/** Per channel, the sum of its values over all chips (for the means). */
const sums = new Map<string, Float64Array>();
const counts = new Map<string, number>();
await eachOutput((name, data, channels) => {
  let a = lo.get(name)!;
  let b = hi.get(name)!;
  for (const v of data) {
    if (v < a) a = v;
    if (v > b) b = v;
  }
  lo.set(name, a);
  hi.set(name, b);
  addChannelSums(name, data, channels);
});
// The int8 graph's input is x = pixel / 255 (the mean is in the first conv's bias).
for (const chip of chips) {
  const { data, width, height } = chip.image;
  const planar = new Float32Array(data.length);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) planar[c * width * height + i] = data[3 * i + c] / 255;
  addChannelSums('input', planar, 3);
}

/** Adds each channel's values of one NCHW output (batch 1) to its sums. */
function addChannelSums(name: string, data: Float32Array, channels: number): void {
  const plane = data.length / channels;
  let sum = sums.get(name);
  if (!sum) sums.set(name, (sum = new Float64Array(channels)));
  for (let c = 0; c < channels; c++) for (let i = c * plane; i < (c + 1) * plane; i++) sum[c] += data[i];
  counts.set(name, (counts.get(name) ?? 0) + plane);
}
// Bins between the extremes; exact zeros (ReLU's) apart, since uint8 holds them exactly.
const hists = new Map(points.map((n) => [n, new Float64Array(BINS)]));
const zeros = new Map(points.map((n) => [n, 0]));
await eachOutput((name, data) => {
  const a = lo.get(name)!;
  const width = (hi.get(name)! - a) / BINS;
  const hist = hists.get(name)!;
  let z = 0;
  for (const v of data) {
    if (v === 0) z++;
    else hist[Math.min(BINS - 1, Math.floor((v - a) / width))]++;
  }
  zeros.set(name, zeros.get(name)! + z);
});
await session.release();

const round = (v: number) => Number(v.toPrecision(5));
const channelMeans = (name: string) => Array.from(sums.get(name)!, (v) => round(v / counts.get(name)!));
const tensors: Record<string, TensorRange> = {};
for (const name of points) {
  const a = lo.get(name)!;
  const b = hi.get(name)!;
  const width = (b - a) / BINS;
  const hist = hists.get(name)!;
  const centre = (i: number) => a + (i + 0.5) * width;
  // Zeros sit in the bin holding 0 for the percentiles.
  const withZeros = Float64Array.from(hist);
  if (a <= 0 && b >= 0) withZeros[Math.min(BINS - 1, Math.floor(-a / width))] += zeros.get(name)!;
  const total = withZeros.reduce((s, c) => s + c, 0);
  const percentile = (p: number) => {
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += withZeros[i];
      if (seen >= (total * p) / 100) return p < 50 ? a + i * width : a + (i + 1) * width;
    }
    return b;
  };
  tensors[name] = {
    min: round(a),
    max: round(b),
    percentiles: Object.fromEntries(PERCENTILES.map((p) => [String(p), round(percentile(p))])),
    mse: leastSquaredErrorRange(hist, a, width, centre).map(round) as [number, number],
    channelMeans: channelMeans(name),
  };
}

/**
 * [lo, hi] over bin edges (every 8th, and lo = 0 for non-negative tensors)
 * minimising sum over values of (step^2 / 12 inside, (v - edge)^2 outside),
 * step = (hi - lo) / 255, with prefix sums of count, sum and sum of squares.
 */
function leastSquaredErrorRange(hist: Float64Array, a: number, width: number, centre: (i: number) => number): [number, number] {
  const n = new Float64Array(BINS + 1);
  const s1 = new Float64Array(BINS + 1);
  const s2 = new Float64Array(BINS + 1);
  for (let i = 0; i < BINS; i++) {
    const v = centre(i);
    n[i + 1] = n[i] + hist[i];
    s1[i + 1] = s1[i] + hist[i] * v;
    s2[i + 1] = s2[i] + hist[i] * v * v;
  }
  const edge = (i: number) => a + i * width;
  /** Squared distance to `e` of the values in bins [from, to). */
  const outside = (from: number, to: number, e: number) => s2[to] - s2[from] - 2 * e * (s1[to] - s1[from]) + e * e * (n[to] - n[from]);
  const zeroBin = a >= 0 ? 0 : Math.floor(-a / width);
  const lows = a >= 0 ? [0] : Array.from({ length: Math.ceil((zeroBin + 1) / 8) }, (_, k) => Math.min(zeroBin, k * 8));
  let best: [number, number] = [a, edge(BINS)];
  let bestErr = Infinity;
  for (const i of lows) {
    for (let j = Math.max(zeroBin + 1, i + 1); j <= BINS; j += 8) {
      const l = a >= 0 ? 0 : Math.min(0, edge(i));
      const h = edge(j);
      const step = (h - l) / 255;
      const err = outside(0, i, edge(i)) + ((n[j] - n[i]) * step * step) / 12 + outside(j, BINS, h);
      if (err < bestErr) {
        bestErr = err;
        best = [l, h];
      }
    }
  }
  return best;
}

const calibration: RecognitionCalibration = {
  about: `Value ranges of the recognition net's quantization points on ${chips.length} face chips of ${photos.length} repository photos; made by scripts/calibrate-int8-recognition.ts`,
  photos,
  chips: chips.length,
  inputChannelMeans: channelMeans('input'),
  tensors,
};
// One line per array of numbers: the channel means would otherwise take a line each.
const json = JSON.stringify(calibration, null, 1).replace(/\[[-\d.e,\s]*\]/g, (a) => a.replace(/\s+/g, ''));
await writeFile(values.out, json + '\n');
console.log(`wrote ${values.out}`);
