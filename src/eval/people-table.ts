import { pairwiseClusteringMetrics, type ClusteringMetrics } from './clustering-metrics.js';

/**
 * One labelled album for the people table: a main face per photo (or none), each with its true person.
 * Photos without a face stay in (as unassigned faces), so that a face the detector misses costs recall.
 */
export interface PeopleSet {
  name: string;
  dim: number;
  /** True person of each face. */
  identities: readonly string[];
  /** Unit embeddings, row after row; a row of zeros where `present` is false. */
  embeddings: Float32Array;
  present: readonly boolean[];
  /** Photo of each face: two faces of one photo are never one person (synthetic group photos). */
  imageIds: ArrayLike<number>;
  /** Per face, whether clustering leaves it out as poor (vision/face-quality.ts). */
  poor?: readonly boolean[];
  /** Per face, P(male) from the age/gender net, NaN where unknown (none: the set carries no gender). */
  maleProbability?: readonly number[];
}

/** Clusters a set's present faces: a person number per face, null where unassigned (absent faces included). */
export type PeopleClusterer = (set: PeopleSet) => (number | null)[];

export interface PeopleRow {
  set: string;
  system: string;
  metrics: ClusteringMetrics;
  /** CPU seconds of the clustering alone (one thread): steadier than wall-clock on a shared machine. */
  cpuSeconds: number;
}

/** A clusterer's pairwise numbers on a set (every face counted; an unassigned one misses its pairs). */
export function scorePeople(set: PeopleSet, system: string, cluster: PeopleClusterer): PeopleRow {
  const started = process.cpuUsage();
  const predicted = cluster(set);
  const used = process.cpuUsage(started);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { set: set.name, system, metrics: pairwiseClusteringMetrics(set.identities, predicted), cpuSeconds };
}

/**
 * Which half of the people an identity is in: a fixed hash of its name, so that a parameter chosen on
 * half 0 is reported on half 1, whose people it never saw.
 */
export function halfOf(identity: string): 0 | 1 {
  let h = 2166136261;
  for (let i = 0; i < identity.length; i++) h = Math.imul(h ^ identity.charCodeAt(i), 16777619);
  return ((h >>> 0) % 2) as 0 | 1;
}

/** The set restricted to the faces of one half's people (named `<set> (half N)`). */
export function halfSet(set: PeopleSet, half: 0 | 1): PeopleSet {
  const keep = set.identities.flatMap((id, i) => (halfOf(id) === half ? [i] : []));
  const embeddings = new Float32Array(keep.length * set.dim);
  keep.forEach((i, k) => embeddings.set(set.embeddings.subarray(i * set.dim, (i + 1) * set.dim), k * set.dim));
  return {
    name: `${set.name} (half ${half})`,
    dim: set.dim,
    identities: keep.map((i) => set.identities[i]),
    embeddings,
    present: keep.map((i) => set.present[i]),
    imageIds: keep.map((i) => set.imageIds[i]),
    ...(set.poor ? { poor: keep.map((i) => set.poor![i]) } : {}),
    ...(set.maleProbability ? { maleProbability: keep.map((i) => set.maleProbability![i]) } : {}),
  };
}

/** The people table in Markdown: set | system | people found / true | pairwise precision | recall | F1. */
export function peopleTable(rows: readonly PeopleRow[]): string {
  const head = ['set', 'system', 'people (found / true)', 'pairwise precision', 'recall', 'F1', 'CPU seconds'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    const m = r.metrics;
    lines.push(
      `| ${r.set} | ${r.system} | ${m.people}/${m.identities} | ${m.pairwisePrecision.toFixed(3)} | ${m.pairwiseRecall.toFixed(3)} | ${m.pairwiseF1.toFixed(3)} | ${r.cpuSeconds.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
