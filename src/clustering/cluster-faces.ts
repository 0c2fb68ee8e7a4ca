import { averageLinkage } from './average-linkage.js';
import { attachLeftovers } from './attach-leftovers.js';
import {
  ATTACH,
  DEFAULT_MIN_FACES,
  DEFAULT_NEIGHBOURS,
  GENDER_CONFIDENCE,
  SPREAD,
  TIGHT_PAIR,
  type ClusteringOptions,
} from './clustering-config.js';
import { GenderEvidence, type GenderCounts } from './gender-evidence.js';
import { buildNeighbourGraph, exactNeighbourGraph } from './neighbour-graph.js';
import { tightPairs } from './tight-pairs.js';

/** Up to this many face x point comparisons the neighbour graph is computed exactly (about a second). */
const EXACT_GRAPH_PAIRS = 4_000_000;

/** An existing person the faces may join: it does not move, and two of them never merge. */
export interface ClusterAnchor {
  /** Faces the person keeps whatever this run decides. */
  count: number;
  /** Sum of those faces' unit embeddings. */
  sum: ArrayLike<number>;
  /** Photos those faces are in (at least those shared with the faces being clustered). */
  imageIds: readonly number[];
  /** Signed "not the same person" keys of this person (see FaceClusteringInput.sides). */
  sides?: readonly number[];
  /** Its faces the age/gender net calls confidently male and female (see FaceClusteringInput.maleProbability). */
  gender?: GenderCounts;
}

export interface FaceClusteringInput {
  /** The faces to place: `n` unit embeddings of `dim` floats, row after row. */
  embeddings: Float32Array;
  dim: number;
  /** Photo of each face: faces of one photo never end up in one person. */
  imageIds: ArrayLike<number>;
  /**
   * Per face, whether it counts towards the `minFaces` that make a new
   * person (default: every face). Faces that do not count (too small to
   * trust) still join people and groups.
   */
  founders?: ArrayLike<boolean>;
  /**
   * Per face, whether it is poor (vision/face-quality.ts: small, blurred, faded): such a face
   * takes no part at all, so it can never make, join or bridge a person; it stays unassigned.
   */
  poor?: ArrayLike<boolean>;
  anchors?: readonly ClusterAnchor[];
  /**
   * Per face, indices into `anchors` of the people it may never join (a user
   * said "not this person"). Kept like the same-photo rule: no merge may
   * bring the face, or any group holding it, into such a person.
   */
  cannotJoin?: readonly (readonly number[] | undefined)[];
  /**
   * Per face, signed keys of "these two people are not the same person": for
   * a dismissed pair k, the faces (and anchor) of one person carry k, the
   * other's -k. No group ever holds both k and -k, so the two people's faces
   * never end up in one person, while each one's faces may still group.
   */
  sides?: readonly (readonly number[] | undefined)[];
  /**
   * Per face, P(male) from the age/gender net, NaN where unknown: a group confidently male never joins one
   * confidently female (gender-evidence.ts, clustering-config.ts `GENDER_CONFIDENCE`).
   */
  maleProbability?: ArrayLike<number>;
}

export interface NewPerson {
  /** Indices of the input faces that form it. */
  faces: number[];
  /** The face closest to the group's mean: a natural thumbnail. */
  representative: number;
}

export interface FaceClustering {
  /** Per input face: the anchor (existing person) it joins, or -1. */
  anchorOf: Int32Array;
  /** Per input face: index in `people` of the new person it forms, or -1. */
  personOf: Int32Array;
  /** New people, each with at least `minFaces` founding faces, in a canonical order. */
  people: NewPerson[];
}

/**
 * Groups faces into people: average-linkage agglomerative clustering cut at
 * the same-person threshold, over an approximate neighbour graph, with
 * existing people as fixed anchors and "two faces of one photo are two people"
 * as a hard constraint.
 *
 * Why average linkage: two groups merge only when their faces are within the
 * threshold *on average*, which one look-alike cannot force; two lone faces
 * merge exactly when `compareFaces` calls them the same person; and the result
 * is the same in any order. The methods compared, and their F1: docs/quality.md,
 * People.
 *
 * Order-independent: faces are first put in a canonical order (by embedding),
 * so the same faces give the same people however they were ingested.
 */
