import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { syntheticLibrary } from '../../test/support/synthetic-people.js';
import type { AttachOptions } from '../clustering/attach-leftovers.js';
import { clusterFaces } from '../clustering/cluster-faces.js';
import type { ClusteringMetrics } from '../eval/clustering-metrics.js';
import { DEFAULT_MIN_FACES, DEFAULT_NEIGHBOURS } from '../clustering/clustering-config.js';
import { loadConfig } from '../config.js';
import type { EvalDataset } from '../eval/eval-dataset.js';
import type { PhotoAnalyzer } from '../eval/evaluator.js';
import { FACE_API_MATCH_DISTANCE, openFaceApiBaseline } from '../eval/face-api-baseline.js';
import { halfSet, peopleTable, scorePeople, type PeopleClusterer, type PeopleRow, type PeopleSet } from '../eval/people-table.js';
import { loadSourcesDir, repositorySources } from '../eval/sources.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import { mainFace } from '../vision/face-check.js';
import { isPoorQuality } from '../vision/face-quality.js';
import { openPipeline } from './eval-sources.js';

/** What the embedding cache keeps of a photo's main face, per system and file. */
type Cached = { embedding: number[]; quality?: number; maleProbability?: number } | null;

export interface PeopleOptions {
  baseline: boolean;
  /** Synthetic library sizes (test/support/synthetic-people.ts). */
  synthetic: number[];
  /** A JSON file of main-face embeddings: read if it exists, written after. Re-clustering then costs no photo. */
  cache?: string;
  out?: string;
  /** Only the sets whose name holds one of these. */
  only?: string[];
  /** Instead of the table: the second stage's bounds tried on half 0 of every set's people. */
  tune?: boolean;
  /** Cluster as if no face carried a gender (the clustering before the gender cannot-link). */
  noGender?: boolean;
}

/**
 * `npm run eval -- --people`: every labelled set of FACEGRAPH_DATASETS (the repository's identity sets and
 * every identity source of public/) and the synthetic libraries clustered as albums, a table of people and
 * pairwise precision / recall / F1 per set: the current clustering (`before`: average linkage alone),
 * facegraph's (`after`) and, with `--baseline face-api`, plain face-api's descriptors clustered the same way
 * at its own threshold. Then each set's second half of people (src/eval/people-table.ts `halfOf`), the half
 * no parameter was chosen on.
 */
