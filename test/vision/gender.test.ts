/**
 * The probability that a face is a man's (face-api's age/gender net, gender
 * head), which lets clustering refuse to merge a confidently male group with a
 * confidently female one. Real models on real photos:
 *
 * - the crop: `ageGenderBox` of face-api's own landmarks gives exactly what
 *   face-api's `withFaceLandmarks().withAgeAndGender()` gives;
 * - the ONNX graph gives the tfjs reference's P(male) on every face of the demo
 *   and fixture photos (measured: at most 2.4e-7 apart);
 * - the pipeline calls the people whose gender is known by it: face-api's 22
 *   demo faces (young women), the astronaut portrait (Eileen Collins), the
 *   cameraman, and with FACEGRAPH_DATASETS lfw10's ten men.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { ageGenderBox } from '../../src/vision/alignment.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { mainFace } from '../../src/vision/face-check.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { loadFaceApi, TfjsEngine } from '../../src/vision/tfjs-engine.js';
import type { RgbImage } from '../../src/vision/types.js';
import { DEMO_DIR, DEMO_PHOTOS, describeWithDatasets, groupsTightDir, LFW10_DIR, ONEFACE_DIR } from '../support/datasets.js';
import { DECODE_LIMITS, DETECT_OPTIONS } from './tfjs-reference.js';

/** ONNX vs tfjs on identical crops: float summation order only (measured 2.4e-7 at most). */
const PARITY = 1e-5;
/** face-api's chain vs the tfjs engine on face-api's landmarks: the same tensors (measured 0). */
const SAME_CROP = 1e-6;
/** Below this a face is confidently a woman's, above {@link CONFIDENT_MALE} a man's: the demo women read at most 0.18, the cameraman 0.86. */
const CONFIDENT_FEMALE = 0.3;
const CONFIDENT_MALE = 0.7;

const DEMO = DEMO_PHOTOS.map((f) => path.join(DEMO_DIR, f));
const ASTRONAUT = path.join(ONEFACE_DIR, 'astronaut.png');
const CAMERAMAN = path.join(ONEFACE_DIR, 'camera.png');

async function decode(file: string): Promise<RgbImage> {
  return (await decodePhoto(await readFile(file), DECODE_LIMITS)).image;
}

describe('P(male) from the age/gender net', () => {
  const tfjs = new TfjsEngine();
  const onnx = new OnnxEngine({ precision: 'fp32', threads: 2 });
  after(() => onnx.dispose());

  it("is face-api's withAgeAndGender() on ageGenderBox of face-api's landmarks (its alignedRect)", async () => {
    const api = await loadFaceApi();
    for (const file of [DEMO[0], CAMERAMAN]) {
      const image = await decode(file);
      const tensor = api.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
      const options = new api.SsdMobilenetv1Options({ minConfidence: DETECT_OPTIONS.minScore, maxResults: DETECT_OPTIONS.maxFaces });
      const chain = await api
        .detectAllFaces(tensor as never, options)
        .withFaceLandmarks()
        .withAgeAndGender();
      tensor.dispose();
      assert.ok(chain.length > 0, `${file}: face-api found no face`);
      const expected = chain.map((r) => (r.gender === 'male' ? r.genderProbability : 1 - r.genderProbability));
      const got = await tfjs.gender(
        image,
        chain.map((r) => ageGenderBox(r.landmarks.positions, image)),
      );
      got.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) <= SAME_CROP, `${file} face ${i}: ${p} vs face-api's ${expected[i]}`));
    }
  });

  it("on ONNX is the tfjs reference's, face by face, on the demo and fixture photos", async () => {
    let faces = 0;
    let worst = 0;
    for (const file of [...DEMO, ASTRONAUT, CAMERAMAN]) {
      const image = await decode(file);
      const detections = await tfjs.detect(image, DETECT_OPTIONS);
      const landmarks = await tfjs.landmarks(
        image,
        detections.map((d) => d.box),
      );
      const boxes = landmarks.map((points) => ageGenderBox(points, image));
      const [expected, got] = [await tfjs.gender(image, boxes), await onnx.gender(image, boxes)];
      assert.equal(got.length, boxes.length);
      got.forEach((p, i) => {
        const diff = Math.abs(p - expected[i]);
        assert.ok(diff <= PARITY, `${path.basename(file)} face ${i}: ONNX ${p} vs tfjs ${expected[i]}`);
        worst = Math.max(worst, diff);
      });
      faces += boxes.length;
    }
    assert.equal(faces, 22 + 2, 'the demo photos hold 22 faces, the fixtures one each');
    assert.ok(worst <= PARITY);
  });

  it('gives a box with no pixels in the image no evidence either way (0.5), in both engines', async () => {
    const image = await decode(CAMERAMAN);
    const outside = { x: image.width + 10, y: 0, width: 50, height: 50 };
    assert.deepEqual(await onnx.gender(image, [outside]), [0.5]);
    assert.deepEqual(await tfjs.gender(image, [outside]), [0.5]);
  });
});