export function clusterFaces(input: FaceClusteringInput, options: ClusteringOptions): FaceClustering {
  const poor = input.poor;
  if (poor && Array.prototype.some.call(poor, Boolean)) return withoutPoorFaces(input, poor, options);
  const { embeddings, dim } = input;
  const anchors = input.anchors ?? [];
  const n = Math.floor(embeddings.length / dim);
  if (input.imageIds.length !== n) throw new RangeError(`${n} embeddings but ${input.imageIds.length} image ids`);
  const m = anchors.length;
  const total = n + m;

  // Canonical order: faces by their embedding, anchors by their sum; point i of the run is input order[i].
  const faceOrder = canonicalOrder(n, dim, embeddings);
  const anchorSums = new Float64Array(m * dim);
  anchors.forEach((a, q) =>
    anchorSums.set(
      Array.from({ length: dim }, (_, d) => a.sum[d]),
      q * dim,
    ),
  );
  const anchorOrder = canonicalOrder(m, dim, anchorSums);

  const unit = new Float32Array(total * dim);
  const sums = new Map<number, ArrayLike<number>>();
  const counts = new Float64Array(total);
  const fixed = new Uint8Array(total);
  for (let p = 0; p < n; p++) {
    const f = faceOrder[p];
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += embeddings[f * dim + d] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) unit[p * dim + d] = embeddings[f * dim + d] * scale;
    counts[p] = 1;
  }
  for (let q = 0; q < m; q++) {
    const anchor = anchors[anchorOrder[q]];
    const p = n + q;
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += anchor.sum[d] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    // The anchor takes part in the graph as the direction of its mean: any face whose mean
    // distance to the person is within the threshold is within the threshold of that direction.
    for (let d = 0; d < dim; d++) unit[p * dim + d] = anchor.sum[d] * scale;
    sums.set(p, anchor.sum);
    counts[p] = Math.max(1, anchor.count);
    fixed[p] = 1;
  }

  // Only photos with more than one point can forbid a merge.
  const seen = new Map<number, number>();
  const note = (id: number) => seen.set(id, (seen.get(id) ?? 0) + 1);
  for (let i = 0; i < n; i++) note(input.imageIds[i]);
  for (const a of anchors) for (const id of new Set(a.imageIds)) note(id);
  const photos: (number[] | null)[] = new Array(total).fill(null);
  for (let p = 0; p < n; p++) {
    const id = input.imageIds[faceOrder[p]];
    if (seen.get(id)! > 1) photos[p] = [id];
  }
  for (let q = 0; q < m; q++) {
    const shared = [...new Set(anchors[anchorOrder[q]].imageIds)].filter((id) => seen.get(id)! > 1);
    if (shared.length > 0) photos[n + q] = shared;
  }
  addCannotJoin(photos, input.cannotJoin ?? [], faceOrder, anchorOrder);
  const sides: (readonly number[] | null)[] = new Array(total).fill(null);
  if (input.sides) for (let p = 0; p < n; p++) sides[p] = input.sides[faceOrder[p]] ?? null;
  for (let q = 0; q < m; q++) sides[n + q] = anchors[anchorOrder[q]].sides ?? null;

  // Few faces to place (an incremental run, a small album): compare them with everything, exactly.
  const graphOptions = { k: options.neighbours, maxDistance: options.threshold };
  const graph =
    n * total <= EXACT_GRAPH_PAIRS ? exactNeighbourGraph(unit, dim, n, graphOptions) : buildNeighbourGraph(unit, dim, graphOptions);
  const gender = genderOf(input, faceOrder, anchorOrder);
  const { roots, sumOf } = averageLinkage({
    dim,
    vectors: unit,
    sums,
    counts,
    fixed,
    photos,
    sides,
    gender,
    graph,
    threshold: options.threshold,
    spread: stageOptions(options.spread, SPREAD),
  });
  const founder = (p: number) => !input.founders || Boolean(input.founders[faceOrder[p]]);
  const founding = new Map<number, number>();
  for (let p = 0; p < n; p++) if (founder(p)) founding.set(roots[p], (founding.get(roots[p]) ?? 0) + 1);
  const anchoredRoots = new Set<number>();
  for (let q = 0; q < m; q++) anchoredRoots.add(roots[n + q]);
  const isPerson = (root: number) => anchoredRoots.has(root) || (founding.get(root) ?? 0) >= options.minFaces;
  const attach = stageOptions(options.attach, ATTACH);
  if (attach) {
    const joined = attachLeftovers(
      {
        dim,
        vectors: unit,
        faces: n,
        roots,
        sumOf,
        countOf: (root) => counts[root],
        isPerson,
        photos,
        sides,
        gender,
        neighbours: options.neighbours,
      },
      attach,
    );
    for (let p = 0; p < n; p++) {
      const person = joined.get(roots[p]);
      if (person !== undefined) roots[p] = person;
    }
  }
  // Last, what nobody took: a tight pair is a person of its own (after the second stage, so that a pair of a
  // person's leftovers joins that person rather than splitting from it).
  // Pairs only matter where minFaces asks for more than two; unasked, only at minFaces 3.
  const pairs =
    options.minFaces > 2 && (options.pairs !== undefined || options.minFaces <= 3) ? stageOptions(options.pairs, TIGHT_PAIR) : undefined;
  const tight = pairs ? tightPairs({ graph, roots, faces: n, founder, isPerson, photos, sides, gender }, pairs) : new Set<number>();
  const isFinalPerson = (root: number) => isPerson(root) || tight.has(root);

  // Read the result out: a face joins the anchor in its cluster, or the cluster becomes a new person.
  const anchorOf = new Int32Array(n).fill(-1);
  const personOf = new Int32Array(n).fill(-1);
  const anchorOfRoot = new Map<number, number>();
  for (let q = 0; q < m; q++) anchorOfRoot.set(roots[n + q], anchorOrder[q]);
  const groups = new Map<number, number[]>();
  for (let p = 0; p < n; p++) {
    const root = roots[p];
    const anchor = anchorOfRoot.get(root);
    if (anchor !== undefined) {
      anchorOf[faceOrder[p]] = anchor;
      continue;
    }
    let group = groups.get(root);
    if (!group) groups.set(root, (group = []));
    group.push(p);
  }
  const people: NewPerson[] = [];
  // Map iteration follows first insertion, i.e. each group's first point in canonical order.
  for (const [root, group] of groups) {
    if (!isFinalPerson(root)) continue;
    let best = group[0];
    let bestDot = Number.NEGATIVE_INFINITY;
    const sum = sumOf(root);
    for (const p of group) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += unit[p * dim + d] * sum[d];
      if (s > bestDot) {
        bestDot = s;
        best = p;
      }
    }
    const index = people.length;
    const faces = group.map((p) => faceOrder[p]);
    for (const f of faces) personOf[f] = index;
    people.push({ faces, representative: faceOrder[best] });
  }
  return { anchorOf, personOf, people };
}

