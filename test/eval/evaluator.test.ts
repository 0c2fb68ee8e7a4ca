import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listPhotos, loadIdentityFolders, loadPairsCsv } from '../../src/eval/eval-dataset.js';
import { evaluate, evaluateGroups, evaluateNoFace, type PhotoAnalyzer } from '../../src/eval/evaluator.js';
import { mainFace } from '../../src/vision/face-check.js';

// A fake analyzer: each file's bytes name a direction; "none" means no face.
const unit = (angle: number) => Float32Array.from({ length: 128 }, (_, i) => (i === 0 ? Math.cos(angle) : i === 1 ? Math.sin(angle) : 0));
const analyzer: PhotoAnalyzer = {
  async analyze(bytes) {
    const text = Buffer.from(bytes).toString();
    if (text === 'none') return { faces: [] };
    const angle = Number(text);
    return {
      faces: [
        // A small wrong face first: the main face is the largest, not the first.
        { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9, landmarks: [], embedding: unit(angle + 1.5) },
        { box: { x: 20, y: 0, width: 50, height: 50 }, score: 0.8, landmarks: [], embedding: unit(angle) },
      ],
    };
  },
};

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'facegraph-eval-'));
  // Person a: two photos 0.1 rad apart; person b: one photo far away and one without a face.
  const files: Record<string, string> = { 'a/1.jpg': '0', 'a/2.jpg': '0.1', 'b/1.jpg': '2', 'b/2.jpg': 'none', 'b/notes.txt': 'x' };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
  await writeFile(path.join(root, 'pairs.csv'), 'file_x,file_y,decision\na/1.jpg,a/2.jpg,Yes\na/1.jpg,b/1.jpg,No\nb/1.jpg,b/2.jpg,Yes\n');
});
after(() => rm(root, { recursive: true, force: true }));

describe('evaluate', () => {
  it('picks the main face by size weighted by confidence, not size alone', () => {
    assert.equal(
      mainFace([
        { box: { width: 5, height: 5 }, score: 0.9 },
        { box: { width: 6, height: 6 }, score: 0.9 },
      ])?.box.width,
      6,
    );
    // A box a little larger but doubtful loses to the confident face (36 * 0.5 = 18 < 25 * 1).
    assert.equal(
      mainFace([
        { box: { width: 5, height: 5 }, score: 1 },
        { box: { width: 6, height: 6 }, score: 0.5 },
      ])?.box.width,
      5,
    );
    assert.equal(mainFace([]), undefined);
  });

  it('pairs every photo of a per-person dataset and counts a photo without a face as errors', async () => {
    const dataset = await loadIdentityFolders(root);
    assert.equal(dataset.photos.length, 4, 'notes.txt is not a photo');
    assert.equal(dataset.pairs.length, 6);
    const report = await evaluate(dataset, analyzer, { threshold: 0.01 });
    assert.equal(report.detection.photos, 4);
    assert.equal(report.detection.photosWithoutFace, 1);
    assert.equal(report.verification.pairs, 6);
    assert.equal(report.verification.positives, 2);
    assert.equal(report.verification.unscoredPairs, 3);
    // cos distance of a/1-a/2 is 1 - cos(0.1) = 0.005 <= 0.01: right. a-b pairs far apart: right (2 of them
    // scored). The 3 pairs with b/2 are errors: 3 right of 6.
    assert.equal(report.verification.accuracy, 3 / 6);
    // Positives: a/1-a/2 right, b/1-b/2 wrong -> 0.5; negatives: 2 of 4 right -> 0.5.
    assert.equal(report.verification.balancedAccuracy, 0.5);
  });

  it('scores exactly the pairs of a CSV', async () => {
    const dataset = await loadPairsCsv(path.join(root, 'pairs.csv'), root);
    assert.equal(dataset.photos.length, 4);
    const report = await evaluate(dataset, analyzer, { threshold: 0.01 });
    assert.equal(report.verification.pairs, 3);
    assert.equal(report.verification.positives, 2);
    assert.equal(report.verification.accuracy, 2 / 3);
    assert.equal(report.calibration, undefined, 'no identities, no calibration');
  });

  it('refuses a CSV with a bad decision', async () => {
    const bad = path.join(root, 'bad.csv');
    await writeFile(bad, 'file_x,file_y,decision\na/1.jpg,a/2.jpg,Maybe\n');
    await assert.rejects(loadPairsCsv(bad, root), /decision must be Yes or No/);
  });

  it('adds clustering metrics when given a clustering function', async () => {
    const dataset = await loadIdentityFolders(root);
    const report = await evaluate(dataset, analyzer, {
      threshold: 0.01,
      cluster: async (embeddings) => embeddings.map((e) => (e ? (e[0] > 0 ? 'x' : 'y') : null)),
    });
    // a/1, a/2 in x; b/1 in y; b/2 unassigned: precision 1, recall 1 of 2.
    assert.deepEqual(report.clustering, { identities: 2, people: 2, pairwisePrecision: 1, pairwiseRecall: 0.5, pairwiseF1: 2 / 3 });
  });
});

describe('labels, photos without a face and group photos', () => {
  it('reads identities from a labels.csv when the set has one', async () => {
    const dir = path.join(root, 'labelled');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'x.jpg'), '0');
    await writeFile(path.join(dir, 'y.jpg'), '0.1');
    await writeFile(path.join(dir, 'z.jpg'), '2');
    await writeFile(path.join(dir, 'labels.csv'), 'file,identity\nx.jpg,ann\ny.jpg,ann\nz.jpg,bob\n');
    const dataset = await loadIdentityFolders(dir);
    assert.deepEqual(dataset.identities, ['ann', 'ann', 'bob']);
    assert.deepEqual(
      dataset.pairs.map((p) => p.same),
      [true, false, false],
    );
  });

  it('counts every face in a no-face folder as a false face', async () => {
    const photos = (await listPhotos(root)).filter((p) => !p.includes('labelled'));
    assert.equal(photos.length, 4, 'notes.txt and the CSVs are not photos');
    const report = await evaluateNoFace(photos, analyzer);
    // Three of the four give two faces each (the fake analyzer's two boxes); "none" gives none.
    assert.equal(report.noFacePhotos, 4);
    assert.equal(report.falseFaces, 6);
    assert.equal(report.withFalseFaces.length, 3);
  });

  it('pairs the faces of each group photo as different people', async () => {
    const { report, pairs } = await evaluateGroups([path.join(root, 'a/1.jpg'), path.join(root, 'b/2.jpg')], analyzer, { threshold: 0.01 });
    // a/1 gives two faces 1.5 rad apart: one pair, rightly rejected; b/2 gives none.
    assert.deepEqual(
      report.detection.perPhoto.map((p) => p.faces),
      [2, 0],
    );
    assert.equal(pairs.length, 1);
    assert.equal(pairs[0].same, false);
    assert.equal(report.verification.accuracy, 1);
    const loose = await evaluateGroups([path.join(root, 'a/1.jpg')], analyzer, { threshold: 1 });
    assert.equal(loose.report.verification.falseAccepts, 1);
  });
});
