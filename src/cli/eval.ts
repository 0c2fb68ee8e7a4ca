/**
 * `npm run eval -- --dataset DIR [--out FILE]`
 * `npm run eval -- --pairs FILE.csv --images DIR [--out FILE]`
 *
 * Runs labelled photos through the ingestion pipeline and prints a JSON report
 * of detection and verification quality (issue 3). Progress goes to stderr so
 * that stdout is the report alone.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { clusterEmbeddings } from '../clustering/cluster-faces.js';
import { loadConfig } from '../config.js';
import { loadIdentityFolders, loadPairsCsv } from '../eval/eval-dataset.js';
import { evaluate } from '../eval/evaluator.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import { createEngine } from '../vision/engine-factory.js';
import { FacePipeline } from '../vision/face-pipeline.js';

const USAGE = `usage:
  npm run eval -- --dataset DIR [--out FILE] [--threshold T]
  npm run eval -- --pairs FILE.csv --images DIR [--out FILE] [--threshold T]

  --dataset DIR    one folder per person (identity = folder name); all cross pairs are scored
  --pairs FILE     CSV with header file_x,file_y,decision (Yes = same person, No = different)
  --images DIR     folder the CSV's file names are relative to
  --out FILE       also write the JSON report to FILE
  --threshold T    cosine-distance threshold to score (default: the calibrated ${DEFAULT_SAME_PERSON_THRESHOLD})
  Vision settings come from the environment as in production (FACEGRAPH_ENGINE, FACEGRAPH_MIN_SCORE, ...).
  stdout is the JSON report alone with \`npm run --silent eval -- ...\` (npm prints a header otherwise).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dataset: { type: 'string' },
        pairs: { type: 'string' },
        images: { type: 'string' },
        out: { type: 'string' },
        threshold: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const byDataset = values.dataset !== undefined;
  const byPairs = values.pairs !== undefined || values.images !== undefined;
  if (byDataset === byPairs || (byPairs && (!values.pairs || !values.images))) {
    process.stderr.write(`give either --dataset DIR, or --pairs FILE.csv with --images DIR\n${USAGE}\n`);
    return 2;
  }
  const threshold = values.threshold === undefined ? DEFAULT_SAME_PERSON_THRESHOLD : Number(values.threshold);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 2) {
    process.stderr.write(`--threshold must be a cosine distance in [0, 2], got "${values.threshold}"\n`);
    return 2;
  }

  const config = loadConfig();
  const dataset = byDataset
    ? await loadIdentityFolders(path.resolve(values.dataset!))
    : await loadPairsCsv(path.resolve(values.pairs!), path.resolve(values.images!));
  const root = path.resolve(values.dataset ?? values.images!);
  const engine = createEngine(config);
  const pipeline = new FacePipeline(engine, { ...config.vision, maxPixels: config.limits.maxPixels });
  process.stderr.write(`eval: ${dataset.photos.length} photos, ${dataset.pairs.length} pairs, engine ${engine.name}\n`);

  const report = await evaluate(dataset, pipeline, {
    threshold,
    cluster: async (embeddings) => clusterEmbeddings(embeddings, { threshold }),
    onProgress: (done, total, photo) => {
      const what = photo.error ? `error: ${photo.error}` : photo.score === null ? 'NO FACE' : `${photo.faces} face(s), main ${photo.score.toFixed(2)}`;
      process.stderr.write(`[${String(done).padStart(String(total).length)}/${total}] ${path.relative(root, photo.file)}: ${what}\n`);
    },
  });
  const json = JSON.stringify(
    {
      source: byDataset ? { dataset: values.dataset } : { pairs: values.pairs, images: values.images },
      model: pipeline.modelId,
      engine: engine.name,
      ...report,
      detection: { ...report.detection, withoutFace: report.detection.withoutFace.map((p) => ({ ...p, file: path.relative(root, p.file) })) },
    },
    null,
    2,
  );
  process.stdout.write(`${json}\n`);
  if (values.out) await writeFile(values.out, `${json}\n`);
  await engine.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`eval failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