/** A later stage's bounds: `defaults` with a caller's own over them; undefined when switched off. */
function stageOptions<T>(option: boolean | Partial<T> | undefined, defaults: T): T | undefined {
  return option === false ? undefined : { ...defaults, ...(typeof option === 'object' ? option : {}) };
}

/** {@link clusterFaces} on the faces that are not poor, read back in the input's indices (poor faces: -1). */
function withoutPoorFaces(input: FaceClusteringInput, poor: ArrayLike<boolean>, options: ClusteringOptions): FaceClustering {
  const { dim } = input;
  const n = Math.floor(input.embeddings.length / dim);
  const kept = Array.from({ length: n }, (_, i) => i).filter((i) => !poor[i]);
  const embeddings = new Float32Array(kept.length * dim);
  kept.forEach((i, k) => embeddings.set(input.embeddings.subarray(i * dim, (i + 1) * dim), k * dim));
  const inner = clusterFaces(
    {
      embeddings,
      dim,
      imageIds: kept.map((i) => input.imageIds[i]),
      founders: input.founders && kept.map((i) => input.founders![i]),
      anchors: input.anchors,
      cannotJoin: input.cannotJoin && kept.map((i) => input.cannotJoin![i]),
      sides: input.sides && kept.map((i) => input.sides![i]),
      maleProbability: input.maleProbability && kept.map((i) => input.maleProbability![i]),
    },
    options,
  );
  const anchorOf = new Int32Array(n).fill(-1);
  const personOf = new Int32Array(n).fill(-1);
  kept.forEach((i, k) => {
    anchorOf[i] = inner.anchorOf[k];
    personOf[i] = inner.personOf[k];
  });
  const people = inner.people.map((p) => ({ faces: p.faces.map((k) => kept[k]), representative: kept[p.representative] }));
  return { anchorOf, personOf, people };
}

