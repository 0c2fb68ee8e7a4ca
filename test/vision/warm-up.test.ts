/**
 * The engine's warm-up (FacePipeline.load -> OnnxEngine.warmUp): which
 * detector inputs it prepares for, and that running the networks on a grey
 * image first changes nothing a photo gives. Real models, real photos.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { LARGEST_STRIP_INPUT, SSD_INPUT } from '../../src/vision/detector-regions.js';
import { largestDetectorInputs } from '../../src/vision/face-detector.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import type { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import type { FaceEngine } from '../../src/vision/types.js';
import { DEMO_DIR } from '../support/datasets.js';

const vnni = () => 'flags : avx512_vnni';
const square = { width: SSD_INPUT, height: SSD_INPUT };

describe('the detector inputs a warm-up prepares for', () => {
  const engine = (approximateDetector: boolean, scalableDetector: boolean) => ({ approximateDetector, scalableDetector }) as FaceEngine;

  it('the largest strip and 512 with the int8 detector fitting large photos; 512 alone otherwise', () => {
    assert.deepEqual(largestDetectorInputs(engine(true, true), { input: 'fit', tileSize: 768 }), [LARGEST_STRIP_INPUT, square]);
    // Strips are int8-only; face-api inputs, a fixed-size engine or no tiles never go past 512.
    assert.deepEqual(largestDetectorInputs(engine(false, true), { input: 'fit', tileSize: 768 }), [square]);
    assert.deepEqual(largestDetectorInputs(engine(true, true), { input: 'face-api', tileSize: 768 }), [square]);
    assert.deepEqual(largestDetectorInputs(engine(true, false), { input: 'fit', tileSize: 768 }), [square]);
    assert.deepEqual(largestDetectorInputs(engine(true, true), { input: 'fit', tileSize: 0 }), [square]);
  });
});

describe('a warmed-up engine', () => {
  const config = loadConfig({ FACEGRAPH_PRECISION: 'int8' });
  const cold = createEngine({ ...config, threads: 1 }, vnni) as OnnxEngine;
  const warm = createEngine({ ...config, threads: 1 }, vnni) as OnnxEngine;
  after(() => Promise.all([cold.dispose(), warm.dispose()]));

  it('gives a group photo the same faces, boxes and embeddings as one that was not, and starts its profile afresh', async () => {
    const options = pipelineOptions(config);
    const warmed = new FacePipeline(warm, options);
    await warmed.load();
    const profile = warm.profile();
    for (const network of ['detector', 'landmarks', 'recognition'] as const) {
      assert.equal(profile[network].calls, 0, `${network}: the warm-up's runs are not in the profile`);
    }
    const bytes = await fs.readFile(path.join(DEMO_DIR, 'sample2.jpg'));
    const a = await new FacePipeline(cold, options).analyze(bytes);
    const b = await warmed.analyze(bytes);
    assert.ok(a.faces.length >= 3, `sample2.jpg shows its faces (${a.faces.length})`);
    assert.equal(b.faces.length, a.faces.length);
    assert.equal(b.detectorPasses, a.detectorPasses);
    a.faces.forEach((f, i) => {
      assert.deepEqual(b.faces[i].box, f.box);
      assert.deepEqual(Array.from(b.faces[i].embedding), Array.from(f.embedding));
    });
    assert.ok(warm.profile().detector.calls > 0, 'the photo is in the profile');
  });
});
