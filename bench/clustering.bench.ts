import { clusterFaces } from '../src/clustering/cluster-faces.js';
import { DEFAULT_MIN_FACES, DEFAULT_NEIGHBOURS } from '../src/clustering/clustering-config.js';
import { pairwiseClusteringMetrics } from '../src/eval/clustering-metrics.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../src/vision/calibration.js';
import { syntheticLibrary } from '../test/support/synthetic-people.js';

export interface ClusteringBench {
  faces: number;
  /** Wall-clock seconds to cluster `faces` faces. */
  seconds: number;
  /** Wall-clock seconds at each size, smallest first (the last is `faces`). */
  growth: { faces: number; seconds: number; cpuSeconds: number }[];
  /** CPU seconds of the largest run: on a shared machine a steadier figure than wall-clock. */
  cpuSeconds: number;
  /** Quality of the largest run against the synthetic truth. */
  people: number;
  truePeople: number;
  pairwiseF1: number;
  pairwisePrecision: number;
  pairwiseRecall: number;
  threshold: number;
}

/**
 * `npm run bench -- --only clustering`: clusters synthetic libraries of 10k to
 * 100k faces (test/support/synthetic-people.ts: a heavy-tailed number of faces per
 * person, group photos, distances fitted to face-api's on lfw10) with the
 * production algorithm and settings, and reports how the time grows. The
 * timed part is `clusterFaces` itself, all of a clustering run but the
 * database reads and writes (bench `search` measures those).
 * `BENCH_CLUSTERING_SIZES=10000,100000` picks other sizes.
 */
export async function benchClustering(): Promise<ClusteringBench> {
  const sizes = (process.env.BENCH_CLUSTERING_SIZES ?? '10000,25000,50000,100000').split(',').map(Number);
  const growth: ClusteringBench['growth'] = [];
  let last: Omit<ClusteringBench, 'growth'> | undefined;
  for (const faces of sizes) {
    const lib = syntheticLibrary(faces);
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = clusterFaces(
      { embeddings: lib.embeddings, dim: lib.dim, imageIds: lib.imageId },
      { threshold: DEFAULT_SAME_PERSON_THRESHOLD, minFaces: DEFAULT_MIN_FACES, neighbours: DEFAULT_NEIGHBOURS },
    );
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    growth.push({ faces, seconds, cpuSeconds });
    const m = pairwiseClusteringMetrics(
      Array.from(lib.person, String),
      Array.from(result.personOf, (p) => (p >= 0 ? p : null)),
    );
    const sizesOf = new Map<number, number>();
    for (const p of lib.person) sizesOf.set(p, (sizesOf.get(p) ?? 0) + 1);
    last = {
      faces,
      seconds,
      cpuSeconds,
      people: result.people.length,
      truePeople: [...sizesOf.values()].filter((s) => s >= DEFAULT_MIN_FACES).length,
      pairwiseF1: m.pairwiseF1,
      pairwisePrecision: m.pairwisePrecision,
      pairwiseRecall: m.pairwiseRecall,
      threshold: DEFAULT_SAME_PERSON_THRESHOLD,
    };
    console.error(
      `clustering: ${faces} faces in ${seconds.toFixed(1)} s (${cpuSeconds.toFixed(1)} CPU s), ${result.people.length} people, F1 ${m.pairwiseF1.toFixed(3)}`,
    );
  }
  return { ...last!, growth };
}
