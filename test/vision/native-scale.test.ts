/**
 * The SSD at other input sizes than face-api's 512 (issue 14): anchors laid
 * out for the size, and a photo smaller than 512 px searched at its own scale.
 * Real weights, real models, real photos.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { detectorInputSize, fineInput, stripRegions } from '../../src/vision/detector-regions.js';
import { detectFaces, type FaceDetectorOptions } from '../../src/vision/face-detector.js';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { NETWORK_SPECS, SSD_ANCHORS_WEIGHT } from '../../src/vision/onnx/network-specs.js';
import { anchorLayout, featureMapCells, ssdAnchors } from '../../src/vision/onnx/run/ssd-anchors.js';
import { loadTfjsWeights } from '../../src/vision/onnx/convert/tfjs-weights.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { FACE_API_MODEL_DIR } from '../../src/vision/tfjs-engine.js';
import type { Box, DetectOptions, FaceEngine, RgbImage } from '../../src/vision/types.js';
import { demoPortrait, demoPortraits } from '../support/datasets.js';

const defaults = loadConfig({});
const vnni = () => 'flags : avx512_vnni';
const engines = {
  int8: createEngine({ engine: 'onnx', threads: 1, precision: 'int8' }, vnni),
  fp32: createEngine({ engine: 'onnx', threads: 1, precision: 'fp32' }, vnni),
};
after(() => Promise.all(Object.values(engines).map((e) => e.dispose())));

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const i = Math.max(0, w) * Math.max(0, h);
  return i / (a.width * a.height + b.width * b.height - i);
}

/** `engine` with its detector calls reported to `seen` (a scalable or a fixed-size detector, as `scalable` says). */
function spyEngine(engine: FaceEngine, scalable: boolean, seen: (image: RgbImage, options: DetectOptions) => void): FaceEngine {
  return {
    name: 'spy',
    scalableDetector: scalable,
    approximateDetector: engine.approximateDetector,
    load: () => engine.load(),
    dispose: async () => {},
    landmarks: (image, boxes) => engine.landmarks(image, boxes),
    embed: (image, crops) => engine.embed(image, crops),
    gender: (image, boxes) => engine.gender(image, boxes),
    detect: (image, options) => {
      seen(image, options);
      return engine.detect(image, options);
    },
  };
}

/**
 * 250 x 250 portraits, one per demo group-photo face (as LFW's photos are: one face in the middle), decoded.
 * All 22: the main face is found at 512 in 18 (int8) and 16 (fp32) of them.
 */
async function portraits(count: number): Promise<{ name: string; image: RgbImage }[]> {
  return Promise.all(
    (await demoPortraits(count)).map(async ({ name, bytes }) => ({
      name,
      image: (await decodePhoto(bytes, pipelineOptions(defaults))).image,
    })),
  );
}

describe('SSD anchors for any input size', () => {
  it("lays out face-api's own 5118 anchors at 512, and the smaller maps' anchors at 256", async () => {
    const shipped = (await loadTfjsWeights(FACE_API_MODEL_DIR, NETWORK_SPECS.detector.model)).get(SSD_ANCHORS_WEIGHT).data as Float32Array;
    const layout = anchorLayout(shipped);
    const at512 = ssdAnchors(layout, 512);
    assert.equal(at512.length, shipped.length);
    assert.ok(
      at512.every((v, i) => Math.abs(v - shipped[i]) < 1e-6),
      'the 512 layout reproduces the shipped anchors',
    );
    assert.deepEqual(featureMapCells(512), [32, 16, 8, 4, 2, 1]);
    assert.deepEqual(featureMapCells(256), [16, 8, 4, 2, 1, 1]);
    const at256 = ssdAnchors(layout, 256);
    assert.equal(at256.length / 4, 16 * 16 * 3 + (8 * 8 + 4 * 4 + 2 * 2 + 1 + 1) * 6);
    // The first anchor keeps its size in pixels (51.2 px), so it is twice as large relative to a 256 input.
    assert.ok(Math.abs((at256[2] - at256[0]) * 256 - (shipped[2] - shipped[0]) * 512) < 1e-4);
    assert.throws(() => anchorLayout(shipped.subarray(0, 400)), /expected 5118/);
  });

  it('refuses an input size that is not a multiple of 64', async () => {
    const image = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64 };
    await assert.rejects(engines.int8.detect(image, { minScore: 0.5, maxFaces: 10, inputSize: { width: 300, height: 300 } }), RangeError);
  });
});

