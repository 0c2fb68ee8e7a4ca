/**
 * The face check's second opinion on a box of no face's shape (issue 27): a
 * held-out selfie lost its camera holder's face, whose detector box (128 x 315)
 * failed the shape bound. Real models on a real photo; the detector's boxes
 * are reshaped to reproduce such boxes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { iou } from '../../src/vision/box-matching.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import type { Box, Detection, DetectOptions, FaceEngine, RgbImage } from '../../src/vision/types.js';
import { ONEFACE_DIR } from '../support/datasets.js';

const config = loadConfig({ FACEGRAPH_PRECISION: 'fp32' });
const engine = createEngine({ engine: 'onnx', threads: 2, precision: 'fp32' });
after(() => engine.dispose());

/** The real engine, its detector's boxes passed through `reshape` (which may also add boxes). */
function reshaping(reshape: (found: Detection[], image: RgbImage, options: DetectOptions) => Detection[]): FaceEngine {
  return new Proxy(engine, {
    get(target, key, receiver) {
      if (key === 'detect') {
        return async (image: RgbImage, options: DetectOptions) => reshape(await target.detect(image, options), image, options);
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const astronaut = () => fs.readFile(path.join(ONEFACE_DIR, 'astronaut.png'));

describe('second opinion on a box of no face shape', () => {
  it('keeps a face whose box runs down over the neck, in the box the detector gives it again', async () => {
    const plain = await new FacePipeline(engine, pipelineOptions(config)).analyze(await astronaut());
    assert.equal(plain.faces.length, 1);
    const real: Box = plain.faces[0].box;
    // Every confident box 2.6 times as tall, over the neck and chest: width / height about 0.3, as the selfie's 0.41 or less.
    let crops = 0;
    const stretched = reshaping((found, image, options) => {
      if (options.float32 && image.width < 512) crops++;
      return found.map((d) =>
        d.score > 0.5 ? { ...d, box: { ...d.box, height: Math.min(d.box.height * 2.6, image.height - d.box.y) } } : d,
      );
    });
    const result = await new FacePipeline(stretched, pipelineOptions(config)).analyze(await astronaut());
    assert.ok(crops > 0, 'the detector was asked again, on a crop');
    assert.equal(result.faces.length, 1, `faces: ${JSON.stringify(result.faces.map((f) => f.box))}`);
    assert.ok(result.faces[0].box.width / result.faces[0].box.height < 0.45, 'kept in the box the detector gave, not a bound');
    assert.ok(iou(result.faces[0].box, { ...real, height: result.faces[0].box.height }) > 0.8);
    assert.equal(result.rejected, 0);
  });

  it('takes no upper body below a face for a second face', async () => {
    // A confident box across the shoulders, 2.1 times as wide as tall (the red-carpet photo's false box was 2.05).
    const body: Detection = { box: { x: 120, y: 250, width: 300, height: 143 }, score: 0.93 };
    const withBody = reshaping((found, image) => (image.width === 512 && image.height === 512 ? [...found, body] : found));
    const result = await new FacePipeline(withBody, pipelineOptions(config)).analyze(await astronaut());
    assert.equal(result.faces.length, 1, `faces: ${JSON.stringify(result.faces.map((f) => f.box))}`);
    assert.ok(result.faces[0].box.y < 150, 'the face, not the shoulders');
  });
});
