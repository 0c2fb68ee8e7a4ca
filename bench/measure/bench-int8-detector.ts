/**
 * `npx tsx bench/measure/bench-int8-detector.ts [--runs N] [--threads 1,2] [--profile] [--engine]`
 *
 * Times the SSD detector graph as float32 and as the two int8 forms
 * (QLinearConv nodes, or QDQ for ONNX Runtime to fuse) on the same prepared
 * inputs, alternating the variants run by run so that a shared machine's load
 * falls on all of them alike, and prints medians. Also reports how far the
 * int8 scores are from float32 on those inputs, and with --profile which
 * kernels ONNX Runtime ran (by op type), which is how to check that the convs
 * run as quantized kernels rather than being dequantized back to float.
 * --engine also times whole OnnxEngine calls, fp32 and int8 engines alternating:
 * detect() split into input preparation, ONNX Runtime and post-processing, and
 * embed() of three chips (the recognition net: float32, and int8 in the int8 engine;
 * bench/measure/bench-int8-recognition.ts times the net itself).
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { InferenceSession, OnnxValue } from 'onnxruntime-node';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { sessionOptions } from '../../src/vision/onnx/run/onnx-engine-config.js';
import type { RgbImage } from '../../src/vision/types.js';
import { writeNetworkInput, writeNetworkInputUint8 } from '../../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS, SSD_ANCHORS_WEIGHT, SSD_IOU_THRESHOLD } from '../../src/vision/onnx/network-specs.js';
import { buildSsdMobilenetInt8Graph } from '../../src/vision/onnx/convert/ssd-mobilenet-int8-graph.js';
import { buildSsdMobilenetGraph } from '../../src/vision/onnx/convert/ssd-mobilenet-graph.js';
import { decodeSsdOutput, nonMaxSuppression } from '../../src/vision/onnx/run/ssd-postprocess.js';
import { loadTfjsWeights } from '../../src/vision/onnx/convert/tfjs-weights.js';
import { FACE_API_MODEL_DIR } from '../../src/vision/tfjs-engine.js';
import { DEMO_DIR, DEMO_PHOTOS, ONEFACE_DIR, datasetPath, needsDatasets } from '../../test/support/datasets.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '12' },
    threads: { type: 'string', default: '1,2' },
    profile: { type: 'boolean', default: false },
    engine: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const threadCounts = values.threads.split(',').map(Number);
const ort = await import('onnxruntime-node');
const spec = NETWORK_SPECS.detector;
const size = spec.inputSize;

const weights = await loadTfjsWeights(FACE_API_MODEL_DIR, spec.model);
const graphs = {
  fp32: buildSsdMobilenetGraph(weights, size),
  int8: buildSsdMobilenetInt8Graph(weights, size, { form: 'qlinear' }),
  'int8-qdq': buildSsdMobilenetInt8Graph(weights, size, { form: 'qdq' }),
};
type Variant = keyof typeof graphs;

// Inputs: the six group photos and a few lfw10 portraits (FACEGRAPH_DATASETS), prepared once; without
// lfw10, the two oneface portraits of test/fixtures/photos instead.
const lfw10Missing = needsDatasets('lfw10');
if (lfw10Missing) process.stderr.write(`portraits: oneface/astronaut.png and camera.png instead of lfw10's (${lfw10Missing})\n`);
const files = [
  ...DEMO_PHOTOS.map((f) => path.join(DEMO_DIR, f)),
  ...(lfw10Missing
    ? ['astronaut.png', 'camera.png'].map((f) => path.join(ONEFACE_DIR, f))
    : ['George_W_Bush', 'Tony_Blair', 'Colin_Powell'].map((p) => datasetPath('lfw10', p, `${p}_0001.jpg`))),
];
const inputs: Float32Array[] = [];
const inputsUint8: Uint8Array[] = [];
const images: RgbImage[] = [];
for (const file of files) {
  const { image } = await decodePhoto(await readFile(file), { maxPixels: 100_000_000, maxSide: 1920 });
  images.push(image);
  const x = new Float32Array(3 * size * size);
  writeNetworkInput(image, { x: 0, y: 0, width: image.width, height: image.height }, spec, x, 0);
  inputs.push(x);
  const q = new Uint8Array(3 * size * size);
  writeNetworkInputUint8(image, { x: 0, y: 0, width: image.width, height: image.height }, spec, q, 0);
  inputsUint8.push(q);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const anchors = weights.get(SSD_ANCHORS_WEIGHT, 3).data;

/** Faces scoring > 0.3 as (ymin, xmin, ymax, xmax, score), relative to the input square. */
function detect(out: Record<string, OnnxValue>): number[][] {
  const decoded = decodeSsdOutput(out.box_encodings.data as Float32Array, out.class_logits.data as Float32Array, anchors);
  return nonMaxSuppression(decoded, 100, SSD_IOU_THRESHOLD, 0.3).map((i) => [
    ...decoded.boxes.subarray(4 * i, 4 * i + 4),
    decoded.scores[i],
  ]);
}
function iou(a: number[], b: number[]): number {
  const h = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const w = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  return (h * w) / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - h * w);
}
/** Over fp32's faces scoring >= 0.5: how many, the worst IoU and score difference of their best match, and faces crossing 0.5. */
interface Fidelity {
  faces: number;
  minIou: number;
  scoreDiffs: number[];
  crossings: number;
}
const emptyFidelity = (): Fidelity => ({ faces: 0, minIou: 1, scoreDiffs: [], crossings: 0 });
function compare(ref: number[][], got: number[][], f: Fidelity): void {
  for (const r of ref) {
    const best = got.reduce<number[] | undefined>((b, g) => (!b || iou(r, g) > iou(r, b) ? g : b), undefined);
    const o = best ? iou(r, best) : 0;
    if (r[4] >= 0.5 !== ((best?.[4] ?? 0) >= 0.5 && o >= 0.5)) f.crossings++;
    if (r[4] < 0.5) continue;
    f.faces++;
    f.minIou = Math.min(f.minIou, o);
    f.scoreDiffs.push(Math.abs(r[4] - (best?.[4] ?? 0)));
  }
  f.crossings += got.filter((g) => g[4] >= 0.5 && !ref.some((r) => iou(r, g) >= 0.5 && r[4] >= 0.5)).length;
}
const describe = (f: Fidelity) =>
  `${f.faces} faces >= 0.5, min IoU ${f.minIou.toFixed(3)}, score diff median ${median(f.scoreDiffs).toFixed(4)} max ${Math.max(...f.scoreDiffs).toFixed(4)}, crossing 0.5: ${f.crossings}`;

