/**
 * Face quality (issue 27): a measured score on every face, low for small,
 * blurred and faded faces, and poor faces kept out of people. Real models,
 * real photos.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { clusterEmbeddings } from '../../src/clustering/cluster-faces.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../../src/vision/calibration.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { mainFace } from '../../src/vision/face-check.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { POOR_QUALITY } from '../../src/vision/face-quality.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { LFW10_DIR, needsDatasets, ONEFACE_DIR } from '../support/datasets.js';
import { groupPhotoMosaic } from '../support/mosaic.js';

const config = loadConfig({});
const engine = createEngine({ engine: 'onnx', threads: 2, precision: config.precision });
const pipeline = new FacePipeline(engine, pipelineOptions(config));
after(() => engine.dispose());

const qualityOf = async (bytes: Buffer) => {
  const face = mainFace((await pipeline.analyze(bytes)).faces);
  assert.ok(face, 'a face is found');
  return face.quality;
};

describe('face quality', () => {
  it('rates a face lower when it is made smaller, blurred or faded, and a clear portrait good', async () => {
    const astronaut = await fs.readFile(path.join(ONEFACE_DIR, 'astronaut.png'));
    const clear = await qualityOf(astronaut);
    assert.ok(clear >= POOR_QUALITY, `the portrait: ${clear}`);
    const small = await qualityOf(await sharp(astronaut).resize(150).png().toBuffer());
    const blurred = await qualityOf(await sharp(astronaut).blur(3).png().toBuffer());
    const faded = await qualityOf(await sharp(astronaut).grayscale().linear(0.4, 80).resize(200).blur(1).png().toBuffer());
    for (const [what, q] of Object.entries({ small, blurred, faded })) {
      assert.ok(q >= 0 && q <= 1, `${what}: ${q} in [0, 1]`);
      assert.ok(q < clear, `${what} ${q.toFixed(3)} < clear ${clear.toFixed(3)}`);
    }
    assert.ok(
      Math.min(small, blurred, faded) < POOR_QUALITY,
      `at least one copy is poor: ${[small, blurred, faded].map((q) => q.toFixed(3))}`,
    );
  });

  it("keeps lfw10's ten people as they are when small background faces are added, and puts none of those in a person", {
    skip: needsDatasets('lfw10'),
  }, async () => {
    const embeddings: Float32Array[] = [];
    const poor: boolean[] = [];
    for (const person of (await fs.readdir(LFW10_DIR)).sort()) {
      for (const file of (await fs.readdir(path.join(LFW10_DIR, person))).sort()) {
        const face = mainFace((await pipeline.analyze(await fs.readFile(path.join(LFW10_DIR, person, file)))).faces)!;
        embeddings.push(face.embedding);
        poor.push(face.quality < POOR_QUALITY);
      }
    }
    const alone = clusterEmbeddings(embeddings, { threshold: DEFAULT_SAME_PERSON_THRESHOLD }, poor);
    // The demo photos' 22 women, tiny, many times over: faces a library of group photos fills with.
    const { bytes } = await groupPhotoMosaic(30);
    const background = (await pipeline.analyze(bytes)).faces;
    const small = background.filter((f) => f.quality < POOR_QUALITY);
    assert.ok(small.length >= 20, `${small.length} poor faces of ${background.length}`);
    const all = [...embeddings, ...small.map((f) => f.embedding)];
    const together = clusterEmbeddings(all, { threshold: DEFAULT_SAME_PERSON_THRESHOLD }, [...poor, ...small.map(() => true)]);
    assert.deepEqual(together.slice(0, embeddings.length), alone, "lfw10's people unchanged");
    assert.ok(
      together.slice(embeddings.length).every((p) => p === null),
      'no small face in a person',
    );
    // Without the quality rule the small faces do not stay out: they make people of their own or join lfw10's.
    const blind = clusterEmbeddings(all, { threshold: DEFAULT_SAME_PERSON_THRESHOLD });
    assert.ok(
      blind.slice(embeddings.length).some((p) => p !== null),
      'the small faces would be clustered without the rule',
    );
  });
});
