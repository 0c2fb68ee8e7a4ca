/**
 * `npm run eval` (every set of FACEGRAPH_DATASETS) or `npm run eval -- --sets DIR [--baseline face-api]`:
 * a table of every source, facegraph beside plain face-api; `--out FILE` writes it as JSON.
 * `npm run eval -- --dataset DIR [--dataset DIR ...] [--groups DIR] [--noface DIR] [--out FILE]`
 * `npm run eval -- --pairs FILE.csv --images DIR [--noface DIR] [--out FILE]`
 *
 * Runs labelled photos through the ingestion pipeline and prints a JSON report
 * of detection and verification quality. With one labelled set the report is
 * that set's; with several, each set's, and every set scored at a threshold
 * chosen on the others (held out). Progress goes to stderr so that stdout is
 * the report alone.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { listPhotos, loadIdentityFolders, loadPairsCsv } from '../eval/eval-dataset.js';
import { evaluateGroups, evaluateNoFace, evaluateSet, type EvaluateOptions, type NoFaceReport } from '../eval/evaluator.js';
import { chooseThreshold, leaveOneSetOut, macroBalancedAccuracy, scoreAt, type SetPairs } from '../eval/held-out.js';
import { accuracyAt } from '../eval/verification-metrics.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import { evaluatePeople } from './eval-people.js';
import { evaluateSources, facegraphClustering, openPipeline, parseThreshold } from './eval-sources.js';

const USAGE = `usage:
  npm run eval [-- --baseline face-api] [--out FILE]
  npm run eval -- --sets DIR [--sets DIR ...] [--baseline face-api] [--out FILE]
  npm run eval -- --dataset DIR [--dataset DIR ...] [--groups DIR ...] [--noface DIR ...] [--out FILE] [--threshold T]
  npm run eval -- --pairs FILE.csv --images DIR [--noface DIR ...] [--out FILE] [--threshold T]
  npm run eval -- --people [--baseline face-api] [--synthetic 100000,1000000] [--cache FILE] [--only NAME] [--tune] [--no-gender] [--out FILE]

  --dataset DIR    a labelled set: one folder per person (identity = folder name), or a labels.csv
                   (file,identity) in DIR; all cross pairs are scored. Repeat for several sets.
  --groups DIR     group photos of different people: every two faces of one photo are a different-person pair
  --noface DIR     photos with no human face: every face found is a false face (detection.falseFaces)
  --pairs FILE     CSV with header file_x,file_y,decision (Yes = same person, No = different)
  --images DIR     folder the CSV's file names are relative to
  --out FILE       also write the JSON report to FILE
  --threshold T    cosine-distance threshold to score (default: the calibrated ${DEFAULT_SAME_PERSON_THRESHOLD})
  --sets DIR       a folder of sources, each laid out as <person>/<photo>, groups/ (with expected.csv: file,faces)
                   and noface/: every source scored as a row of a table (stdout; --out writes it as JSON)
  --baseline face-api  also run plain face-api 1.7.15 (SSD 0.5, its alignment, FaceMatcher's euclidean 0.6) on
                   the same photos, its row beside each source's
  --parity         also run every photo in float32 throughout and list the photos whose faces differ from the
                   configured precision's (count, or a box not matched at IoU 0.5), and what float32 costs
  --people         the people table: every labelled set of FACEGRAPH_DATASETS and the synthetic libraries
                   (--synthetic sizes, default 100000; 0 for none) clustered as albums: people found, pairwise precision,
                   recall and F1, the current clustering (after) beside average linkage alone (before) and, with
                   --baseline face-api, face-api's descriptors clustered at its own threshold; then each set's held-out
                   half of people. --cache FILE keeps the main faces' embeddings between runs; --only NAME limits the labelled
                   sets; --tune scores the second stage's bounds on a grid, on the other half of people, instead;
                   --no-gender clusters as if no face carried a gender (as before the gender cannot-link).
  With no arguments: every set of FACEGRAPH_DATASETS as that table: the repository's sets (lfw10, knn, edge,
  noface, oneface, tight crops made from lfw10, face-api's demo group photos and their tight crops) and, when
  it has public/, every source of it.
  With two or more labelled sets (--dataset, --groups), the report adds heldOut: each set scored at the
  threshold chosen on all the others (best mean balanced accuracy over sets).
  Vision settings come from the environment as in production (FACEGRAPH_ENGINE, FACEGRAPH_MIN_SCORE, ...).
  stdout is the JSON report alone with \`npm run --silent eval -- ...\` (npm prints a header otherwise).`;

async function main(): Promise<number> {
  // biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript infers parseArgs' result type from the assignment below
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dataset: { type: 'string', multiple: true },
        groups: { type: 'string', multiple: true },
        noface: { type: 'string', multiple: true },
        pairs: { type: 'string' },
        images: { type: 'string' },
        out: { type: 'string' },
        threshold: { type: 'string' },
        sets: { type: 'string', multiple: true },
        baseline: { type: 'string' },
        parity: { type: 'boolean' },
        people: { type: 'boolean' },
        tune: { type: 'boolean' },
        'no-gender': { type: 'boolean' },
        synthetic: { type: 'string' },
        cache: { type: 'string' },
        only: { type: 'string', multiple: true },
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
  if (values.people) {
    const synthetic = (values.synthetic ?? '100000')
      .split(',')
      .map(Number)
      .filter((n) => n !== 0);
    if (synthetic.some((n) => !Number.isInteger(n) || n < 10)) {
      process.stderr.write(`--synthetic takes face counts, e.g. 100000,1000000; got "${values.synthetic}"\n`);
      return 2;
    }
    return evaluatePeople({
      baseline: values.baseline === 'face-api',
      synthetic,
      cache: values.cache,
      out: values.out,
      only: values.only,
      tune: values.tune,
      noGender: values['no-gender'],
    });
  }
  const datasets = values.dataset ?? [];
  const groups = values.groups ?? [];
  const noface = values.noface ?? [];
  const byPairs = values.pairs !== undefined || values.images !== undefined;
  if (values.baseline !== undefined && values.baseline !== 'face-api') {
    process.stderr.write(`--baseline takes face-api, got "${values.baseline}"\n`);
    return 2;
  }
  if (values.sets || (!byPairs && datasets.length + groups.length + noface.length === 0)) {
    if (byPairs || datasets.length + groups.length + noface.length > 0) {
      process.stderr.write(`give --sets alone (with --baseline, --threshold, --out)\n${USAGE}\n`);
      return 2;
    }
    return evaluateSources(values.sets ?? [], {
      baseline: values.baseline === 'face-api',
      parity: values.parity,
      threshold: values.threshold,
      out: values.out,
    });
  }
  if (values.baseline) {
    process.stderr.write(`--baseline goes with --sets (or no set at all)\n`);
    return 2;
  }
  if ((byPairs && (!values.pairs || !values.images)) || (byPairs && datasets.length + groups.length > 0)) {
    process.stderr.write(`give --pairs FILE.csv with --images DIR, and no --dataset or --groups with them\n${USAGE}\n`);
    return 2;
  }
  const threshold = parseThreshold(values.threshold);
  if (threshold === undefined) return 2;

  const config = loadConfig();
  const { engine, pipeline, precision } = openPipeline(config);
  const progress =
    (root: string): EvaluateOptions['onProgress'] =>
    (done, total, photo) => {
      const what = photo.error
        ? `error: ${photo.error}`
        : photo.score === null
          ? 'NO FACE'
          : `${photo.faces} face(s), main ${photo.score.toFixed(2)}`;
      process.stderr.write(`[${String(done).padStart(String(total).length)}/${total}] ${path.relative(root, photo.file)}: ${what}\n`);
    };
  const options = (root: string): EvaluateOptions => ({
    threshold,
    cluster: facegraphClustering(threshold),
    onProgress: progress(root),
  });
  process.stderr.write(`eval: engine ${engine.name} (${precision}), threshold ${threshold}\n`);

  const sets: Record<string, unknown> = {};
  const scored: SetPairs[] = [];
  const labelled = byPairs
    ? [{ name: path.basename(values.pairs!), root: path.resolve(values.images!) }]
    : datasets.map((d) => ({ name: path.basename(path.resolve(d)), root: path.resolve(d) }));
  for (const set of labelled) {
    const dataset = byPairs ? await loadPairsCsv(path.resolve(values.pairs!), set.root) : await loadIdentityFolders(set.root);
    process.stderr.write(`eval ${set.name}: ${dataset.photos.length} photos, ${dataset.pairs.length} pairs\n`);
    const { report, pairs } = await evaluateSet(dataset, pipeline, options(set.root));
    const relative = report.detection.withoutFace.map((p) => ({ ...p, file: path.relative(set.root, p.file) }));
    sets[set.name] = { ...report, detection: { ...report.detection, withoutFace: relative } };
    scored.push({ name: set.name, pairs });
  }
  for (const dir of groups.map((g) => path.resolve(g))) {
    const photos = await listPhotos(dir);
    process.stderr.write(`eval ${path.basename(dir)} (groups): ${photos.length} photos\n`);
    const { report, pairs } = await evaluateGroups(photos, pipeline, options(dir));
    const perPhoto = report.detection.perPhoto.map((p) => ({ ...p, file: path.relative(dir, p.file) }));
    sets[path.basename(dir)] = { ...report, detection: { ...report.detection, perPhoto } };
    // A folder of one-face photos (tight crops) has no pairs: it is there for its detection numbers.
    if (pairs.length > 0) scored.push({ name: path.basename(dir), pairs });
  }
  let noFace: NoFaceReport | undefined;
  for (const dir of noface.map((n) => path.resolve(n))) {
    const photos = await listPhotos(dir);
    process.stderr.write(`eval ${path.basename(dir)} (no face): ${photos.length} photos\n`);
    const r = await evaluateNoFace(photos, pipeline, progress(dir));
    const withFalseFaces = r.withFalseFaces.map((p) => ({ ...p, file: path.relative(process.cwd(), p.file) }));
    noFace = noFace ? mergeNoFace(noFace, { ...r, withFalseFaces }) : { ...r, withFalseFaces };
  }

  const head = { model: pipeline.modelId, engine: engine.name, precision, threshold };
  let out: Record<string, unknown>;
  if (labelled.length === 1 && groups.length === 0) {
    // One labelled set: its report, as before, with the no-face counts in its detection section.
    const only = sets[scored[0].name] as { detection: object };
    out = {
      source: byPairs ? { pairs: values.pairs, images: values.images } : { dataset: datasets[0] },
      ...head,
      ...only,
      detection: { ...only.detection, ...noFace },
    };
  } else {
    out = { source: { datasets, groups, noface }, ...head, ...(noFace ? { detection: noFace } : {}), sets };
    if (scored.length >= 2) {
      const all = chooseThreshold(scored);
      out.heldOut = {
        method:
          'each set scored at the threshold chosen on all the other sets: best balanced accuracy, every set weighing the same within each class',
        sets: Object.fromEntries(leaveOneSetOut(scored).map((h) => [h.set, h])),
        atDefault: Object.fromEntries(scored.map((s) => [s.name, scoreAt(s, threshold)])),
        chosenOnAll: all,
        // How the choice moves the numbers: every set's accuracy at thresholds around the usual range.
        sweep: Array.from({ length: 9 }, (_, i) => 0.06 + i * 0.005).map((t) => ({
          threshold: Number(t.toFixed(3)),
          macroBalancedAccuracy: macroBalancedAccuracy(scored, t),
          accuracy: Object.fromEntries(scored.map((s) => [s.name, accuracyAt(s.pairs, t)])),
        })),
      };
    }
  }
  const json = JSON.stringify(out, (_, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2);
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

/** Two no-face folders' reports as one: counts summed, passes per photo weighted by photos. */
function mergeNoFace(a: NoFaceReport, b: NoFaceReport): NoFaceReport {
  const noFacePhotos = a.noFacePhotos + b.noFacePhotos;
  const passes = (r: NoFaceReport) => (r.detectorPassesPerPhoto ?? 0) * r.noFacePhotos;
  return {
    noFacePhotos,
    falseFaces: a.falseFaces + b.falseFaces,
    detectorPassesPerPhoto:
      a.detectorPassesPerPhoto === undefined || b.detectorPassesPerPhoto === undefined ? undefined : (passes(a) + passes(b)) / noFacePhotos,
    redetectedPhotos:
      a.redetectedPhotos === undefined || b.redetectedPhotos === undefined ? undefined : a.redetectedPhotos + b.redetectedPhotos,
    withFalseFaces: [...a.withFalseFaces, ...b.withFalseFaces],
  };
}
