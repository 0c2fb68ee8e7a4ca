// Exploration: landmark mirror disagreement of each detector box under box jitter.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/vision/engine-factory.js';
import { detectFaces } from '../src/vision/face-detector.js';
import { decodePhoto } from '../src/vision/image-decoder.js';
import { averagedLandmarks } from '../src/vision/landmark-averaging.js';
import { pipelineOptions } from '../src/vision/pipeline-pool.js';
import type { Box } from '../src/vision/types.js';
const precision = process.argv[2] as 'fp32' | 'int8';
const config = loadConfig({ FACEGRAPH_PRECISION: precision });
const engine = createEngine(config);
const opts = pipelineOptions(config);
const D = 'test/fixtures/datasets';
const J = Number(process.env.J ?? 0.03);
const JIT: [number, number, number][] = [[J, 0, 1], [-J, 0, 1], [0, J, 1], [0, -J, 1], [0, 0, 1 - 2 * J], [0, 0, 1 + 2 * J]];
function jitter(b: Box, [dx, dy, s]: [number, number, number]): Box {
  const w = b.width * s, h = b.height * s;
  return { x: b.x + b.width * dx + (b.width - w) / 2, y: b.y + b.height * dy + (b.height - h) / 2, width: w, height: h };
}
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile() && /\.(jpg|png)$/i.test(e.name)) out.push(path.join(e.parentPath, e.name));
  return out.sort();
}
async function variants(file: string, shave: boolean): Promise<Buffer[]> {
  const bytes = await readFile(file);
  if (!shave) return [bytes];
  const meta = await sharp(bytes).metadata();
  const out: Buffer[] = [bytes];
  for (const l of [0, 4]) for (const t of [0, 4]) for (const r of [0, 4]) for (const b of [0, 4]) {
    if (l + t + r + b === 0) continue;
    out.push(await sharp(bytes).extract({ left: l, top: t, width: meta.width! - l - r, height: meta.height! - t - b }).png().toBuffer());
  }
  return out;
}
const sets: [string, boolean][] = process.argv.slice(3).map((s) => [s.replace(/\+$/, ''), s.endsWith('+')]);
for (const [set, shave] of sets) {
  for (const file of await files(path.join(D, set))) {
    for (const [vi, bytes] of (await variants(file, shave)).entries()) {
      const photo = await decodePhoto(bytes, opts);
      const { view, detections } = await detectFaces(engine, photo.image, { minScore: opts.minScore, maxFaces: opts.maxFaces, minFaceSize: opts.minFaceSize / photo.scale, tileSize: opts.detectTileSize ?? 0, tryRotations: true });
      if (!detections.length) continue;
      const boxes = detections.map((d) => d.box);
      const base = await averagedLandmarks(engine, view.image, boxes);
      const jit = await Promise.all(JIT.map((j) => averagedLandmarks(engine, view.image, boxes.map((b) => jitter(b, j)))));
      detections.forEach((d, i) => {
        const js = jit.map((f) => f[i].disagreement);
        console.log([set, path.basename(file), vi, d.score.toFixed(2), Math.round(d.box.width), base[i].disagreement.toFixed(3), Math.max(...js).toFixed(3), (js.reduce((a, b) => a + b) / js.length).toFixed(3), js.map((v) => v.toFixed(3)).join(' ')].join('\t'));
      });
    }
  }
}
process.exit(0);
