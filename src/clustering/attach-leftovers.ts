import { meanPairDistance } from './average-linkage.js';
import type { GenderEvidence } from './gender-evidence.js';
import { buildNeighbourGraph, exactNeighbourGraph } from './neighbour-graph.js';

/** Up to this many leftover x (leftover + person) comparisons the people near each leftover are found exactly. */
const EXACT_PAIRS = 4_000_000;

/** What the second stage reads of the first: the linkage's clusters and the constraints of every point. */
export interface LeftoverInput {
  dim: number;
  /** Unit vector of each point (faces first, then anchors' directions). */
  vectors: Float32Array;
  /** Number of face points (the first `faces` points); the others are anchors. */
  faces: number;
  /** Each point's cluster after average linkage. */
  roots: Int32Array;
  /** Sum of unit vectors and face count of a final cluster (`sumOf(root)`, `countOf(root)`). */
  sumOf(root: number): ArrayLike<number>;
  countOf(root: number): number;
  /** Whether a final cluster is a person (an anchor's, or one with enough founding faces). */
  isPerson(root: number): boolean;
  /** Per point, cannot-link keys: photos and "not this person" keys (average-linkage.ts `photos`). */
  photos: readonly (readonly number[] | null)[];
  /** Per point, signed "not the same person" keys (average-linkage.ts `sides`). */
  sides: readonly (readonly number[] | null)[];
  /** The linkage's gender totals per final cluster (by root), if faces carry a gender: opposite ones never join. */
  gender?: GenderEvidence;
  /** Nearest people looked at per leftover face. */
  neighbours: number;
}

export interface AttachOptions {
  /** Largest average cosine distance between a leftover and the person it joins. */
  maxDistance: number;
  /** The next nearest person must be at least this much farther (average distance) than the one joined. */
  margin: number;
  /**
   * Largest excess of that average distance over the person's own mean distance between two of its faces:
   * a face of the person is, on average, as far from the others as they are from each other.
   */
  maxExcess: number;
  /** Leftover clusters of at most this many faces are attached; larger ones wait. */
  maxFaces: number;
}

/**
 * The second stage of clustering: a leftover (a face or a small group the average linkage left short of a
 * person: a strong expression, a low-resolution crop just beyond the threshold) joins the person it is
 * clearly nearest: its average distance to that person within `maxDistance`, every other person it comes
 * near at least `margin` farther, and nothing forbidding it (a photo in common, "not this person", a
 * dismissed pair). Decisions are taken against the people as the linkage left them, nearest first, so the
 * result does not depend on the order of the leftovers; one that would conflict with a leftover attached
 * before it (a photo in common) waits. Returns the person root each leftover root joins.
 */
export function attachLeftovers(input: LeftoverInput, options: AttachOptions): Map<number, number> {
  const { dim, vectors, faces, roots } = input;
  const members = new Map<number, number[]>();
  for (let p = 0; p < faces; p++) {
    const root = roots[p];
    if (input.isPerson(root)) continue;
    let list = members.get(root);
    if (!list) members.set(root, (list = []));
    list.push(p);
  }
  const keysOf = (points: readonly number[], of: readonly (readonly number[] | null)[]) => {
    const keys = new Set<number>();
    for (const p of points) for (const key of of[p] ?? []) keys.add(key);
    return keys;
  };

  // The people near each leftover face: a neighbour graph of the leftover faces and the people's mean
  // directions (a face within `maxDistance` of a person on average is within it of the direction too).
  const leftoverPoints: number[] = [];
  for (const points of members.values()) if (points.length <= options.maxFaces) leftoverPoints.push(...points);
  leftoverPoints.sort((a, b) => a - b);
  const people = new Set<number>();
  for (let p = 0; p < roots.length; p++) if (input.isPerson(roots[p])) people.add(roots[p]);
  const personRoots = [...people].sort((a, b) => a - b);
  const rows = leftoverPoints.length;
  const joint = new Float32Array((rows + personRoots.length) * dim);
  leftoverPoints.forEach((p, i) => joint.set(vectors.subarray(p * dim, (p + 1) * dim), i * dim));
  personRoots.forEach((root, j) => {
    const sum = input.sumOf(root);
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += sum[d] * sum[d];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) joint[(rows + j) * dim + d] = sum[d] * scale;
  });
  const graphOptions = { k: 2 * input.neighbours, maxDistance: options.maxDistance };
  const graph =
    rows * (rows + personRoots.length) <= EXACT_PAIRS
      ? exactNeighbourGraph(joint, dim, rows, graphOptions)
      : buildNeighbourGraph(joint, dim, graphOptions);
  const rowOf = new Map(leftoverPoints.map((p, i) => [p, i]));

  const proposals: { leftover: number; person: number; distance: number }[] = [];
  for (const [leftover, points] of members) {
    if (points.length > options.maxFaces) continue;
    const sum = new Float64Array(dim);
    for (const p of points) for (let d = 0; d < dim; d++) sum[d] += vectors[p * dim + d];
    const candidates = new Set<number>();
    for (const p of points) {
      const row = rowOf.get(p)!;
      for (let s = 0; s < graph.k; s++) {
        const q = graph.neighbours[row * graph.k + s];
        if (q < 0) break;
        if (q >= rows) candidates.add(personRoots[q - rows]);
      }
    }
    let best = -1;
    let bestWithin = 0;
    let first = Number.POSITIVE_INFINITY;
    let second = Number.POSITIVE_INFINITY;
    for (const person of candidates) {
      const ps = input.sumOf(person);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += sum[d] * ps[d];
      const distance = 1 - dot / (points.length * input.countOf(person));
      if (distance < first || (distance === first && person < best)) {
        second = first;
        first = distance;
        best = person;
        bestWithin = meanPairDistance(ps, input.countOf(person));
      } else if (distance < second) second = distance;
    }
    if (best < 0 || first > options.maxDistance || second - first < options.margin || first - bestWithin > options.maxExcess) continue;
    proposals.push({ leftover, person: best, distance: first });
  }

  // Nearest first; a tie by the leftover's root (canonical: points are in content order).
  proposals.sort((a, b) => a.distance - b.distance || a.leftover - b.leftover);
  const personPoints = new Map<number, number[]>(proposals.map((p) => [p.person, []]));
  for (let p = 0; p < roots.length; p++) personPoints.get(roots[p])?.push(p);
  const personKeys = new Map<number, { photos: Set<number>; sides: Set<number> }>();
  const joined = new Map<number, number>();
  for (const { leftover, person } of proposals) {
    let keys = personKeys.get(person);
    if (!keys) {
      const points = personPoints.get(person)!;
      personKeys.set(person, (keys = { photos: keysOf(points, input.photos), sides: keysOf(points, input.sides) }));
    }
    const points = members.get(leftover)!;
    const photos = keysOf(points, input.photos);
    const sides = keysOf(points, input.sides);
    if ([...photos].some((k) => keys.photos.has(k)) || [...sides].some((k) => keys.sides.has(-k))) continue;
    if (input.gender?.apart(leftover, person)) continue;
    for (const k of photos) keys.photos.add(k);
    for (const k of sides) keys.sides.add(k);
    input.gender?.merge(person, leftover);
    joined.set(leftover, person);
  }
  return joined;
}