/**
 * Clusters one embedding per photo (or null for a photo without a face), as
 * the evaluation needs: cluster numbers per input, null where a face is left
 * unassigned (a group smaller than `minFaces`, or a poor face).
 */
export function clusterEmbeddings(
  embeddings: readonly (ArrayLike<number> | null)[],
  options: Pick<ClusteringOptions, 'threshold'> & Partial<ClusteringOptions>,
  poor?: readonly boolean[],
): (number | null)[] {
  const present = embeddings.flatMap((e, i) => (e ? [i] : []));
  if (present.length === 0) return embeddings.map(() => null);
  const dim = present.length > 0 ? embeddings[present[0]]!.length : 0;
  const packed = new Float32Array(present.length * dim);
  present.forEach((i, row) => packed.set(Array.from(embeddings[i]!), row * dim));
  const result = clusterFaces(
    { embeddings: packed, dim, imageIds: present.map((_, row) => row), ...(poor ? { poor: present.map((i) => poor[i]) } : {}) },
    { minFaces: DEFAULT_MIN_FACES, neighbours: DEFAULT_NEIGHBOURS, ...options },
  );
  const out: (number | null)[] = embeddings.map(() => null);
  present.forEach((i, row) => {
    const person = result.personOf[row];
    out[i] = person >= 0 ? person : null;
  });
  return out;
}

/** The gender evidence of every point (faces in canonical order, then anchors), or undefined when no face carries one. */
function genderOf(input: FaceClusteringInput, faceOrder: Int32Array, anchorOrder: Int32Array): GenderEvidence | undefined {
  const p = input.maleProbability;
  const anchors = input.anchors ?? [];
  if (!p && !anchors.some((a) => a.gender)) return undefined;
  const ordered = Float64Array.from(faceOrder, (f) => (p ? p[f] : Number.NaN));
  const extra = Array.from(anchorOrder, (a) => anchors[a].gender ?? { male: 0, female: 0 });
  return GenderEvidence.of(ordered, extra, GENDER_CONFIDENCE);
}

/**
 * Turns "face f may not join anchor a" into one more cannot-link key shared by
 * the two points, as if they had a photo in common: a negative number, which
 * no image id is.
 */
function addCannotJoin(
  keys: (number[] | null)[],
  cannotJoin: readonly (readonly number[] | undefined)[],
  faceOrder: Int32Array,
  anchorOrder: Int32Array,
): void {
  const n = faceOrder.length;
  const pointOfFace = new Int32Array(n);
  faceOrder.forEach((f, p) => (pointOfFace[f] = p));
  const pointOfAnchor = new Int32Array(anchorOrder.length);
  anchorOrder.forEach((a, q) => (pointOfAnchor[a] = n + q));
  const add = (point: number, key: number) => (keys[point] ??= []).push(key);
  cannotJoin.forEach((anchors, f) => {
    for (const a of anchors ?? []) {
      add(pointOfFace[f], -(a + 1));
      add(pointOfAnchor[a], -(a + 1));
    }
  });
}

/**
 * Indices 0..n-1 of `n` rows of `dim` values sorted lexicographically: a content order, not an
 * arrival order. Reads the rows in place: a view object per face would cost 100 MB at a million faces.
 */
function canonicalOrder(n: number, dim: number, rows: Float32Array | Float64Array): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    for (let d = 0; d < dim; d++) {
      const va = rows[a * dim + d];
      const vb = rows[b * dim + d];
      if (va !== vb) return va - vb;
    }
    // Equal vectors (the same photo stored twice): interchangeable, so any fixed order will do.
    return a - b;
  });
  return Int32Array.from(order);
}
