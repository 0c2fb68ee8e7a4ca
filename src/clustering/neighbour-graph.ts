/**
 * An approximate neighbour graph of unit vectors: for each point, up to `k`
 * nearest other points among those within `maxDistance` (cosine distance).
 *
 * Built in memory because a clustering run needs the neighbours of *every*
 * face at once: 100,000 pgvector HNSW queries at ~3 ms each would take five
 * minutes, an exact all-pairs pass is O(n²). This is the construction of
 * PyNNDescent / Annoy, reduced to what clustering needs:
 * 1. a forest of random-projection trees (split at the median of the
 *    projection on the line through two random points, so every tree is
 *    balanced); every pair inside a leaf is compared;
 * 2. rounds of neighbour-of-neighbour joins (NN-descent's local join): two
 *    points that share a neighbour are compared, until few lists change.
 * Cost grows as n·log n (trees) plus n·k² (joins), not n².
 *
 * Deterministic: the random splits come from a seeded generator, so the same
 * points in the same order always give the same graph. Callers put points in a
 * canonical order first (see `clusterFaces`) to make it independent of
 * ingestion order too.
 */
export interface NeighbourGraphOptions {
  /** Neighbours kept per point, nearest first. */
  k: number;
  /** Pairs farther apart than this cosine distance are never edges. */
  maxDistance: number;
  /** Random-projection trees (default 6). */
  trees?: number;
  /** Largest leaf of a tree (default 48). */
  leafSize?: number;
  /** Most neighbour-of-neighbour rounds (default 2); stops early once lists settle. */
  rounds?: number;
  seed?: number;
}

export interface NeighbourGraph {
  /** Number of points. */
  n: number;
  /** Slots per point. */
  k: number;
  /** `neighbours[i*k + j]`: the j-th nearest neighbour of point i, or -1 for an empty slot. */
  neighbours: Int32Array;
  /** Cosine distances matching `neighbours` (ascending per point). */
  distances: Float32Array;
  /** Distances computed while building, for benchmarks. */
  comparisons: number;
}

/** `vectors` holds n unit vectors of `dim` floats, row after row. */
export function buildNeighbourGraph(vectors: Float32Array, dim: number, options: NeighbourGraphOptions): NeighbourGraph {
  const n = Math.floor(vectors.length / dim);
  const builder = new GraphBuilder(vectors, dim, n, options);
  const random = mulberry32(options.seed ?? 0x5eed);
  const trees = options.trees ?? 6;
  for (let t = 0; t < trees; t++) builder.joinLeaves(random, options.leafSize ?? 48);
  const rounds = options.rounds ?? 2;
  for (let r = 0; r < rounds; r++) {
    const changed = builder.joinNeighbours();
    if (changed <= n * 0.001) break;
  }
  return { n, k: options.k, neighbours: builder.neighbours, distances: builder.distances, comparisons: builder.comparisons };
}

/**
 * The exact graph for the first `rows` points against all `n`: their nearest
 * neighbours within `maxDistance` by brute force, the others' lists left
 * empty. For runs with few faces to place among many existing people (an
 * incremental run after ingestion), where rows x n is small, this is both
 * cheaper than a forest over everything and exact.
 */
export function exactNeighbourGraph(
  vectors: Float32Array,
  dim: number,
  rows: number,
  options: Pick<NeighbourGraphOptions, 'k' | 'maxDistance'>,
): NeighbourGraph {
  const n = Math.floor(vectors.length / dim);
  const builder = new GraphBuilder(vectors, dim, n, { ...options });
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) if (j !== i && (j >= rows || j > i)) builder.offer(i, j);
  }
  return { n, k: options.k, neighbours: builder.neighbours, distances: builder.distances, comparisons: builder.comparisons };
}

class GraphBuilder {
  readonly neighbours: Int32Array;
  readonly distances: Float32Array;
  /** Per slot: set when the neighbour arrived since the last join round. */
  private readonly fresh: Uint8Array;
  private readonly counts: Int32Array;
  private readonly k: number;
  private readonly maxDistance: number;
  comparisons = 0;

  constructor(
    private readonly x: Float32Array,
    private readonly dim: number,
    private readonly n: number,
    options: NeighbourGraphOptions,
  ) {
    this.k = options.k;
    this.maxDistance = options.maxDistance;
    this.neighbours = new Int32Array(n * this.k).fill(-1);
    this.distances = new Float32Array(n * this.k).fill(Number.POSITIVE_INFINITY);
    this.fresh = new Uint8Array(n * this.k);
    this.counts = new Int32Array(n);
  }

