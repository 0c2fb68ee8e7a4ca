import type { NeighbourGraph } from './neighbour-graph.js';
import type { GenderEvidence } from './gender-evidence.js';
import { PairHeap } from './pair-heap.js';

/** The starting clusters of an average-linkage run. */
export interface LinkageInput {
  dim: number;
  /** Per starting cluster, its unit vector (`dim` floats each): a face's own embedding, an existing person's direction. */
  vectors: Float32Array;
  /**
   * Starting clusters whose sum of unit vectors is not their own vector: existing people, by index
   * (the sum over their faces). Every other starting cluster is one face, its sum its vector.
   */
  sums?: ReadonlyMap<number, ArrayLike<number>>;
  /** Faces in each starting cluster. */
  counts: Float64Array;
  /** Starting clusters that are existing people: two of them are never merged. */
  fixed: Uint8Array;
  /**
   * Per starting cluster, the photos it has faces in (only photos holding more
   * than one clustered face matter), or null: clusters sharing a photo are
   * never merged. Any other cannot-link is a key of the same kind (see
   * cluster-faces.ts: "not this person").
   */
  photos: (readonly number[] | null)[];
  /**
   * Per starting cluster, signed cannot-link keys, or null: a cluster holding
   * key k is never merged with one holding -k, while two holding k may merge
   * (two people a user said are not the same: each one's faces stay together,
   * the two stay apart).
   */
  sides?: (readonly number[] | null)[];
  /**
   * Per starting cluster, what its faces say of its gender: two clusters confidently of opposite genders are
   * never merged. Updated in place as clusters merge, so later stages read the final clusters' totals.
   */
  gender?: GenderEvidence;
  /** Candidate merges: clusters are only merged along (chains of) these edges. */
  graph: NeighbourGraph;
  /** Largest average cosine distance at which two clusters are merged. */
  threshold: number;
  /** A large cluster takes another only when it is about as close as its own faces are to each other (see {@link SpreadOptions}). */
  spread?: SpreadOptions;
}

/**
 * A cluster of at least `minFaces` faces takes another cluster only when their linkage exceeds its own spread (its
 * mean cosine distance between two of its faces; the mean of both clusters' when both are that large) by at most
 * `maxExcess`. Within the threshold, a wide person's group reaches faces of look-alikes that lie farther from it
 * than its own faces do; one person's faces do not. How the bounds were chosen: docs/quality.md, People.
 */
export interface SpreadOptions {
  minFaces: number;
  maxExcess: number;
}

/**
 * Agglomerative clustering with average linkage (UPGMA), cut at `threshold`,
 * with cannot-link constraints: repeatedly merge the two clusters whose
 * faces are, on average, closest, until no two clusters are within the
 * threshold. Returns each starting cluster's final cluster (a representative
 * index).
 *
 * Exact, not estimated, linkage: for unit vectors the mean cosine distance
 * over all pairs of two clusters is `1 - (ΣA · ΣB) / (|A| |B|)`, so keeping one
 * sum vector per cluster gives the average over all |A|·|B| pairs in O(dim).
 * And every merge the threshold allows is along a graph edge: if the average of
 * the cross distances is at most the threshold, at least one cross pair is, and
 * the neighbour graph holds all pairs within the threshold (up to its k
 * nearest and its recall). The merge order is global (smallest linkage
 * first, ties by index), so the result is one well-defined function of the
 * input: the classic UPGMA dendrogram cut at the threshold, not an artefact of
 * the order in which faces arrived.
 */
export interface LinkageResult {
  /** Each starting cluster's final cluster (a representative index). */
  roots: Int32Array;
  /** The sum of a final cluster's unit vectors. */
  sumOf(root: number): Float64Array;
}

