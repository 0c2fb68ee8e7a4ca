import type { TightPairOptions } from './clustering-config.js';
import type { GenderEvidence } from './gender-evidence.js';
import type { NeighbourGraph } from './neighbour-graph.js';

/** What the tight pairs read of a clustering run once its earlier stages are done (cluster-faces.ts). */
export interface TightPairInput {
  graph: NeighbourGraph;
  /** Per point (faces first, then anchors), the root of its cluster after the earlier stages. */
  roots: Int32Array;
  /** How many of the points are faces. */
  faces: number;
  founder: (p: number) => boolean;
  isPerson: (root: number) => boolean;
  /** Per point, cannot-link keys (average-linkage.ts `photos`). */
  photos: readonly (readonly number[] | null)[];
  /** Per point, signed "not the same person" keys (average-linkage.ts `sides`). */
  sides: readonly (readonly number[] | null)[];
  /** Gender totals per cluster root, where faces carry a gender. */
  gender?: GenderEvidence;
}

/**
 * Clusters that are no person, of exactly two faces, both founding, that are a tight pair (clustering-config.ts
 * `TightPairOptions`): each the other's nearest rival in the graph, within `maxDistance`, and the next nearest rival
 * of each at least `margin` farther than the pair's own distance. A point the face can never be with (its photo, a
 * dismissed pair) is no rival, nor is one confidently of the other gender than the pair when the face's own P(male)
 * leans to the pair's: insightface's `zy` (P(male) 0.17) lies 0.046 from a confidently male face, 0.047 from her
 * other photo (0.03).
 */
export function tightPairs(input: TightPairInput, options: TightPairOptions): Set<number> {
  const { graph, roots, faces: n, founder, isPerson } = input;
  const members = new Map<number, number[]>();
  for (let p = 0; p < n; p++) {
    const root = roots[p];
    if (isPerson(root)) continue;
    const list = members.get(root);
    if (list) list.push(p);
    else members.set(root, [p]);
  }
  const { k, neighbours, distances } = graph;
  // Face p's nearest rival must be its partner within the bound, and its next rival (if any) `margin` farther.
  const clear = (p: number, partner: number) => {
    let found = -1;
    for (let s = 0; s < k; s++) {
      const x = neighbours[p * k + s];
      if (x < 0) break;
      if (x !== partner && !rival(input, p, x)) continue;
      if (found >= 0) return distances[p * k + s] >= distances[p * k + found] + options.margin;
      if (x !== partner || distances[p * k + s] > options.maxDistance) return false;
      found = s;
    }
    return found >= 0;
  };
  const tight = new Set<number>();
  for (const [root, [p, q, ...more]] of members) {
    if (q !== undefined && more.length === 0 && founder(p) && founder(q) && clear(p, q) && clear(q, p)) tight.add(root);
  }
  return tight;
}

/** Whether point `x` could be in one person with face `p` (see {@link tightPairs}). */
function rival(input: TightPairInput, p: number, x: number): boolean {
  if (input.gender?.leansToOwn(p, input.roots[p], input.roots[x])) return false;
  const photos = input.photos[x];
  if (photos && input.photos[p]?.some((key) => photos.includes(key))) return false;
  const sides = input.sides[x];
  return !(sides && input.sides[p]?.some((key) => sides.includes(-key)));
}