for (const threads of threadCounts) {
  const sessions = {} as Record<Variant, InferenceSession>;
  for (const v of Object.keys(graphs) as Variant[]) {
    sessions[v] = await ort.InferenceSession.create(graphs[v], sessionOptions(threads));
  }
  const times = Object.fromEntries(Object.keys(graphs).map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  const fidelity = Object.fromEntries(Object.keys(graphs).map((v) => [v, emptyFidelity()])) as Record<Variant, Fidelity>;
  for (let r = -2; r < runs; r++) {
    const k = (r + 2) % inputs.length;
    // The float graph takes the float32 input, the int8 graphs the same square as uint8 pixels.
    const feed = (v: Variant) =>
      v === 'fp32' ? new ort.Tensor('float32', inputs[k], [1, 3, size, size]) : new ort.Tensor('uint8', inputsUint8[k], [1, 3, size, size]);
    const order = (Object.keys(graphs) as Variant[]).sort(() => (r % 2 === 0 ? 1 : -1));
    const outs = new Map<Variant, Record<string, OnnxValue>>();
    for (const v of order) {
      const t = performance.now();
      const out = await sessions[v].run({ input: feed(v) });
      if (r >= 0) times[v].push(performance.now() - t);
      outs.set(v, out);
    }
    const ref = detect(outs.get('fp32')!);
    for (const [v, out] of outs) if (r >= 0) compare(ref, detect(out), fidelity[v]);
  }
  for (const v of Object.keys(graphs) as Variant[]) {
    console.log(
      `threads ${threads} ${v.padEnd(9)} median ${median(times[v]).toFixed(1)} ms/pass over ${runs}; vs fp32: ${describe(fidelity[v])}`,
    );
  }
  await Promise.all(Object.values(sessions).map((s) => s.release()));
}

if (values.profile) {
  for (const v of ['int8', 'int8-qdq'] as Variant[]) {
    const prefix = path.join(os.tmpdir(), `facegraph-int8-profile-${v}`);
    const session = await ort.InferenceSession.create(graphs[v], {
      ...sessionOptions(1),
      enableProfiling: true,
      profileFilePrefix: prefix,
    });
    for (let i = 0; i < 3; i++) await session.run({ input: new ort.Tensor('uint8', inputsUint8[0], [1, 3, size, size]) });
    session.endProfiling();
    await session.release();
    // onnxruntime-node does not return the file name: it is the prefix plus a timestamp.
    const name = (await readdir(os.tmpdir())).find((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json'));
    if (!name) throw new Error(`no profile written with prefix ${prefix}`);
    const file = path.join(os.tmpdir(), name);
    const events = JSON.parse(await readFile(file, 'utf8')) as {
      cat: string;
      name: string;
      dur: number;
      args?: { op_name?: string; provider?: string };
    }[];
    const byOp = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
      byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / 3000);
    }
    const rows = [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${ms.toFixed(2)} ms`);
    console.log(`profile ${v} (1 thread, ms per pass by kernel op type): ${rows.join(', ')}`);
    await rm(file, { force: true });
  }
}

if (values.engine) {
  for (const threads of threadCounts) {
    const engines = { fp32: new OnnxEngine({ precision: 'fp32', threads }), int8: new OnnxEngine({ precision: 'int8', threads }) };
    await Promise.all(Object.values(engines).map((e) => e.load()));
    const rows = {
      fp32: { prepare: [] as number[], infer: [] as number[], finish: [] as number[], chip: [] as number[] },
      int8: { prepare: [] as number[], infer: [] as number[], finish: [] as number[], chip: [] as number[] },
    };
    for (let r = -2; r < runs; r++) {
      const image = images[(r + 2) % images.length];
      const order = r % 2 === 0 ? (['fp32', 'int8'] as const) : (['int8', 'fp32'] as const);
      for (const v of order) {
        const e = engines[v];
        e.resetProfile();
        const faces = await e.detect(image, { minScore: 0.5, maxFaces: 100 });
        const box = faces[0]?.box ?? { x: 0, y: 0, width: 150, height: 150 };
        await e.embed(image, [box, { ...box, x: box.x + 2 }, { ...box, y: box.y + 2 }]);
        const p = e.profile();
        if (r < 0) continue;
        rows[v].prepare.push(p.detector.prepareMs);
        rows[v].infer.push(p.detector.inferMs);
        rows[v].finish.push(p.detector.finishMs);
        rows[v].chip.push(p.recognition.inferMs / 3);
      }
    }
    for (const v of ['fp32', 'int8'] as const) {
      const m = (xs: number[]) => median(xs).toFixed(1);
      console.log(
        `engine threads ${threads} ${v}: detect() prepare ${m(rows[v].prepare)} + ORT ${m(rows[v].infer)} + post ${m(rows[v].finish)} ms; ` +
          `recognition ${m(rows[v].chip)} ms/chip (batch of 3, ${v === 'int8' ? 'int8' : 'float32'})`,
      );
    }
    await Promise.all(Object.values(engines).map((e) => e.dispose()));
  }
}
