/**
 * `npx tsx bench/measure/bench-int8-recognition.ts [--runs N] [--threads 1,2] [--batch 3] [--profile]
 *    [--photos calibration|evaluation] [--rules max,mse,p99.99] [--float-layers a,b]`
 *
 * Speed: times the recognition net as float32 and as the two int8 forms
 * (QLinearConv nodes, or QDQ for ONNX Runtime to fuse) on the same face
 * chips, a batch of `--batch` chips a run (3 = one face, as the pipeline
 * embeds it), rotating the variants' order run by run so that a shared
 * machine's load falls on all of them alike; prints the median ms per batch
 * and per chip, the paired ratio (median over runs of fp32 time / int8 time),
 * and the load average before and after. With --profile, which kernels ONNX
 * Runtime ran (by op type): how to check that the convs, adds and pools run
 * as quantized kernels rather than being dequantized back to float.
 *
 * Fidelity: the cosine distance of every chip's int8 descriptor to the
 * float32 one, and of every face's embedding (the pipeline's: the mean of its
 * three unit descriptors, normalised), median / p99 / max, for the engine's
 * int8 graph and for each range rule in --rules (each with and without bias
 * correction), and --float-layers kept float32.
 *
 * The chips are cut by the float32 pipeline (test/support/recognition-chips.ts) from
 * the calibration photos (default) or from every photo of the evaluation's
 * sets (`--photos evaluation`: 257 faces, 771 chips, ~4 minutes to cut).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { InferenceSession } from 'onnxruntime-node';
import { writeNetworkInput, writeNetworkInputUint8 } from '../../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS } from '../../src/vision/onnx/network-specs.js';
import { sessionOptions } from '../../src/vision/onnx/run/onnx-engine-config.js';
import { buildRecognitionNetGraph } from '../../src/vision/onnx/convert/recognition-net-graph.js';
import {
  buildRecognitionNetInt8Graph,
  channelMeansOf,
  defaultRecognitionCalibrationPath,
  loadRecognitionCalibration,
  type RangeRule,
  type RecognitionCalibration,
  recognitionRanges,
} from '../../src/vision/onnx/convert/recognition-net-int8-graph.js';
import { loadTfjsWeights } from '../../src/vision/onnx/convert/tfjs-weights.js';
import { FACE_API_MODEL_DIR } from '../../src/vision/tfjs-engine.js';
import { cosineDistance, l2Normalize } from '../../src/vision/vector-math.js';
import { calibrationPhotos, collectChips, evaluationPhotos } from '../../test/support/recognition-chips.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '60' },
    threads: { type: 'string', default: '1' },
    batch: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    photos: { type: 'string', default: 'calibration' },
    rules: { type: 'string', default: '' },
    'float-layers': { type: 'string', default: '' },
  },
});
const runs = Number(values.runs);
const batch = Number(values.batch);
const threadCounts = values.threads.split(',').map(Number);
const ort = await import('onnxruntime-node');
const spec = NETWORK_SPECS.recognition;
const size = spec.inputSize;
const per = 3 * size * size;

const weights = await loadTfjsWeights(FACE_API_MODEL_DIR, spec.model);
const calibration = await loadRecognitionCalibration();
const graphs = {
  fp32: buildRecognitionNetGraph(weights, size),
  int8: buildRecognitionNetInt8Graph(weights, size, { ...calibration, form: 'qlinear' }),
  'int8-qdq': buildRecognitionNetInt8Graph(weights, size, { ...calibration, form: 'qdq' }),
};
type Variant = keyof typeof graphs;
const variants = Object.keys(graphs) as Variant[];

const photos = values.photos === 'evaluation' ? await evaluationPhotos() : await calibrationPhotos();
const chips = await collectChips(photos, (done) => process.stderr.write(`\rcutting chips: ${done}/${photos.length} photos`));
process.stderr.write('\n');
const inputs = new Float32Array(chips.length * per);
const inputsUint8 = new Uint8Array(chips.length * per);
chips.forEach(({ image }, i) => {
  const whole = { x: 0, y: 0, width: image.width, height: image.height };
  writeNetworkInput(image, whole, spec, inputs, i * per);
  writeNetworkInputUint8(image, whole, spec, inputsUint8, i * per);
});
const batches = Math.floor(chips.length / batch);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)];
/** `count` chips from `first`, as the variant's input tensor. */
const feed = (v: Variant | 'int8-like', first: number, count: number) =>
  v === 'fp32'
    ? new ort.Tensor('float32', inputs.subarray(first * per, (first + count) * per), [count, 3, size, size])
    : new ort.Tensor('uint8', inputsUint8.subarray(first * per, (first + count) * per), [count, 3, size, size]);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`${chips.length} chips of ${photos.length} photos (${values.photos}), batches of ${batch}; load average before: ${load()}`);