describe('AnalyzedFace.maleProbability', () => {
  const engine = createEngine({ engine: 'onnx', threads: 2, precision: 'fp32' });
  const pipeline = new FacePipeline(engine, pipelineOptions(loadConfig({ FACEGRAPH_PRECISION: 'fp32' })));
  before(() => pipeline.load());
  after(() => engine.dispose());

  it("calls face-api's 22 demo women and the astronaut (Eileen Collins) women, the cameraman a man", async () => {
    const women: number[] = [];
    for (const file of [...DEMO, ASTRONAUT]) {
      for (const face of (await pipeline.analyze(await readFile(file))).faces) women.push(face.maleProbability);
    }
    assert.equal(women.length, 23);
    for (const [i, p] of women.entries()) assert.ok(p < CONFIDENT_FEMALE, `woman ${i}: P(male) ${p}`);
    const [man] = (await pipeline.analyze(await readFile(CAMERAMAN))).faces;
    assert.ok(man.maleProbability > CONFIDENT_MALE, `the cameraman: P(male) ${man.maleProbability}`);
  });

  it('is given to a drawn face (the same as the detected face in that box) and to whole-image faces', async () => {
    const bytes = await readFile(CAMERAMAN);
    const [detected] = (await pipeline.analyze(bytes)).faces;
    const { face } = await pipeline.analyzeBox(bytes, detected.box);
    assert.equal(face.source, 'manual');
    assert.ok(Math.abs(face.maleProbability - detected.maleProbability) < 1e-3, `${face.maleProbability} vs ${detected.maleProbability}`);

    // Tight crops of the demo women: faces found only as the whole image (7 of the 22 are found at all).
    const dir = await groupsTightDir();
    const whole: number[] = [];
    for (const file of (await readdir(dir)).sort()) {
      const { faces } = await pipeline.analyze(await readFile(path.join(dir, file)));
      whole.push(...faces.filter((f) => f.source === 'whole-image').map((f) => f.maleProbability));
    }
    assert.ok(whole.length >= 3, `only ${whole.length} whole-image faces`);
    for (const p of whole) assert.ok(p < 0.5, `a whole-image woman's P(male) ${p}`);
  });

  describeWithDatasets(['lfw10'], 'on lfw10 (ten men)', () => {
    it("calls every photo's main face a man (measured: 100 of 100 above 0.69)", async () => {
      const male: number[] = [];
      for (const person of (await readdir(LFW10_DIR)).sort()) {
        for (const file of (await readdir(path.join(LFW10_DIR, person))).sort()) {
          const face = mainFace((await pipeline.analyze(await readFile(path.join(LFW10_DIR, person, file)))).faces);
          assert.ok(face, `${file}: no face`);
          male.push(face.maleProbability);
        }
      }
      assert.equal(male.length, 100);
      for (const p of male) assert.ok(p > 0.5, `a man's P(male) ${p}`);
      assert.ok(male.filter((p) => p > CONFIDENT_MALE).length >= 95, 'most confidently');
    });
  });
});
