/**
 * `npx tsx scripts/calibrate-int8-detector.ts [--out models/ssd-int8-calibration.json]`
 *
 * Measures the output range of every ReLU6 layer of the SSD detector (float32
 * graph) on the calibration photos, for the int8 detector's activation
 * scales: lfw10's first five photos of each person, the six group photos and
 * knn's training photos (lfw10 and knn from FACEGRAPH_DATASETS), each seen whole as the detector sees a photo (512 x
 * 512, padded at the end). Per layer it records the maximum and high
 * percentiles over all values (zeros included).
 *
 * What it showed (models/ssd-int8-calibration.json): every MobileNet layer
 * reaches 6 (the 99.99th percentile is 6 in 26 of 27 layers: ReLU6 saturates
 * often), so no range tighter than ReLU6's [0, 6] exists, and the int8 graph
 * uses 6/255 everywhere. Only four small prediction layers stay below 5.2.
 * Re-run it after a weight change to see whether that still holds.
 */

/** The committed file: per layer the range measured. */
interface SsdCalibration {
  about: string;
  photos: string[];
  layers: Record<string, Record<string, number>>;
}
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { decodePhoto } from '../src/vision/image-decoder.js';
import { writeNetworkInput } from '../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS } from '../src/vision/onnx/network-specs.js';
import { buildSsdMobilenetGraph } from '../src/vision/onnx/convert/ssd-mobilenet-graph.js';
import { loadTfjsWeights } from '../src/vision/onnx/convert/tfjs-weights.js';
import { FACE_API_MODEL_DIR } from '../src/vision/tfjs-engine.js';
import { calibrationPhotos, photoPath } from '../test/support/recognition-chips.js';

const PERCENTILES = [99.9, 99.99, 99.999];
const BINS_PER_UNIT = 2000;

const { values } = parseArgs({ options: { out: { type: 'string', default: 'models/ssd-int8-calibration.json' } } });
const photos = await calibrationPhotos();

const ort = await import('onnxruntime-node');
const spec = NETWORK_SPECS.detector;
const size = spec.inputSize;
const weights = await loadTfjsWeights(FACE_API_MODEL_DIR, spec.model);
const session = await ort.InferenceSession.create(buildSsdMobilenetGraph(weights, size, true), { graphOptimizationLevel: 'all' });
const layers = session.outputNames.filter((n) => n !== 'box_encodings' && n !== 'class_logits');
const histograms = new Map(layers.map((n) => [n, new Float64Array(6 * BINS_PER_UNIT + 1)]));
const maxima = new Map(layers.map((n) => [n, 0]));

for (const [i, photo] of photos.entries()) {
  const { image } = await decodePhoto(await readFile(await photoPath(photo)), { maxPixels: 100_000_000, maxSide: 1920 });
  const input = new Float32Array(3 * size * size);
  writeNetworkInput(image, { x: 0, y: 0, width: image.width, height: image.height }, spec, input, 0);
  const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, size, size]) });
  for (const name of layers) {
    const data = out[name].data as Float32Array;
    const hist = histograms.get(name)!;
    let max = maxima.get(name)!;
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      hist[Math.round(v * BINS_PER_UNIT)]++;
      if (v > max) max = v;
    }
    maxima.set(name, max);
  }
  process.stderr.write(`\r[${i + 1}/${photos.length}] ${photo}`.padEnd(60));
}
process.stderr.write('\n');
await session.release();

/** The smallest value at or below which `p` percent of the values fall. */
function percentile(hist: Float64Array, p: number): number {
  const total = hist.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= (total * p) / 100) return b / BINS_PER_UNIT;
  }
  return 6;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const calibration: SsdCalibration = {
  about: `ReLU6 output ranges of the SSD detector's layers on ${photos.length} repository photos; made by scripts/calibrate-int8-detector.ts`,
  photos,
  layers: Object.fromEntries(
    layers.map((name) => {
      const hist = histograms.get(name)!;
      const stats = Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, round(percentile(hist, p))]));
      return [name, { max: round(maxima.get(name)!), ...stats }];
    }),
  ),
};
await writeFile(values.out, JSON.stringify(calibration, null, 1) + '\n');
console.log(`wrote ${values.out}`);