for (const threads of threadCounts) {
  const sessions = {} as Record<Variant, InferenceSession>;
  for (const v of variants) sessions[v] = await ort.InferenceSession.create(graphs[v], sessionOptions(threads));
  const times = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  for (let r = -3; r < runs; r++) {
    const k = ((r + 3) % batches) * batch;
    // Rotate the order so that no variant always runs first (or after the same one).
    const order = variants.map((_, i) => variants[(i + r + 3) % variants.length]);
    for (const v of order) {
      const t = performance.now();
      await sessions[v].run({ input: feed(v, k, batch) });
      if (r >= 0) times[v].push(performance.now() - t);
    }
  }
  for (const v of variants) {
    const ratio = median(times.fp32.map((t, i) => t / times[v][i]));
    console.log(
      `threads ${threads} ${v.padEnd(9)} median ${median(times[v]).toFixed(2)} ms/batch, ${(median(times[v]) / batch).toFixed(2)} ms/chip over ${runs} runs; ` +
        `paired fp32/${v} ${ratio.toFixed(2)}x`,
    );
  }
  await Promise.all(Object.values(sessions).map((s) => s.release()));
}
console.log(`load average after: ${load()}`);

if (values.profile) {
  for (const v of variants) {
    const prefix = path.join(os.tmpdir(), `facegraph-int8-recognition-profile-${v}`);
    const session = await ort.InferenceSession.create(graphs[v], {
      ...sessionOptions(1),
      enableProfiling: true,
      profileFilePrefix: prefix,
    });
    for (let i = 0; i < 5; i++) await session.run({ input: feed(v, i * batch, batch) });
    session.endProfiling();
    await session.release();
    // onnxruntime-node does not return the file name: it is the prefix plus a timestamp.
    const name = (await readdir(os.tmpdir())).find((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'));
    if (!name) throw new Error(`no profile written with prefix ${prefix}`);
    const file = path.join(os.tmpdir(), name);
    const events = JSON.parse(await readFile(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / 5000);
    }
    const rows = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${ms.toFixed(2)} ms`);
    console.log(`profile ${v} (1 thread, ms per batch of ${batch} by kernel op type): ${rows.join(', ')}`);
    await rm(file, { force: true });
  }
}

// Fidelity: every chip through float32 and the int8 variants, three at a time (one face).
const descriptors = async (model: Uint8Array, v: Variant | 'int8-like'): Promise<Float32Array[]> => {
  const session = await ort.InferenceSession.create(model, sessionOptions(2));
  const out: Float32Array[] = [];
  for (let i = 0; i < chips.length; i += 3) {
    const d = (await session.run({ input: feed(v, i, Math.min(3, chips.length - i)) })).descriptor.data as Float32Array;
    for (let k = 0; k * 128 < d.length; k++) out.push(d.slice(k * 128, (k + 1) * 128));
  }
  await session.release();
  return out;
};
/** Faces: consecutive chips of the same photo and face index. */
const faces: number[][] = [];
chips.forEach((c, i) => {
  const last = faces.at(-1);
  if (last && chips[last[0]].photo === c.photo && chips[last[0]].face === c.face) last.push(i);
  else faces.push([i]);
});
const embedding = (ds: Float32Array[], face: number[]) => {
  const mean = new Float32Array(128);
  for (const i of face) l2Normalize(ds[i]).forEach((x, j) => (mean[j] += x / face.length));
  return l2Normalize(mean);
};
const reference = await descriptors(graphs.fp32, 'fp32');
const stats = (xs: number[]) => `median ${median(xs).toFixed(5)} p99 ${quantile(xs, 0.99).toFixed(5)} max ${Math.max(...xs).toFixed(5)}`;
const fidelity = async (label: string, model: Uint8Array) => {
  const got = await descriptors(model, 'int8-like');
  const chipDistances = got.map((d, i) => cosineDistance(reference[i], d));
  const faceDistances = faces.map((f) => cosineDistance(embedding(reference, f), embedding(got, f)));
  console.log(`${label}: ${chips.length} chips ${stats(chipDistances)}; ${faces.length} faces ${stats(faceDistances)}`);
};
await fidelity('engine int8 vs fp32, cosine distance', graphs.int8);
const floatLayers = values['float-layers'] ? values['float-layers'].split(',') : [];
if (values.rules) {
  const file = JSON.parse(await readFile(defaultRecognitionCalibrationPath(), 'utf8')) as RecognitionCalibration;
  for (const rule of values.rules.split(',') as RangeRule[]) {
    const ranges = recognitionRanges(file, rule);
    await fidelity(`${rule}, float [${floatLayers}]`, buildRecognitionNetInt8Graph(weights, size, { ranges, floatLayers }));
    await fidelity(
      `${rule} + bias correction, float [${floatLayers}]`,
      buildRecognitionNetInt8Graph(weights, size, { ranges, floatLayers, channelMeans: channelMeansOf(file) }),
    );
  }
}