export function averageLinkage(input: LinkageInput): LinkageResult {
  const { dim, vectors, counts, fixed, graph, threshold } = input;
  const n = counts.length;
  // Sums exist only for clusters that grew (and existing people): a face alone is its own vector, and a
  // Float64 sum for each of a million faces would take 1 GB.
  const grown: (Float64Array | null)[] = new Array(n).fill(null);
  for (const [i, sum] of input.sums ?? []) grown[i] = Float64Array.from(sum);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const stamp = new Int32Array(n);
  const photos: (Set<number> | null)[] = input.photos.map((p) => (p && p.length > 0 ? new Set(p) : null));
  const sides: (Set<number> | null)[] = Array.from({ length: n }, (_, i) => {
    const s = input.sides?.[i];
    return s && s.length > 0 ? new Set(s) : null;
  });
  const adjacency = symmetricAdjacency(graph);
  const heap = new PairHeap();

  const linkage = (a: number, b: number): number => {
    const ga = grown[a];
    const gb = grown[b];
    let s = 0;
    if (ga && gb) for (let d = 0; d < dim; d++) s += ga[d] * gb[d];
    else if (ga || gb) {
      const g = (ga ?? gb)!;
      const r = (ga ? b : a) * dim;
      for (let d = 0; d < dim; d++) s += g[d] * vectors[r + d];
    } else {
      const ra = a * dim;
      const rb = b * dim;
      for (let d = 0; d < dim; d++) s += vectors[ra + d] * vectors[rb + d];
    }
    return 1 - s / (counts[a] * counts[b]);
  };
  const ownSpread = (i: number): number => meanPairDistance(grown[i]!, counts[i]);
  const spread = input.spread;
  const tooSpread = (a: number, b: number, l: number): boolean => {
    if (spread === undefined || Math.max(counts[a], counts[b]) < spread.minFaces) return false;
    // The smaller group's own spread is measured too when it is large enough to be measured well.
    const own =
      Math.min(counts[a], counts[b]) >= spread.minFaces ? (ownSpread(a) + ownSpread(b)) / 2 : ownSpread(counts[a] >= counts[b] ? a : b);
    return l - own > spread.maxExcess;
  };
  const offer = (a: number, b: number) => {
    if (fixed[a] && fixed[b]) return;
    const l = linkage(a, b);
    if (l <= threshold) heap.push(l, Math.min(a, b), Math.max(a, b), stamp[Math.min(a, b)], stamp[Math.max(a, b)]);
  };
  for (let a = 0; a < n; a++) for (const b of adjacency[a]!) if (a < b) offer(a, b);

  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root];
    while (parent[i] !== root) {
      const next = parent[i];
      parent[i] = root;
      i = next;
    }
    return root;
  };
  const sharePhoto = (a: number, b: number): boolean => {
    const pa = photos[a];
    const pb = photos[b];
    if (!pa || !pb) return false;
    const [small, large] = pa.size <= pb.size ? [pa, pb] : [pb, pa];
    for (const p of small) if (large.has(p)) return true;
    return false;
  };
  const opposed = (a: number, b: number): boolean => {
    const sa = sides[a];
    const sb = sides[b];
    if (!sa || !sb) return false;
    const [small, large] = sa.size <= sb.size ? [sa, sb] : [sb, sa];
    for (const s of small) if (large.has(-s)) return true;
    return false;
  };

  const entry = new Float64Array(5);
  const seen = new Int32Array(n).fill(-1);
  while (heap.size > 0 && heap.peekPriority() <= threshold) {
    heap.pop(entry);
    const a = entry[1];
    const b = entry[2];
    // Stale: one side has since been merged away or has grown.
    if (parent[a] !== a || parent[b] !== b || stamp[a] !== entry[3] || stamp[b] !== entry[4]) continue;
    if (sharePhoto(a, b) || opposed(a, b) || input.gender?.apart(a, b) || tooSpread(a, b, entry[0])) continue;
    // The survivor is the existing person if there is one, else the larger side (less to copy).
    const keep = fixed[b] || (!fixed[a] && counts[b] > counts[a]) ? b : a;
    const gone = keep === a ? b : a;
    let sum = grown[keep];
    if (!sum) grown[keep] = sum = Float64Array.from(vectors.subarray(keep * dim, (keep + 1) * dim));
    const added = grown[gone];
    if (added) for (let d = 0; d < dim; d++) sum[d] += added[d];
    else for (let d = 0; d < dim; d++) sum[d] += vectors[gone * dim + d];
    grown[gone] = null;
    counts[keep] += counts[gone];
    fixed[keep] |= fixed[gone];
    photos[keep] = mergeSets(photos[keep], photos[gone]);
    photos[gone] = null;
    sides[keep] = mergeSets(sides[keep], sides[gone]);
    sides[gone] = null;
    input.gender?.merge(keep, gone);
    parent[gone] = keep;
    stamp[keep]++;
    // Neighbours of the merged cluster: both sides' neighbours, as current clusters, each once,
    // and only those now within the threshold. Dropping the others loses nothing: a cluster C can
    // only come within the threshold of a later merge M ∪ X through X being within it of C (the
    // linkage of a union is the size-weighted mean of its parts'), and then C is X's neighbour.
    const merged: number[] = [];
    const visited: number[] = [keep];
    seen[keep] = keep;
    for (const side of [adjacency[keep]!, adjacency[gone]!]) {
      for (const c of side) {
        const root = find(c);
        if (seen[root] === keep) continue;
        seen[root] = keep;
        visited.push(root);
        if (fixed[keep] && fixed[root]) continue;
        const l = linkage(keep, root);
        if (l > threshold) continue;
        merged.push(root);
        heap.push(l, Math.min(keep, root), Math.max(keep, root), stamp[Math.min(keep, root)], stamp[Math.max(keep, root)]);
        // Keep the relation symmetric: root's list may have dropped both halves earlier.
        adjacency[root]!.push(keep);
      }
    }
    // `seen` marks by the survivor's index; a later merge into the same survivor must not match old marks.
    for (const c of visited) seen[c] = -1;
    adjacency[keep] = merged;
    adjacency[gone] = null;
  }
  const roots = new Int32Array(n);
  for (let i = 0; i < n; i++) roots[i] = find(i);
  return { roots, sumOf: (root) => grown[root] ?? Float64Array.from(vectors.subarray(root * dim, (root + 1) * dim)) };
}

/** Mean cosine distance between two of `count` unit vectors summing to `sum` (|S|^2 = n + 2 * the pairs' cosines); 0 for one. */
export function meanPairDistance(sum: ArrayLike<number>, count: number): number {
  if (count < 2) return 0;
  let norm = 0;
  for (let d = 0; d < sum.length; d++) norm += sum[d] * sum[d];
  return 1 - (norm - count) / (count * (count - 1));
}

/** Each point's neighbours in either direction of the graph, each once. */
function symmetricAdjacency(graph: NeighbourGraph): (number[] | null)[] {
  const { n, k, neighbours } = graph;
  const adjacency: (number[] | null)[] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const j = neighbours[i * k + s];
      if (j < 0) break;
      adjacency[i]!.push(j);
      adjacency[j]!.push(i);
    }
  }
  for (let i = 0; i < n; i++) adjacency[i] = [...new Set(adjacency[i])];
  return adjacency;
}

function mergeSets(a: Set<number> | null, b: Set<number> | null): Set<number> | null {
  if (!a) return b;
  if (!b) return a;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) large.add(x);
  return large;
}
