/** The evaluation's `detectorPassesPerPhoto`: SSD passes a photo, averaged per set (issue 14). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listPhotos, loadIdentityFolders } from '../../src/eval/eval-dataset.js';
import { evaluate, evaluateGroups, evaluateNoFace, type PhotoAnalyzer } from '../../src/eval/evaluator.js';

// Each file's bytes are the passes the fake analyzer reports; "bad" cannot be decoded.
const analyzer: PhotoAnalyzer = {
  async analyze(bytes) {
    const text = Buffer.from(bytes).toString();
    if (text === 'bad') throw new Error('not a readable image');
    return { faces: [], detectorPasses: Number(text) };
  },
};

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'facegraph-passes-'));
  const files: Record<string, string> = { 'a/1.jpg': '1', 'a/2.jpg': '2', 'b/1.jpg': '8', 'b/2.jpg': 'bad' };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
});
after(() => rm(root, { recursive: true, force: true }));

describe('detectorPassesPerPhoto', () => {
  it('averages the passes over every photo of a set, a photo that failed to decode counting 0', async () => {
    const dataset = await loadIdentityFolders(root);
    const report = await evaluate(dataset, analyzer, { threshold: 0.07 });
    assert.equal(report.detection.detectorPassesPerPhoto, (1 + 2 + 8 + 0) / 4);
    const photos = await listPhotos(root);
    assert.equal((await evaluateGroups(photos, analyzer, { threshold: 0.07 })).report.detection.detectorPassesPerPhoto, 11 / 4);
    assert.equal((await evaluateNoFace(photos, analyzer)).detectorPassesPerPhoto, 11 / 4);
  });

  it('is left out when the analyzer does not report passes', async () => {
    const silent: PhotoAnalyzer = { analyze: async () => ({ faces: [] }) };
    const report = await evaluate(await loadIdentityFolders(root), silent, { threshold: 0.07 });
    assert.equal('detectorPassesPerPhoto' in report.detection, false);
  });
});
