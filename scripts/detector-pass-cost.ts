/**
 * `npx tsx scripts/detector-pass-cost.ts DIR [DIR ...] [--rounds N]`
 *
 * What the detector's passes cost, by input: every photo under each DIR goes
 * through the ingestion pipeline (`FacePipeline`, this thread, the configured
 * engine: run it with `FACEGRAPH_THREADS=1` to see one analysis thread's
 * share), and each `engine.detect` call is timed and grouped by its input size
 * and precision (int8, or the float32 re-checks). Prints, per round: ms a
 * photo, and for each input its passes a photo, ms a pass and ms a photo. The
 * first round of a process includes first-call costs; compare later rounds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { listPhotos } from '../src/eval/eval-dataset.js';
import { createEngine } from '../src/vision/engine-factory.js';
import { FacePipeline } from '../src/vision/face-pipeline.js';
import type { DetectOptions, FaceEngine, RgbImage } from '../src/vision/types.js';

const { positionals: dirs, values } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '2' } } });
if (dirs.length === 0) {
  process.stderr.write('usage: npx tsx scripts/detector-pass-cost.ts DIR [DIR ...] [--rounds N]\n');
  process.exit(2);
}

const config = loadConfig();
const engine = createEngine(config);
const passes = new Map<string, { calls: number; ms: number }>();
// The engine as the pipeline sees it, with its detector timed.
const timed: FaceEngine = Object.create(engine, {
  detect: {
    value: async (image: RgbImage, options: DetectOptions) => {
      const t0 = performance.now();
      const found = await engine.detect(image, options);
      const size = options.inputSize ? `${options.inputSize.width}x${options.inputSize.height}` : '512x512';
      const key = `${options.exact || !engine.approximateDetector ? 'float32' : 'int8'} ${size}`;
      const p = passes.get(key) ?? { calls: 0, ms: 0 };
      p.calls++;
      p.ms += performance.now() - t0;
      passes.set(key, p);
      return found;
    },
  },
});
const pipeline = new FacePipeline(timed, { ...config.vision, maxPixels: config.limits.maxPixels });
await pipeline.load();

for (const dir of dirs) {
  const photos = await Promise.all((await listPhotos(dir)).map((file) => readFile(file)));
  for (let round = 1; round <= Number(values.rounds); round++) {
    passes.clear();
    const t0 = performance.now();
    let faces = 0;
    for (const bytes of photos) faces += (await pipeline.analyze(bytes)).faces.length;
    const msPerPhoto = (performance.now() - t0) / photos.length;
    process.stdout.write(`${path.basename(dir)} round ${round}: ${photos.length} photos, ${faces} faces, ${msPerPhoto.toFixed(1)} ms a photo\n`);
    for (const [key, p] of [...passes].sort()) {
      process.stdout.write(`  ${key}\t${(p.calls / photos.length).toFixed(2)} passes a photo\t${(p.ms / p.calls).toFixed(1)} ms a pass\t${(p.ms / photos.length).toFixed(1)} ms a photo\n`);
    }
  }
}
await engine.dispose();