export async function evaluatePeople(options: PeopleOptions): Promise<number> {
  const config = loadConfig();
  if (!config.datasets) {
    process.stderr.write('--people needs FACEGRAPH_DATASETS (README, "Recognition quality")\n');
    return 2;
  }
  const cache = new Map<string, Cached>(
    options.cache
      ? Object.entries(
          await readFile(options.cache, 'utf8').then(
            (t) => JSON.parse(t) as Record<string, Cached>,
            () => ({}),
          ),
        )
      : [],
  );
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facegraph-people-'));
  const { engine, pipeline, precision } = openPipeline(config);
  try {
    const sources = (await repositorySources(config.datasets, scratch)).filter((s) => s.identity);
    const pub = path.join(config.datasets, 'public');
    if (await isDir(pub)) sources.push(...(await loadSourcesDir(pub)).filter((s) => s.identity));
    const chosen = sources.filter((s) => !options.only || options.only.some((o) => s.name.includes(o)));
    process.stderr.write(`people: ${chosen.length} labelled sets, facegraph ${engine.name} (${precision})\n`);

    const facegraphSets: PeopleSet[] = [];
    const faceApiSets: PeopleSet[] = [];
    let faceApi: PhotoAnalyzer | undefined;
    for (const source of chosen) {
      const identity = source.identity!;
      const set = await embedSet(source.name, identity, 'facegraph', pipeline, cache, config.datasets, scratch);
      facegraphSets.push(options.noGender ? { ...set, maleProbability: undefined } : set);
      if (options.baseline) {
        faceApi ??= await openFaceApiBaseline();
        faceApiSets.push(await embedSet(source.name, identity, 'face-api', faceApi, cache, config.datasets, scratch));
      }
    }
    if (options.cache) await writeFile(options.cache, JSON.stringify(Object.fromEntries(cache)));
    for (const faces of options.synthetic) {
      const lib = syntheticLibrary(faces);
      facegraphSets.push({
        name: `synthetic ${faces.toLocaleString('en')}`,
        dim: lib.dim,
        identities: Array.from(lib.person, String),
        embeddings: lib.embeddings,
        present: new Array(lib.person.length).fill(true),
        imageIds: lib.imageId,
      });
    }

    const threshold = DEFAULT_SAME_PERSON_THRESHOLD;
    if (options.tune) {
      process.stdout.write(
        `${tuneAttach(
          facegraphSets.map((s) => halfSet(s, 0)),
          threshold,
        )}\n`,
      );
      return 0;
    }
    const rows: PeopleRow[] = [];
    const heldOut: PeopleRow[] = [];
    for (const set of facegraphSets) {
      const started = performance.now();
      rows.push(scorePeople(set, 'before', clusterer(threshold, 'before')));
      rows.push(scorePeople(set, 'after', clusterer(threshold, 'after')));
      const api = faceApiSets.find((s) => s.name === set.name);
      // Unit descriptors: euclidean 0.6 is cosine 0.6^2 / 2.
      if (api) rows.push(scorePeople(api, 'face-api', clusterer(FACE_API_MATCH_DISTANCE ** 2 / 2, 'before')));
      const half = halfSet(set, 1);
      heldOut.push(scorePeople(half, 'before', clusterer(threshold, 'before')));
      heldOut.push(scorePeople(half, 'after', clusterer(threshold, 'after')));
      process.stderr.write(`  ${set.name}: clustered in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
    process.stdout.write(`${peopleTable(rows)}\n\nHeld-out half (people no parameter was chosen on):\n\n${peopleTable(heldOut)}\n`);
    if (options.out) await writeFile(options.out, `${JSON.stringify({ threshold, precision, rows, heldOut }, null, 2)}\n`);
    return 0;
  } finally {
    await engine.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The second stage's bounds on a grid, each scored on `sets` (half 0 of every set's people): the lowest
 * precision and F1 over the sets, the mean F1, and how many sets lose precision against the first stage alone.
 */
function tuneAttach(sets: readonly PeopleSet[], threshold: number): string {
  const before = sets.map((s) => scorePeople(s, 'before', clusterer(threshold, 'before')).metrics);
  const lines = [
    '| maxDistance | margin | maxExcess | sets losing precision | min precision | min F1 | mean F1 | mean recall |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  lines.push(row('before', '', '', before, before));
  for (const maxDistance of [0.09, 0.1, 0.11]) {
    for (const margin of [0.01, 0.02, 0.03]) {
      for (const maxExcess of [0.02, 0.03, 0.04]) {
        const attach = { maxDistance, margin, maxExcess, maxFaces: 2 };
        const after = sets.map((s) => scorePeople(s, 'after', clusterer(threshold, attach)).metrics);
        lines.push(row(String(maxDistance), String(margin), String(maxExcess), after, before));
      }
    }
  }
  return lines.join('\n');

  function row(a: string, b: string, c: string, ms: ClusteringMetrics[], base: ClusteringMetrics[]): string {
    const losing = ms.filter((m, i) => m.pairwisePrecision < base[i].pairwisePrecision - 1e-9).length;
    const min = (xs: number[]) => Math.min(...xs).toFixed(4);
    const mean = (xs: number[]) => (xs.reduce((x, y) => x + y, 0) / xs.length).toFixed(4);
    return `| ${a} | ${b} | ${c} | ${losing} | ${min(ms.map((m) => m.pairwisePrecision))} | ${min(ms.map((m) => m.pairwiseF1))} | ${mean(ms.map((m) => m.pairwiseF1))} | ${mean(ms.map((m) => m.pairwiseRecall))} |`;
  }
}

/** facegraph's clustering of a set at `threshold`: `before` average linkage alone, `after` as it clusters now (or with other bounds). */
export function clusterer(threshold: number, stage: 'before' | 'after' | Partial<AttachOptions>): PeopleClusterer {
  return (set) => {
    const rows = set.present.flatMap((p, i) => (p ? [i] : []));
    const embeddings = new Float32Array(rows.length * set.dim);
    rows.forEach((i, k) => embeddings.set(set.embeddings.subarray(i * set.dim, (i + 1) * set.dim), k * set.dim));
    const result = clusterFaces(
      {
        embeddings,
        dim: set.dim,
        imageIds: rows.map((i) => set.imageIds[i]),
        ...(set.poor ? { poor: rows.map((i) => set.poor![i]) } : {}),
        ...(set.maleProbability && stage !== 'before' ? { maleProbability: rows.map((i) => set.maleProbability![i]) } : {}),
      },
      {
        threshold,
        minFaces: DEFAULT_MIN_FACES,
        neighbours: DEFAULT_NEIGHBOURS,
        attach: stage === 'before' ? false : stage === 'after' ? true : stage,
        pairs: stage === 'before' ? false : undefined,
        spread: stage === 'before' ? false : undefined,
      },
    );
    const out: (number | null)[] = set.identities.map(() => null);
    rows.forEach((i, k) => {
      const p = result.personOf[k];
      out[i] = p >= 0 ? p : null;
    });
    return out;
  };
}

/** A labelled set's main faces through `analyzer`, from `cache` where it has them (keys relative to the datasets). */
async function embedSet(
  name: string,
  dataset: EvalDataset,
  system: string,
  analyzer: PhotoAnalyzer,
  cache: Map<string, Cached>,
  datasets: string,
  scratch: string,
): Promise<PeopleSet> {
  const faces: Cached[] = [];
  for (const [i, file] of dataset.photos.entries()) {
    const where = file.startsWith(scratch) ? `derived/${path.relative(scratch, file)}` : path.relative(datasets, file);
    const key = `${system}:${where}`;
    // An entry cached before faces carried a gender is measured again.
    const entry = cache.get(key);
    if (entry === undefined || (entry && system === 'facegraph' && entry.maleProbability === undefined)) {
      let found: Cached = null;
      try {
        const main = mainFace((await analyzer.analyze(await readFile(file))).faces);
        if (main)
          found = {
            embedding: Array.from(main.embedding),
            ...(main.quality !== undefined ? { quality: main.quality } : {}),
            ...(main.maleProbability !== undefined ? { maleProbability: main.maleProbability } : {}),
          };
      } catch {
        // An unreadable photo is a photo without a face.
      }
      cache.set(key, found);
      process.stderr.write(`  [${i + 1}/${dataset.photos.length}] ${system} ${where}: ${found ? 'face' : 'NO FACE'}\n`);
    }
    faces.push(cache.get(key) ?? null);
  }
  const dim = faces.find((f) => f)?.embedding.length ?? 128;
  const embeddings = new Float32Array(faces.length * dim);
  faces.forEach((f, i) => {
    if (!f) return;
    const norm = Math.hypot(...f.embedding) || 1;
    f.embedding.forEach((v, d) => (embeddings[i * dim + d] = v / norm));
  });
  return {
    name,
    dim,
    identities: dataset.identities.map((id, i) => id ?? `photo ${i}`),
    embeddings,
    present: faces.map((f) => f !== null),
    imageIds: faces.map((_, i) => i),
    poor: faces.map((f) => isPoorQuality(f?.quality)),
    ...(faces.some((f) => f?.maleProbability !== undefined) ? { maleProbability: faces.map((f) => f?.maleProbability ?? Number.NaN) } : {}),
  };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
