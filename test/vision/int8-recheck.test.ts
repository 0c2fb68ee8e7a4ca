/**
 * The int8 detector's float32 re-checks (issue 14): a pass whose box the face
 * check doubts runs again in float32, and only that pass. Real models, a real
 * 1920-px group photo (whole-photo pass, tiles, canvas).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { cropImage } from '../../src/vision/alignment.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { detectFaces, redetectPasses, type FaceDetectorOptions } from '../../src/vision/face-detector.js';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { DEMO_DIR } from '../support/datasets.js';

const defaults = loadConfig({});
const vnni = () => 'flags : avx512_vnni';
const int8 = createEngine({ engine: 'onnx', threads: 1, precision: 'int8' }, vnni);
const fp32 = createEngine({ engine: 'onnx', threads: 1, precision: 'fp32' }, vnni);
after(() => Promise.all([int8.dispose(), fp32.dispose()]));

describe('float32 re-checks of int8 detector passes', () => {
  it("runs only the passes asked for again, in float32, and keeps the other passes' boxes", async () => {
    const { image } = await decodePhoto(await fs.readFile(path.join(DEMO_DIR, 'sample1.jpg')), pipelineOptions(defaults));
    const options: FaceDetectorOptions = {
      ...defaults.vision,
      minFaceSize: defaults.vision.minFaceSize,
      tileSize: defaults.vision.detectTileSize,
      tryRotations: true,
      input: 'face-api',
    };
    const located = await detectFaces(int8, image, options);
    assert.ok(located.passes >= 7, `whole photo and tiles: ${located.passes} passes`);
    assert.equal(located.search.float32Passes.size, 0);

    const doubted = located.search.found.find((d) => d.pass === 0)!;
    const again = await redetectPasses(int8, located, [doubted], options);
    assert.equal(again.passes, 1, 'one pass run again');
    assert.deepEqual([...again.search.float32Passes], [0]);
    const others = located.search.found.filter((d) => d.pass !== 0);
    assert.ok(others.length > 0);
    for (const d of others) assert.ok(again.search.found.includes(d), 'a tile or canvas box kept as it was');

    // The re-run pass's boxes are the float32 detector's own on the same image.
    const redone = again.search.found.filter((d) => d.pass === 0).map((d) => d.box);
    const float32Boxes = (await fp32.detect(located.search.view.image, { minScore: options.minScore, maxFaces: options.maxFaces }))
      .filter((d) => d.score > options.minScore)
      .map((d) => d.box);
    assert.ok(float32Boxes.length >= 3, `${float32Boxes.length} faces in the whole-photo pass`);
    assert.deepEqual(redone, float32Boxes);
    const quantized = located.search.found.filter((d) => d.pass === 0).map((d) => d.box);
    assert.notDeepEqual(quantized, float32Boxes, "int8's boxes differ from float32's, so the re-run is what changed them");
  });

  it('looks at a doubted box of a strip again in a float32 window around it, at the same scale', async () => {
    // 1920 x 1398: two strips of 1920 x 747 at 2/3 scale (input 1280 x 512) instead of six tiles.
    const { image } = await decodePhoto(await fs.readFile(path.join(DEMO_DIR, 'sample5.jpg')), pipelineOptions(defaults));
    const options: FaceDetectorOptions = { ...defaults.vision, tileSize: defaults.vision.detectTileSize, tryRotations: true, input: 'fit' };
    const located = await detectFaces(int8, image, options);
    const strips = located.search.passes.flatMap((p, i) => (p.input ? [i] : []));
    assert.equal(strips.length, 2, 'two strips instead of tiles');
    for (const i of strips) assert.deepEqual(located.search.passes[i].input, { width: 1280, height: 512 });
    const inFine = located.search.found.filter((d) => strips.includes(d.pass));
    assert.ok(inFine.length >= 4, `${inFine.length} faces in the strips`);

    const doubted = inFine[0];
    const again = await redetectPasses(int8, located, [doubted], options);
    assert.equal(again.passes, 1, 'one window, not the strip');
    const window = again.search.passes.length - 1;
    assert.deepEqual([...again.search.float32Passes], [window]);
    const region = again.search.passes[window].region;
    assert.equal(region.width, defaults.vision.detectTileSize);
    assert.ok(!again.search.found.includes(doubted), "the doubted box is replaced by the window's");
    // Strip faces outside the window stay as they were.
    const outside = inFine.filter((d) => d.box.x >= region.x + region.width || d.box.x + d.box.width <= region.x);
    assert.ok(outside.length > 0);
    for (const d of outside) assert.ok(again.search.found.includes(d));
    // The window's boxes are the float32 detector's own on that crop.
    const crop = cropImage(located.search.view.image, region);
    const float32Boxes = (await fp32.detect(crop, { minScore: options.minScore, maxFaces: options.maxFaces })).filter(
      (d) => d.score > options.minScore,
    );
    const redone = again.search.found.filter((d) => d.pass === window);
    assert.ok(redone.length >= 1);
    for (const d of redone) {
      assert.ok(
        float32Boxes.some((e) => Math.abs(e.box.x + region.x - d.box.x) < 1e-6 && Math.abs(e.box.y + region.y - d.box.y) < 1e-6),
        'a float32 box',
      );
    }
  });
});