describe('photos smaller than 512 px searched at their own scale', () => {
  it('rounds a longer side of at most 256 px up to a multiple of 64; larger photos at 512', () => {
    assert.equal(detectorInputSize({ width: 250, height: 250 }), 256);
    assert.equal(detectorInputSize({ width: 256, height: 200 }), 256);
    assert.equal(detectorInputSize({ width: 150, height: 100 }), 192);
    assert.equal(detectorInputSize({ width: 257, height: 100 }), 512, '512 enlarges it less than twice');
    assert.equal(detectorInputSize({ width: 500, height: 500 }), 512);
    assert.equal(detectorInputSize({ width: 1920, height: 1280 }), 512);
    assert.equal(detectorInputSize({ width: 20, height: 10 }), 64);
  });

  for (const precision of ['int8', 'fp32'] as const) {
    it(`finds the same main face at 256 as at 512 in 250-px portraits (${precision})`, async () => {
      const engine = engines[precision];
      let compared = 0;
      for (const { name, image } of await portraits(22)) {
        const [big] = await engine.detect(image, { minScore: 0.5, maxFaces: 10 });
        const [own] = await engine.detect(image, { minScore: 0.5, maxFaces: 10, inputSize: { width: 256, height: 256 } });
        if (!big) continue;
        assert.ok(own, `${name}: no face at 256`);
        assert.ok(iou(big.box, own.box) > 0.6, `${name}: IoU ${iou(big.box, own.box).toFixed(2)}`);
        compared++;
      }
      assert.ok(compared >= 15, `${compared} photos with a face at 512`);
    });
  }

  it('asks the engine for a 256 input for a 250-px photo, and for 512 without native scale or on a fixed-size engine', async () => {
    const seen: (number | undefined)[] = [];
    const spy = (engine: FaceEngine, scalable: boolean) => spyEngine(engine, scalable, (_, options) => seen.push(options.inputSize?.width));
    const [{ image }] = await portraits(1);
    const options: FaceDetectorOptions = { ...defaults.vision, tileSize: defaults.vision.detectTileSize, tryRotations: false };
    const native = await detectFaces(spy(engines.int8, true), image, options);
    assert.ok(native.detections.length > 0);
    assert.equal(seen[0], 256, 'the whole photo at its own scale');
    seen.length = 0;
    await detectFaces(spy(engines.int8, true), image, { ...options, input: 'face-api' });
    await detectFaces(spy(engines.int8, false), image, options);
    assert.ok(seen.length >= 2 && seen.every((s) => s === undefined), 'face-api 512 when off or not supported');
  });

  it("searches such a photo's padded canvas at its own scale too, padded by a quarter of its side instead of a half", async () => {
    // sample4's third face with its neighbours, cut around it (4.5 times its width) to 250 px: the whole pass is
    // sure of none of the three faces, so the canvas runs.
    const { image } = await decodePhoto(await demoPortrait('sample4', 2, 4.5), pipelineOptions(defaults));
    assert.equal(Math.max(image.width, image.height), 250);
    const passes = (input: 'fit' | 'face-api') => {
      const seen: { side: number; input?: number }[] = [];
      const spy = spyEngine(engines.int8, true, (img, options) =>
        seen.push({ side: Math.max(img.width, img.height), input: options.inputSize?.width }),
      );
      const options: FaceDetectorOptions = { ...defaults.vision, tileSize: defaults.vision.detectTileSize, tryRotations: false, input };
      return detectFaces(spy, image, options).then((located) => ({ seen, located }));
    };
    const fit = await passes('fit');
    assert.deepEqual(
      fit.seen,
      [
        { side: 250, input: 256 },
        { side: 376, input: 384 },
      ],
      'the photo at 256, then its 376-px canvas at 384',
    );
    const faceApi = await passes('face-api');
    assert.deepEqual(
      faceApi.seen,
      [
        { side: 250, input: undefined },
        { side: 500, input: undefined },
      ],
      'face-api: both at 512, the canvas padded by half',
    );
    // The canvas is where the faces the whole pass was unsure of are found: the smaller one still finds them.
    assert.ok(fit.located.detections.length >= 3, `${fit.located.detections.length} faces with the own-scale canvas`);
  });
});

describe("strips at the tiles' scale for photos larger than a tile", () => {
  it('cuts the shorter side into strips of at most 512 input pixels, overlapping like tiles', () => {
    const strips = stripRegions({ width: 1920, height: 1280 }, 768);
    assert.deepEqual(
      strips.map((s) => [s.x, s.y, s.width, s.height]),
      [
        [0, 0, 1920, 688],
        [0, 592, 1920, 688],
      ],
    );
    assert.deepEqual(fineInput(strips[0], 768), { width: 1280, height: 512 });
    const tall = stripRegions({ width: 1448, height: 1920 }, 768);
    assert.equal(tall.length, 3);
    assert.ok(tall.every((s) => s.y === 0 && s.height === 1920 && fineInput(s, 768).width <= 512));
    assert.equal(tall[2].x + tall[2].width, 1448, 'the last strip ends at the edge');
    assert.equal(stripRegions({ width: 1920, height: 700 }, 768).length, 1, 'a short photo: one strip, the whole photo');
  });

  it('leaves a photo whose strips would be longer than 1280 input pixels to tiles', () => {
    assert.deepEqual(stripRegions({ width: 4000, height: 3000 }, 768), []);
    assert.deepEqual(stripRegions({ width: 1920, height: 1280 }, 512), [], 'smaller tiles: a larger scale');
  });
});