  /** Builds one random-projection tree and compares every pair inside each leaf. */
  joinLeaves(random: () => number, leafSize: number): void {
    const { n, dim, x } = this;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const projection = new Float64Array(n);
    const normal = new Float64Array(dim);
    const stack: number[] = [0, n];
    while (stack.length > 0) {
      const end = stack.pop()!;
      const start = stack.pop()!;
      const size = end - start;
      if (size <= leafSize) {
        this.joinAll(order, start, end);
        continue;
      }
      // The hyperplane normal runs through two random points of this node (Annoy's split).
      const a = order[start + Math.floor(random() * size)] * dim;
      const b = order[start + Math.floor(random() * size)] * dim;
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        normal[d] = x[a + d] - x[b + d];
        norm += normal[d] * normal[d];
      }
      if (norm < 1e-12) for (let d = 0; d < dim; d++) normal[d] = random() - 0.5;
      for (let i = start; i < end; i++) {
        const row = order[i] * dim;
        let s = 0;
        for (let d = 0; d < dim; d++) s += x[row + d] * normal[d];
        projection[i] = s;
      }
      const mid = start + (size >> 1);
      selectNth(projection, order, start, end, mid);
      stack.push(start, mid, mid, end);
    }
  }

  private joinAll(order: Int32Array, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const p = order[i];
      for (let j = i + 1; j < end; j++) this.compare(p, order[j]);
    }
  }

  /**
   * One NN-descent round: for every point, compare all pairs among its
   * neighbours and reverse neighbours, skipping pairs of two entries that were
   * both already there last round. Returns how many list entries changed.
   */
  joinNeighbours(): number {
    const { n, k } = this;
    // The round works on a snapshot of the lists, so it does not matter in which order points are visited.
    const forward = this.neighbours.slice();
    const forwardFresh = this.fresh.slice();
    const forwardCount = this.counts.slice();
    this.fresh.fill(0);
    const reverseCount = new Int32Array(n);
    const reverse = new Int32Array(n * k);
    const reverseFresh = new Uint8Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < forwardCount[i]; s++) {
        const j = forward[i * k + s];
        const c = reverseCount[j];
        if (c < k) {
          reverse[j * k + c] = i;
          reverseFresh[j * k + c] = forwardFresh[i * k + s];
          reverseCount[j] = c + 1;
        }
      }
    }
    const candidates = new Int32Array(2 * k);
    const candidateFresh = new Uint8Array(2 * k);
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let s = 0; s < forwardCount[i]; s++) {
        candidates[m] = forward[i * k + s];
        candidateFresh[m++] = forwardFresh[i * k + s];
      }
      for (let s = 0; s < reverseCount[i]; s++) {
        candidates[m] = reverse[i * k + s];
        candidateFresh[m++] = reverseFresh[i * k + s];
      }
      for (let u = 0; u < m; u++) {
        for (let v = u + 1; v < m; v++) {
          if (!candidateFresh[u] && !candidateFresh[v]) continue;
          const a = candidates[u];
          const b = candidates[v];
          if (a !== b) changed += this.compare(a, b);
        }
      }
    }
    return changed;
  }

  /** Computes the distance of a pair and offers each point to the other's list; returns insertions (0-2). */
  offer(p: number, q: number): number {
    return this.compare(p, q);
  }

  private compare(p: number, q: number): number {
    const { x, dim } = this;
    this.comparisons++;
    const a = p * dim;
    const b = q * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d + 3 < dim; d += 4) {
      s0 += x[a + d] * x[b + d];
      s1 += x[a + d + 1] * x[b + d + 1];
      s2 += x[a + d + 2] * x[b + d + 2];
      s3 += x[a + d + 3] * x[b + d + 3];
    }
    for (; d < dim; d++) s0 += x[a + d] * x[b + d];
    const distance = 1 - (s0 + s1 + s2 + s3);
    if (distance > this.maxDistance) return 0;
    return this.insert(p, q, distance) + this.insert(q, p, distance);
  }

  /** Puts `q` into `p`'s sorted list if it is new and near enough; returns 1 if it did. */
  private insert(p: number, q: number, distance: number): number {
    const { k, neighbours, distances, fresh } = this;
    const base = p * k;
    const count = this.counts[p];
    if (count === k && distance >= distances[base + k - 1]) return 0;
    for (let s = 0; s < count; s++) if (neighbours[base + s] === q) return 0;
    let pos = count === k ? k - 1 : count;
    while (pos > 0 && distances[base + pos - 1] > distance) {
      distances[base + pos] = distances[base + pos - 1];
      neighbours[base + pos] = neighbours[base + pos - 1];
      fresh[base + pos] = fresh[base + pos - 1];
      pos--;
    }
    distances[base + pos] = distance;
    neighbours[base + pos] = q;
    fresh[base + pos] = 1;
    if (count < k) this.counts[p] = count + 1;
    return 1;
  }
}

/**
 * Rearranges `keys[start, end)` (and `values` alongside) so that position
 * `nth` holds the value it would hold if sorted, smaller ones before it and
 * larger ones after (Hoare's selection with a median-of-three pivot).
 */
function selectNth(keys: Float64Array, values: Int32Array, start: number, end: number, nth: number): void {
  let lo = start;
  let hi = end - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const pivot = median3(keys[lo], keys[mid], keys[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i] < pivot) i++;
      while (keys[j] > pivot) j--;
      if (i <= j) {
        const tk = keys[i];
        keys[i] = keys[j];
        keys[j] = tk;
        const tv = values[i];
        values[i] = values[j];
        values[j] = tv;
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}

function median3(a: number, b: number, c: number): number {
  // biome-ignore lint/complexity/useMathMinMax: one comparison network for the median; Math.max would only hide half of it
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/** A small seeded generator (mulberry32): the same seed gives the same trees. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
