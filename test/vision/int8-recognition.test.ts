/**
 * The int8 recogniser (FACEGRAPH_PRECISION=int8, recognition-net-int8-graph.ts)
 * against float32 on real photos: the same aligned chips, as the pipeline cuts
 * them, through both engines' embed(). The bounds were set from measurement:
 * over the 771 chips of the evaluation's 257 faces
 * (bench/measure/bench-int8-recognition.ts --photos evaluation) the worst chip was at
 * cosine distance 0.00067 and the worst face (three chips averaged) 0.00030;
 * on these photos (package photos: the demo group photos, the oneface
 * portraits, a tight crop) 0.00047 and 0.00021. MAX_CHIP and MAX_FACE are about three
 * times the worst measured. A recogniser whose activations clip (every
 * calibrated range halved, checked below) fails them. The face bound is also
 * why the pipeline's model id does not change with the precision: 0.001 is
 * 1/70 of the same-person threshold (0.07), and below the int8 detector's own
 * effect on descriptors (up to 0.0086, ssd-mobilenet-int8-graph.ts).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { extractChip, FACE_CHIP_PADDINGS, FACE_CHIP_SIZE, faceChipTransform } from '../../src/vision/alignment.js';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { writeNetworkInputUint8 } from '../../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS } from '../../src/vision/onnx/network-specs.js';
import { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { buildRecognitionNetInt8Graph, loadRecognitionCalibration } from '../../src/vision/onnx/convert/recognition-net-int8-graph.js';
import { loadTfjsWeights } from '../../src/vision/onnx/convert/tfjs-weights.js';
import { FACE_API_MODEL_DIR } from '../../src/vision/tfjs-engine.js';
import type { RgbImage } from '../../src/vision/types.js';
import { cosineDistance, l2Normalize } from '../../src/vision/vector-math.js';
import { DEMO_DIR, DEMO_PHOTOS, ONEFACE_DIR, groupsTightDir } from '../support/datasets.js';
import { DECODE_LIMITS, DETECT_OPTIONS } from './tfjs-reference.js';

/** The six demo group photos (22 faces), the two oneface portraits and a tight grey crop of a demo face (no detection). */
const photos = async () => [
  ...DEMO_PHOTOS.map((file) => path.join(DEMO_DIR, file)),
  ...['astronaut.png', 'camera.png'].map((file) => path.join(ONEFACE_DIR, file)),
  path.join(await groupsTightDir(), 'sample1-face1.jpg'),
];
const MAX_CHIP = 0.002;
const MAX_FACE = 0.001;

/** The mean of unit descriptors, normalised: the pipeline's embedding of one face from its chips. */
function faceEmbedding(descriptors: Float32Array[]): Float32Array {
  const mean = new Float32Array(descriptors[0].length);
  for (const d of descriptors) l2Normalize(d).forEach((v, i) => (mean[i] += v / descriptors.length));
  return l2Normalize(mean);
}

describe('the int8 recogniser on real photos', () => {
  const fp32 = new OnnxEngine({ precision: 'fp32', threads: 2 });
  const int8 = new OnnxEngine({ precision: 'int8', threads: 2 });
  /** Per face, its three chips (float32 detector and landmarks). */
  const faces: { photo: string; chips: RgbImage[] }[] = [];
  const whole = { x: 0, y: 0, width: FACE_CHIP_SIZE, height: FACE_CHIP_SIZE };

  before(async () => {
    await Promise.all([fp32.load(), int8.load()]);
    for (const photo of await photos()) {
      const { image } = await decodePhoto(await readFile(photo), DECODE_LIMITS);
      const boxes = (await fp32.detect(image, DETECT_OPTIONS)).map((d) => d.box);
      // A tight crop has no detection: the whole image stands in, as the pipeline's whole-image candidate would.
      if (boxes.length === 0) boxes.push({ x: 0, y: 0, width: image.width, height: image.height });
      for (const points of await fp32.landmarks(image, boxes)) {
        faces.push({ photo, chips: FACE_CHIP_PADDINGS.map((p) => extractChip(image, faceChipTransform(points, FACE_CHIP_SIZE, p))) });
      }
    }
  });
  after(async () => {
    await Promise.all([fp32.dispose(), int8.dispose()]);
  });

  test('descriptors within cosine distance 0.002 per chip and 0.001 per face of float32, and not identical', async (t) => {
    const chipDistances: number[] = [];
    const faceDistances: number[] = [];
    for (const face of faces) {
      const a = await Promise.all(face.chips.map(async (c) => (await fp32.embed(c, [whole]))[0]));
      const b = await Promise.all(face.chips.map(async (c) => (await int8.embed(c, [whole]))[0]));
      a.forEach((d, i) => chipDistances.push(cosineDistance(d, b[i])));
      faceDistances.push(cosineDistance(faceEmbedding(a), faceEmbedding(b)));
    }
    assert.ok(faces.length >= 25, `expected the demo photos' 22 faces, the two portraits' faces and the tight crop, found ${faces.length}`);
    const worstChip = Math.max(...chipDistances);
    const worstFace = Math.max(...faceDistances);
    assert.ok(worstChip <= MAX_CHIP, `a chip's int8 descriptor is at cosine distance ${worstChip.toFixed(5)} from float32's`);
    assert.ok(worstFace <= MAX_FACE, `a face's int8 embedding is at cosine distance ${worstFace.toFixed(5)} from float32's`);
    // Equal descriptors would mean the int8 graph was never used.
    assert.ok(Math.min(...chipDistances) > 0, 'int8 and fp32 gave identical descriptors: is the int8 recogniser running?');
    const median = [...chipDistances].sort((x, y) => x - y)[chipDistances.length >> 1];
    t.diagnostic(
      `${faces.length} faces, ${chipDistances.length} chips: chip distance median ${median.toFixed(5)}, worst ${worstChip.toFixed(5)}; worst face ${worstFace.toFixed(5)}`,
    );
  });

  test('the bounds fail for a recogniser whose activations clip (every calibrated range halved)', async (t) => {
    const ort = await import('onnxruntime-node');
    const spec = NETWORK_SPECS.recognition;
    const calibration = await loadRecognitionCalibration();
    const ranges = Object.fromEntries(Object.entries(calibration.ranges).map(([k, [lo, hi]]) => [k, [lo / 2, hi / 2] as [number, number]]));
    const weights = await loadTfjsWeights(FACE_API_MODEL_DIR, spec.model);
    const session = await ort.InferenceSession.create(buildRecognitionNetInt8Graph(weights, spec.inputSize, { ...calibration, ranges }), {
      intraOpNumThreads: 2,
    });
    let worst = 0;
    for (const face of faces.slice(0, 6)) {
      for (const chip of face.chips) {
        const input = new Uint8Array(3 * spec.inputSize ** 2);
        writeNetworkInputUint8(chip, whole, spec, input, 0);
        const out = await session.run({ input: new ort.Tensor('uint8', input, [1, 3, spec.inputSize, spec.inputSize]) });
        worst = Math.max(worst, cosineDistance(out.descriptor.data as Float32Array, (await fp32.embed(chip, [whole]))[0]));
      }
    }
    await session.release();
    assert.ok(worst > MAX_CHIP, `clipped activations stayed within ${worst.toFixed(5)}`);
    t.diagnostic(`clipped: worst chip ${worst.toFixed(5)}`);
  });
});
