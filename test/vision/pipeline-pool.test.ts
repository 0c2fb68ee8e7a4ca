/**
 * Analysis threads (PipelinePool): real models in real worker threads on real
 * photos. The pool's answers must be the in-thread pipeline's (same faces, same
 * embeddings up to float summation order), errors must keep their stable code
 * across the thread boundary, and a dead thread must cost one photo, not the pool.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { FaceAnalyzer } from '../../src/services/face-analyzer.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { PipelinePool, pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { cosineDistance } from '../../src/vision/vector-math.js';
import { GROUP_FACES, DEMO_DIR, ONEFACE_DIR } from '../support/datasets.js';

const config = loadConfig({ FACEGRAPH_THREADS: '2', FACEGRAPH_ANALYZERS: '2' });
/** A portrait with one face (test/fixtures/photos/oneface): the astronaut, or the grey cameraman. */
const photo = (name: 'astronaut' | 'camera') => readFile(path.join(ONEFACE_DIR, `${name}.png`));

describe('PipelinePool: photos analysed in worker threads', () => {
  let pool: PipelinePool;
  let local: FacePipeline;
  before(async () => {
    local = new FacePipeline(createEngine(config), pipelineOptions(config));
    pool = new PipelinePool(config, 2, local.modelId);
    await pool.load();
  });
  after(async () => {
    await pool.close();
    await local.engine.dispose();
  });

  it('finds the faces the in-thread pipeline finds, with the same embeddings, two photos at once', async () => {
    const group = Object.keys(GROUP_FACES)[0];
    const files = [await photo('astronaut'), await photo('camera'), await readFile(path.join(DEMO_DIR, `${group}.jpg`))];
    const threaded = await Promise.all(files.map((bytes) => pool.analyze(bytes)));
    for (const [i, bytes] of files.entries()) {
      const here = await local.analyze(bytes);
      assert.equal(threaded[i].faces.length, here.faces.length, `faces in photo ${i}`);
      assert.ok(here.faces.length > 0);
      for (const [k, face] of here.faces.entries()) {
        const other = threaded[i].faces[k];
        assert.ok(other.embedding instanceof Float32Array, 'embeddings arrive as Float32Array');
        assert.ok(Math.abs(other.box.x - face.box.x) < 1 && Math.abs(other.box.width - face.box.width) < 1, `box of face ${k}`);
        // One intra-op thread here, two there: the same arithmetic up to summation order.
        assert.ok(cosineDistance(other.embedding, face.embedding) < 1e-4, `embedding of face ${k}`);
        assert.equal(other.source, face.source);
      }
    }
    assert.equal(threaded[2].faces.length, GROUP_FACES[Object.keys(GROUP_FACES)[0]].length);
  });

  it("makes a photo's browser rendition in a thread: the in-thread pipeline's JPEG, and a corrupt file's UNSUPPORTED_IMAGE", async () => {
    const tiff = await sharp(await photo('astronaut'))
      .tiff()
      .toBuffer();
    const [threaded, here] = await Promise.all([pool.renderForBrowser(tiff), local.renderForBrowser(tiff)]);
    assert.deepEqual(Buffer.from(threaded), Buffer.from(here));
    assert.equal((await sharp(threaded).metadata()).format, 'jpeg');
    await assert.rejects(
      pool.renderForBrowser(tiff.subarray(0, 200)),
      (err: unknown) => err instanceof AppError && err.code === 'UNSUPPORTED_IMAGE',
    );
  });

  it('answers a corrupt file with UNSUPPORTED_IMAGE across the thread boundary, and goes on', async () => {
    const good = await photo('astronaut');
    const truncated = good.subarray(0, 100);
    await assert.rejects(
      pool.analyze(new Uint8Array(truncated)),
      (err: unknown) => err instanceof AppError && err.code === 'UNSUPPORTED_IMAGE',
    );
    await assert.rejects(
      pool.analyze(new TextEncoder().encode('not an image')),
      (err: unknown) => err instanceof AppError && err.code === 'UNSUPPORTED_IMAGE',
    );
    assert.equal((await pool.analyze(good)).faces.length, 1);
  });

  it('analyses a drawn box in a thread (addFace)', async () => {
    const bytes = await photo('astronaut');
    const [face] = (await local.analyze(bytes)).faces;
    const box = await pool.analyzeBox(bytes, face.box);
    assert.equal(box.check.isFace, true);
    assert.ok(cosineDistance(box.face.embedding, face.embedding) < 0.01);
  });

  it('replaces a thread that dies: its photo fails, the next photos are analysed', async () => {
    const lanes = (pool as unknown as { lanes: { worker: { terminate(): Promise<number> } }[] }).lanes;
    const bytes = await photo('camera');
    const inFlight = [pool.analyze(bytes), pool.analyze(bytes)];
    await lanes[0].worker.terminate();
    const settled = await Promise.allSettled(inFlight);
    assert.equal(settled.filter((s) => s.status === 'rejected').length, 1, 'the photo in the dead thread fails');
    const results = await Promise.all([pool.analyze(bytes), pool.analyze(bytes), pool.analyze(bytes)]);
    assert.deepEqual(
      results.map((r) => r.faces.length),
      [1, 1, 1],
    );
  });

  it('keeps at most `parallel` photos in analysis through FaceAnalyzer, in order', async () => {
    let inside = 0;
    let most = 0;
    const slow = {
      modelId: 'm',
      analyze: async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
        return {
          width: 1,
          height: 1,
          format: 'jpeg',
          faces: [],
          rotation: 0 as const,
          rejected: 0,
          detectorPasses: 1,
          redetected: false,
          timings: { decode: 0, detect: 0, landmarks: 0, encode: 0 },
        };
      },
      analyzeBox: () => Promise.reject(new Error('unused')),
      renderForBrowser: () => Promise.reject(new Error('unused')),
    };
    const two = new FaceAnalyzer(slow, 2);
    await Promise.all(Array.from({ length: 7 }, () => two.analyze(new Uint8Array(1))));
    assert.equal(most, 2);
    most = 0;
    const one = new FaceAnalyzer(slow);
    await Promise.all(Array.from({ length: 5 }, () => one.analyze(new Uint8Array(1))));
    assert.equal(most, 1);
  });
});
