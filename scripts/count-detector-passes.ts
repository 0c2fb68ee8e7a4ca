/**
 * `npx tsx scripts/count-detector-passes.ts DIR [DIR ...]`
 *
 * SSD passes per photo, the dominant cost of ingestion, counted (not timed, so
 * the number is the same on a busy machine) for every photo under each DIR and
 * for all of them together, through the pipeline ingestion runs. The bench's
 * 106 photos: `test/fixtures/datasets/groups test/fixtures/datasets/lfw10`.
 * `npm run eval` reports the same count per set (`detectorPassesPerPhoto`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { LABELS_FILE, listPhotos, loadIdentityFolders } from '../src/eval/eval-dataset.js';
import { createEngine } from '../src/vision/engine-factory.js';
import { FacePipeline } from '../src/vision/face-pipeline.js';

const { positionals: dirs, values } = parseArgs({ allowPositionals: true, options: { verbose: { type: 'boolean', short: 'v' } } });
if (dirs.length === 0) {
  process.stderr.write('usage: npx tsx scripts/count-detector-passes.ts [-v] DIR [DIR ...]\n');
  process.exit(2);
}

const config = loadConfig();
const engine = createEngine(config);
const pipeline = new FacePipeline(engine, { ...config.vision, maxPixels: config.limits.maxPixels });

/** A set's photos as the evaluation reads them: those its labels.csv names, else every photo below it. */
async function photosOf(dir: string): Promise<string[]> {
  return existsSync(path.join(dir, LABELS_FILE)) ? (await loadIdentityFolders(dir)).photos : listPhotos(dir);
}

const rows: { set: string; photos: number; passes: number; faces: number }[] = [];
for (const dir of dirs.map((d) => path.resolve(d))) {
  const row = { set: path.basename(dir), photos: 0, passes: 0, faces: 0 };
  for (const file of await photosOf(dir)) {
    const result = await pipeline.analyze(await readFile(file));
    row.photos++;
    row.passes += result.detectorPasses;
    row.faces += result.faces.length;
    if (values.verbose) process.stderr.write(`${path.relative(dir, file)}: ${result.detectorPasses} passes, ${result.faces.length} faces\n`);
  }
  rows.push(row);
}
const all = rows.reduce((a, r) => ({ set: 'all', photos: a.photos + r.photos, passes: a.passes + r.passes, faces: a.faces + r.faces }), { set: 'all', photos: 0, passes: 0, faces: 0 });
for (const r of rows.length > 1 ? [...rows, all] : rows) {
  process.stdout.write(`${r.set}\t${r.photos} photos\t${(r.passes / Math.max(1, r.photos)).toFixed(2)} passes/photo\t${r.faces} faces\n`);
}
await engine.dispose();
