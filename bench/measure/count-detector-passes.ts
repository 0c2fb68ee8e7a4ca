/**
 * `npx tsx bench/measure/count-detector-passes.ts [-v] [--time [--rounds N]] DIR [DIR ...]`
 *
 * SSD passes per photo, the dominant cost of ingestion, counted (not timed, so
 * the number is the same on a busy machine) for every photo under each DIR and
 * for all of them together, through the pipeline ingestion runs. The bench's
 * 106 photos: `node_modules/@vladmandic/face-api/demo "$FACEGRAPH_DATASETS/lfw10"`
 * (the demo folder counts as its six sample photos, not its screenshots; knn
 * and edge as the photos their labels in src/eval/labels/ name).
 * `npm run eval` reports the same count per set (`detectorPassesPerPhoto`).
 *
 * `--time` also times every `engine.detect` call, grouped by input size and
 * precision (int8, or the float32 re-checks), and prints per set and round the
 * ms a photo and, for each input, its passes a photo, ms a pass and ms a photo.
 * Run it with `FACEGRAPH_THREADS=1` to see one analysis thread's share; the
 * first of `--rounds` (default 2) includes first-call costs.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { DEMO_DIR, DEMO_PHOTOS } from '../../src/eval/demo-photos.js';
import { LABELS_FILE, listPhotos, loadIdentityFolders } from '../../src/eval/eval-dataset.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import type { DetectOptions, FaceEngine, RgbImage } from '../../src/vision/types.js';

const { positionals: dirs, values } = parseArgs({
  allowPositionals: true,
  options: { verbose: { type: 'boolean', short: 'v' }, time: { type: 'boolean' }, rounds: { type: 'string', default: '2' } },
});
if (dirs.length === 0) {
  process.stderr.write('usage: npx tsx bench/measure/count-detector-passes.ts [-v] [--time [--rounds N]] DIR [DIR ...]\n');
  process.exit(2);
}

const config = loadConfig();
const engine = createEngine(config);
/** Detector calls by input ("int8 256x256"), with `--time`. */
const timings = new Map<string, { calls: number; ms: number }>();
const pipeline = new FacePipeline(values.time ? timed(engine) : engine, { ...config.vision, maxPixels: config.limits.maxPixels });
await pipeline.load();

/** `engine` as the pipeline sees it, each detector call timed into {@link timings}. */
function timed(inner: FaceEngine): FaceEngine {
  const detect = async (image: RgbImage, options: DetectOptions) => {
    const t0 = performance.now();
    const found = await inner.detect(image, options);
    const size = options.inputSize ? `${options.inputSize.width}x${options.inputSize.height}` : '512x512';
    const key = `${options.float32 || !inner.approximateDetector ? 'float32' : 'int8'} ${size}`;
    const t = timings.get(key) ?? { calls: 0, ms: 0 };
    t.calls++;
    t.ms += performance.now() - t0;
    timings.set(key, t);
    return found;
  };
  return Object.create(inner, { detect: { value: detect } });
}

/**
 * A set's photos as the evaluation reads them: those its labels name (its own labels.csv, or
 * src/eval/labels/<set>.csv for knn and edge), face-api's demo folder's six sample photos,
 * else every photo below it.
 */
async function photosOf(dir: string): Promise<string[]> {
  if (dir === path.resolve(DEMO_DIR)) return DEMO_PHOTOS.map((f) => path.join(dir, f));
  if (existsSync(path.join(dir, LABELS_FILE))) return (await loadIdentityFolders(dir)).photos;
  const labels = path.join(import.meta.dirname, '../../src/eval/labels', `${path.basename(dir)}.csv`);
  return existsSync(labels) ? (await loadIdentityFolders(dir, { labels })).photos : listPhotos(dir);
}

const rows: { set: string; photos: number; passes: number; faces: number }[] = [];
for (const dir of dirs.map((d) => path.resolve(d))) {
  const files = await photosOf(dir);
  for (let round = 1; round <= (values.time ? Number(values.rounds) : 1); round++) {
    const row = { set: path.basename(dir), photos: 0, passes: 0, faces: 0 };
    timings.clear();
    const t0 = performance.now();
    for (const file of files) {
      const result = await pipeline.analyze(await readFile(file));
      row.photos++;
      row.passes += result.detectorPasses;
      row.faces += result.faces.length;
      if (values.verbose)
        process.stderr.write(`${path.relative(dir, file)}: ${result.detectorPasses} passes, ${result.faces.length} faces\n`);
    }
    if (round === 1) rows.push(row);
    if (!values.time) continue;
    process.stdout.write(`${row.set} round ${round}: ${((performance.now() - t0) / row.photos).toFixed(1)} ms a photo\n`);
    for (const [key, t] of [...timings].sort()) {
      process.stdout.write(
        `  ${key}\t${(t.calls / row.photos).toFixed(2)} passes a photo\t${(t.ms / t.calls).toFixed(1)} ms a pass\t${(t.ms / row.photos).toFixed(1)} ms a photo\n`,
      );
    }
  }
}
const all = rows.reduce((a, r) => ({ set: 'all', photos: a.photos + r.photos, passes: a.passes + r.passes, faces: a.faces + r.faces }), {
  set: 'all',
  photos: 0,
  passes: 0,
  faces: 0,
});
for (const r of rows.length > 1 ? [...rows, all] : rows) {
  process.stdout.write(`${r.set}\t${r.photos} photos\t${(r.passes / Math.max(1, r.photos)).toFixed(2)} passes/photo\t${r.faces} faces\n`);
}
await engine.dispose();
