import { buildNeighbourGraph } from './neighbour-graph.js';

/** Up to this many groups every pair is compared (2,000 groups: 2 M dot products, a fraction of a second). */
export const EXACT_PAIR_GROUPS = 2000;
/** Neighbours per group in the approximate graph beyond EXACT_PAIR_GROUPS. */
const NEIGHBOURS = 32;

/** Two groups and their average linkage. */
export interface ClosePair {
  /** Indices of the two groups, a < b. */
  a: number;
  b: number;
  /** Mean cosine distance over all pairs of their faces. */
  distance: number;
}

/**
 * Pairs of groups of faces (people) whose average linkage — the mean cosine
 * distance over all face pairs, the very linkage clustering merges by — is at
 * most `maxDistance`, closest first. Each group is given by the mean of its
 * faces' unit embeddings, so the linkage is `1 - meanA · meanB` and nothing
 * here is quadratic in faces. Up to EXACT_PAIR_GROUPS groups every pair is
 * compared; beyond, only the pairs of the clustering's approximate neighbour
 * graph (O(n log n)), which finds the close pairs because a linkage within
 * `maxDistance` puts the two means' directions within it too (|mean| <= 1).
 */
export function closeGroupPairs(means: Float32Array, dim: number, maxDistance: number): ClosePair[] {
  const n = Math.floor(means.length / dim);
  const linkage = (a: number, b: number): number => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += means[a * dim + d] * means[b * dim + d];
    return 1 - s;
  };
  const pairs: ClosePair[] = [];
  if (n <= EXACT_PAIR_GROUPS) {
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const distance = linkage(a, b);
        if (distance <= maxDistance) pairs.push({ a, b, distance });
      }
    }
  } else {
    const unit = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += means[i * dim + d] ** 2;
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let d = 0; d < dim; d++) unit[i * dim + d] = means[i * dim + d] * scale;
    }
    const graph = buildNeighbourGraph(unit, dim, { k: NEIGHBOURS, maxDistance });
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < graph.k; s++) {
        const j = graph.neighbours[i * graph.k + s];
        if (j < 0) break;
        const [a, b] = i < j ? [i, j] : [j, i];
        if (seen.has(a * n + b)) continue;
        seen.add(a * n + b);
        const distance = linkage(a, b);
        if (distance <= maxDistance) pairs.push({ a, b, distance });
      }
    }
  }
  return pairs.sort((x, y) => x.distance - y.distance || x.a - y.a || x.b - y.b);
}
