import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { syntheticLibrary } from '../support/synthetic-people.js';
import { averageLinkage } from '../../src/clustering/average-linkage.js';
import { clusterEmbeddings, clusterFaces, type FaceClustering } from '../../src/clustering/cluster-faces.js';
import { TIGHT_PAIR } from '../../src/clustering/clustering-config.js';
import { buildNeighbourGraph, mulberry32 } from '../../src/clustering/neighbour-graph.js';
import { pairwiseClusteringMetrics } from '../../src/eval/clustering-metrics.js';
import { thumbnailCrop, uprightRotation } from '../../src/services/thumbnail-crop.js';
import { toyVectors } from '../support/toy-vectors.js';

/** The lfw10-like threshold the synthetic library is fitted to (the calibrated default is close). */
const T = 0.094;
const OPTIONS = { threshold: T, minFaces: 3, neighbours: 16 };

/** A partition as a canonical string: groups of face indices, so two results compare whatever their numbering. */
function partition(r: FaceClustering, n: number, faceKey: (i: number) => number = (i) => i): string {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = r.personOf[i];
    if (g < 0) continue;
    groups.set(g, [...(groups.get(g) ?? []), faceKey(i)]);
  }
  return JSON.stringify([...groups.values()].map((g) => g.sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]));
}

describe('clusterFaces on a synthetic library', () => {
  const lib = syntheticLibrary(3000);
  const n = lib.person.length;

  test('finds the people with high pairwise F1 and never puts two faces of one photo together', () => {
    const r = clusterFaces({ embeddings: lib.embeddings, dim: lib.dim, imageIds: lib.imageId }, OPTIONS);
    const m = pairwiseClusteringMetrics(
      Array.from(lib.person, String),
      Array.from(r.personOf, (p) => (p >= 0 ? p : null)),
    );
    assert.ok(m.pairwiseF1 >= 0.95, JSON.stringify(m));
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (r.personOf[i] < 0) continue;
      const key = `${r.personOf[i]}:${lib.imageId[i]}`;
      assert.ok(!seen.has(key), `two faces of photo ${lib.imageId[i]} in one person`);
      seen.add(key);
    }
    // Short of minFaces only a tight pair (two faces) makes a person.
    for (const p of r.people) assert.ok(p.faces.length >= OPTIONS.minFaces || p.faces.length === 2, `a person of ${p.faces.length}`);
  });

  test('does not depend on the order the faces come in', () => {
    const base = clusterFaces({ embeddings: lib.embeddings, dim: lib.dim, imageIds: lib.imageId }, OPTIONS);
    const random = mulberry32(99);
    const order = Array.from({ length: n }, (_, i) => i).sort(() => random() - 0.5);
    const embeddings = new Float32Array(lib.embeddings.length);
    order.forEach((f, i) => embeddings.set(lib.embeddings.subarray(f * lib.dim, (f + 1) * lib.dim), i * lib.dim));
    const shuffled = clusterFaces({ embeddings, dim: lib.dim, imageIds: order.map((f) => lib.imageId[f]) }, OPTIONS);
    assert.equal(
      partition(shuffled, n, (i) => order[i]),
      partition(base, n),
    );
    // And the representative of each person is the same face.
    const reps = (r: FaceClustering, key: (i: number) => number) => r.people.map((p) => key(p.representative)).sort((a, b) => a - b);
    assert.deepEqual(
      reps(shuffled, (i) => order[i]),
      reps(base, (i) => i),
    );
  });
});

describe('clusterFaces rules', () => {
  const dim = 8;
  const { near, pack } = toyVectors(dim);
  const options = { threshold: 0.05, minFaces: 2, neighbours: 8 };

  test('identical faces in one photo stay apart; a group smaller than minFaces waits', () => {
    const faces = [near(0, 1, 0.01), near(0, 1, 0.01), near(0, 2, 0.02), near(3, 4, 0.01)];
    const r = clusterFaces({ embeddings: pack(faces), dim, imageIds: [7, 7, 8, 9] }, options);
    assert.notEqual(r.personOf[0], r.personOf[1]);
    // The third face pairs with one of the twins; the other twin and the lone far face are nobody.
    assert.equal(r.people.length, 1);
    assert.equal(r.people[0].faces.length, 2);
    assert.ok(r.people[0].faces.includes(2));
    assert.equal(r.personOf[3], -1);
  });

  test('faces join an existing person when their mean distance to its faces is within the threshold', () => {
    // An anchor of 4 faces along axis 0 (sum 4 * e0): a face near e0 joins, a face near e5 does not.
    const sum = new Float32Array(dim);
    sum[0] = 4;
    const faces = [near(0, 1, 0.1), near(5, 6, 0.1)];
    const r = clusterFaces(
      { embeddings: pack(faces), dim, imageIds: [1, 2], anchors: [{ count: 4, sum, imageIds: [] }] },
      { ...options, minFaces: 1 },
    );
    assert.equal(r.anchorOf[0], 0);
    assert.equal(r.anchorOf[1], -1);
    assert.equal(r.personOf[1], 0, 'with minFaces 1 the far face is a new person');
  });

  test('a face never joins an existing person that has a face in its photo, and two existing people never merge', () => {
    const a = new Float32Array(dim);
    a[0] = 1;
    const r = clusterFaces(
      {
        embeddings: pack([near(0, 1, 0.01)]),
        dim,
        imageIds: [42],
        anchors: [
          { count: 1, sum: a, imageIds: [42] },
          { count: 1, sum: a, imageIds: [] },
        ],
      },
      { ...options, minFaces: 1 },
    );
    assert.equal(r.anchorOf[0], 1, 'the other, identical, anchor takes it');
  });

  test('"not this person": a face never joins an anchor it may not join, nor does any group holding it', () => {
    const a = new Float32Array(dim);
    a[0] = 3;
    const anchors = [{ count: 3, sum: a, imageIds: [] }];
    const faces = pack([near(0, 1, 0.01), near(0, 2, 0.01)]);
    const free = clusterFaces({ embeddings: faces, dim, imageIds: [1, 2], anchors }, { ...options, minFaces: 1 });
    assert.deepEqual([...free.anchorOf], [0, 0], 'without the rule both faces join');
    const r = clusterFaces(
      { embeddings: faces, dim, imageIds: [1, 2], anchors, cannotJoin: [[0], undefined] },
      { ...options, minFaces: 1 },
    );
    assert.equal(r.anchorOf[0], -1);
    assert.equal(r.anchorOf[1], 0, 'the other face still joins');
    assert.equal(r.personOf[0], 0, 'the rejected face is a person of its own');
  });

  test('clusterEmbeddings numbers the clusters of the evaluation and leaves photos without a face out', () => {
    const out = clusterEmbeddings([near(0, 1, 0.01), null, near(0, 2, 0.01), near(0, 3, 0.01), near(4, 5, 0.01)], {
      threshold: 0.05,
      minFaces: 3,
    });
    assert.deepEqual(out, [0, null, 0, 0, null]);
    assert.deepEqual(clusterEmbeddings([null, null], { threshold: 0.05 }), [null, null]);
  });
});

describe('second stage: a leftover joins the person it is clearly nearest', () => {
  const dim = 8;
  const { near, pack } = toyVectors(dim);
  // Threshold 0.05: the person's four faces lie 0.039 apart; the leftover 0.061 from each of them, beyond the
  // threshold but within the person's own spread plus 0.03 and the second stage's 0.1.
  const options = { threshold: 0.05, minFaces: 3, neighbours: 8 };
  const person = [1, 2, 3, 4].map((k) => near(0, k, 0.2));
  const leftover = near(0, 5, 0.3);

  test('joins with the second stage, stays out without it', () => {
    const input = { embeddings: pack([...person, leftover]), dim, imageIds: [1, 2, 3, 4, 5] };
    const r = clusterFaces(input, options);
    assert.equal(r.people.length, 1);
    assert.equal(r.personOf[4], r.personOf[0], 'the leftover joins');
    const before = clusterFaces(input, { ...options, attach: false });
    assert.equal(before.personOf[4], -1);
    assert.equal(before.personOf[0], before.personOf[3]);
  });

  test('never across a photo in common, a dismissed pair or "not this person"', () => {
    const shared = clusterFaces({ embeddings: pack([...person, leftover]), dim, imageIds: [1, 2, 3, 4, 1] }, options);
    assert.equal(shared.personOf[4], -1, 'a face of the same photo');
    const sides = clusterFaces(
      { embeddings: pack([...person, leftover]), dim, imageIds: [1, 2, 3, 4, 5], sides: [[7], [7], [7], [7], [-7]] },
      options,
    );
    assert.equal(sides.personOf[4], -1, 'a dismissed pair');
    const sum = new Float32Array(dim);
    for (const v of person) for (let d = 0; d < dim; d++) sum[d] += v[d];
    const anchors = [{ count: 4, sum, imageIds: [] }];
    const free = clusterFaces({ embeddings: pack([leftover]), dim, imageIds: [5], anchors }, options);
    assert.equal(free.anchorOf[0], 0, 'an existing person takes it too');
    const rejected = clusterFaces({ embeddings: pack([leftover]), dim, imageIds: [5], anchors, cannotJoin: [[0]] }, options);
    assert.equal(rejected.anchorOf[0], -1, '"not this person"');
  });

  test('not when another person is about as near', () => {
    // Two people of the same four faces, kept apart by sharing every photo: the leftover is as near to both.
    const r = clusterFaces({ embeddings: pack([...person, ...person, leftover]), dim, imageIds: [1, 2, 3, 4, 1, 2, 3, 4, 5] }, options);
    assert.equal(r.people.length, 2);
    assert.equal(r.personOf[8], -1);
  });

  test("not when it lies farther from the person than the person's faces lie from each other, plus the excess", () => {
    const far = near(0, 5, 0.42);
    const r = clusterFaces({ embeddings: pack([...person, far]), dim, imageIds: [1, 2, 3, 4, 5] }, options);
    assert.equal(r.personOf[4], -1);
  });
});

describe('a tight pair: two faces alone make a person', () => {
  const dim = 8;
  const { near, pack } = toyVectors(dim);
  const options = { threshold: 0.05, minFaces: 3, neighbours: 8 };
  // 0.022 apart: well within TIGHT_PAIR's bound.
  const pair = [near(0, 1, 0.15), near(0, 2, 0.15)];

  test("when each is the other one's nearest, within the bound, and nothing else is near", () => {
    const input = { embeddings: pack(pair), dim, imageIds: [1, 2] };
    const r = clusterFaces(input, options);
    assert.equal(r.people.length, 1);
    assert.deepEqual([...r.personOf], [0, 0]);
    assert.equal(clusterFaces(input, { ...options, pairs: false }).people.length, 0, 'pairs off: minFaces to the letter');
    assert.equal(clusterFaces(input, { ...options, minFaces: 4 }).people.length, 0, 'a minFaces over 3 keeps them off');
    const small = clusterFaces({ ...input, founders: [true, false] }, options);
    assert.equal(small.people.length, 0, 'a face too small to found a person does not found a pair either');
  });

  test('not when a third face lies about as near to one of them', () => {
    // The third face shares face 0's photo, so it cannot join; 0.022 from face 1, as near as face 0 is.
    const r = clusterFaces({ embeddings: pack([...pair, near(0, 3, 0.15)]), dim, imageIds: [1, 2, 1] }, options);
    assert.equal(r.people.length, 0);
  });

  // p and q 0.038 apart; x1 0.036 from p, x2 (0.010 from x1) 0.045: nearer to p than q is, but farther on average.
  const unit = (...v: number[]) => {
    const norm = Math.hypot(...v);
    return Float32Array.from({ length: dim }, (_, i) => (v[i] ?? 0) / norm);
  };
  const [p, q, x1, x2] = [unit(1, 0.2), unit(1, 0, 0.2), unit(1, 0.2, 0, 0.28), unit(1, 0.2, 0, 0.28, 0.15)];

  test('when the face nearer than the partner is in its own photo: it cannot be that face, so it is no rival', () => {
    const input = { embeddings: pack([p, q, x1]), dim, imageIds: [1, 2, 1] };
    const r = clusterFaces(input, options);
    assert.equal(r.people.length, 1);
    assert.deepEqual([...r.personOf], [0, 0, -1]);
    const elsewhere = clusterFaces({ ...input, imageIds: [1, 2, 3] }, options);
    assert.equal(elsewhere.people.length, 0, 'in a photo of its own, x1 could be p: p is no clear pair with anyone');
  });

  test('when the nearer faces are confidently of the other gender and the face leans to its partner', () => {
    const input = { embeddings: pack([p, q, x1, x2]), dim, imageIds: [1, 2, 3, 4] };
    // Like insightface's zy: p leans female (0.3, not confident), q is confidently female, x1 and x2 male.
    const r = clusterFaces({ ...input, maleProbability: [0.3, 0.03, 0.95, 0.95] }, options);
    assert.equal(r.people.length, 2);
    assert.equal(r.personOf[0], r.personOf[1]);
    assert.equal(r.personOf[2], r.personOf[3]);
    assert.notEqual(r.personOf[0], r.personOf[2]);
    const leansMale = clusterFaces({ ...input, maleProbability: [0.7, 0.03, 0.95, 0.95] }, options);
    assert.deepEqual([...leansMale.personOf.slice(0, 2)], [-1, -1], 'p leaning male could be x1: no pair');
    const unknown = clusterFaces(input, options);
    assert.deepEqual([...unknown.personOf.slice(0, 2)], [-1, -1], 'no gender: x1 is a rival');
  });

  test('not beyond the bound, however alone', () => {
    // Just beyond the bound: one group for average linkage at 0.07, but two faces that far are no person on their own.
    const apart = TIGHT_PAIR.maxDistance + 0.005;
    const eps = Math.sqrt(apart / (1 - apart));
    const input = { embeddings: pack([near(0, 1, eps), near(0, 2, eps)]), dim, imageIds: [1, 2] };
    const r = clusterFaces(input, { ...options, threshold: 0.07 });
    assert.equal(r.people.length, 0);
  });
});

describe('spread: two large groups merge only when as close as their own faces are', () => {
  const dim = 8;
  const options = { threshold: 0.05, minFaces: 3, neighbours: 16 };
  const unit = (v: number[]) => {
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  // Faces 0.01 apart around axis 0, and the same around a direction tilted by `tilt` towards axis 7.
  const groups = (size: number, tilt: number) => {
    const face = (k: number, t: number) => unit([1, ...Array.from({ length: 6 }, (_, i) => (i === k ? 0.1 : 0)), t]);
    const rows = [...Array.from({ length: size }, (_, k) => face(k, 0)), ...Array.from({ length: size }, (_, k) => face(k, tilt))];
    return { embeddings: Float32Array.from(rows.flat()), dim, imageIds: rows.map((_, i) => i + 1) };
  };
  const people = (r: FaceClustering) => r.people.map((p) => p.faces.length).sort((a, b) => a - b);

  test('look-alikes: six faces each, 0.038 apart on average but 0.01 within, stay two people', () => {
    const input = groups(6, 0.25);
    assert.deepEqual(people(clusterFaces(input, options)), [6, 6]);
    assert.deepEqual(people(clusterFaces(input, { ...options, spread: false })), [12], 'plain average linkage merges them');
  });

  test('a large group takes a lone face only within 0.02 of its own spread (first stage alone)', () => {
    const six = groups(6, 0).embeddings.subarray(0, 6 * dim);
    const withFace = (tilt: number) => ({
      embeddings: Float32Array.from([...six, ...unit([1, 0, 0, 0, 0, 0, 0, tilt])]),
      dim,
      imageIds: [1, 2, 3, 4, 5, 6, 7],
    });
    const first = { ...options, attach: false, pairs: false };
    // Linkage 0.035 to faces 0.01 apart: excess 0.025.
    assert.deepEqual(people(clusterFaces(withFace(0.25), first)), [6]);
    assert.deepEqual(people(clusterFaces(withFace(0.25), { ...first, spread: false })), [7], 'plain linkage takes it');
    // Linkage 0.024: excess 0.014.
    assert.deepEqual(people(clusterFaces(withFace(0.2), first)), [7]);
  });

  test('one person: two groups whose gap is within the allowance, or groups too small to judge, merge', () => {
    assert.deepEqual(people(clusterFaces(groups(6, 0.2), options)), [12], 'excess 0.018, within 0.02');
    assert.deepEqual(people(clusterFaces(groups(4, 0.25), options)), [8], 'four faces each: under minFaces 5');
  });
});

describe('gender: a man and a woman who look alike stay two people', () => {
  const dim = 8;
  const { near, pack } = toyVectors(dim);
  const options = { threshold: 0.05, minFaces: 3, neighbours: 8 };
  // Six faces 0.022 apart: one person by distance alone.
  const faces = [1, 2, 3, 4, 5, 6].map((k) => near(0, k, 0.15));
  const input = { embeddings: pack(faces), dim, imageIds: [1, 2, 3, 4, 5, 6] };

  test('confidently opposite groups never merge; undecided or unknown faces do', () => {
    const apart = clusterFaces({ ...input, maleProbability: [0.95, 0.97, 0.92, 0.03, 0.05, 0.08] }, options);
    assert.equal(apart.people.length, 2);
    assert.equal(new Set(apart.personOf.slice(0, 3)).size, 1);
    assert.equal(new Set(apart.personOf.slice(3)).size, 1);
    assert.notEqual(apart.personOf[0], apart.personOf[3]);
    for (const p of [[0.5, 0.6, 0.4, 0.5, 0.3, 0.7], new Array(6).fill(Number.NaN)]) {
      const one = clusterFaces({ ...input, maleProbability: p }, options);
      assert.equal(one.people.length, 1, JSON.stringify(p));
      assert.equal(one.people[0].faces.length, 6);
    }
    assert.equal(clusterFaces(input, options).people.length, 1, 'no gender at all: distance alone');
  });

  test('one odd face neither splits a person nor is taken into it', () => {
    const r = clusterFaces({ ...input, maleProbability: [0.95, 0.97, 0.92, 0.96, 0.94, 0.02] }, options);
    assert.equal(r.people.length, 1);
    assert.deepEqual(r.people[0].faces.sort(), [0, 1, 2, 3, 4]);
    assert.equal(r.personOf[5], -1);
  });

  test('an existing person of one gender takes no face confidently of the other, in either stage', () => {
    const sum = new Float32Array(dim);
    sum[0] = 4;
    const anchor = { count: 4, sum, imageIds: [], gender: { male: 4, female: 0 } };
    const two = { embeddings: pack([near(0, 1, 0.1), near(0, 2, 0.1)]), dim, imageIds: [1, 2], anchors: [anchor] };
    const r = clusterFaces({ ...two, maleProbability: [0.04, 0.5] }, { ...options, minFaces: 1 });
    assert.notEqual(r.anchorOf[0], 0, 'the confident woman does not join him');
    assert.equal(r.anchorOf[1], 0, 'the undecided face does');
    // The second stage: a leftover beyond the threshold but clearly nearest the person.
    const person = [1, 2, 3, 4].map((k) => near(0, k, 0.2));
    const leftover = near(0, 5, 0.3);
    const second = { embeddings: pack([...person, leftover]), dim, imageIds: [1, 2, 3, 4, 5] };
    const joins = clusterFaces({ ...second, maleProbability: [0.9, 0.95, 0.97, 0.93, 0.6] }, options);
    assert.equal(joins.personOf[4], joins.personOf[0]);
    const stays = clusterFaces({ ...second, maleProbability: [0.9, 0.95, 0.97, 0.93, 0.05] }, options);
    assert.equal(stays.personOf[4], -1);
  });
});

describe('average linkage', () => {
  test('is exact UPGMA: the same clusters as a brute-force reference', () => {
    const lib = syntheticLibrary(150, 3);
    const n = lib.person.length;
    const { dim, embeddings } = lib;
    const threshold = 0.07;
    // Complete graph: every pair within the threshold is an edge, so only the linkage is under test.
    const graph = buildNeighbourGraph(embeddings, dim, { k: n - 1, maxDistance: threshold, trees: 1, leafSize: n });
    const { roots } = averageLinkage({
      dim,
      vectors: embeddings,
      counts: new Float64Array(n).fill(1),
      fixed: new Uint8Array(n),
      photos: new Array(n).fill(null),
      graph,
      threshold,
    });
    // Reference: repeatedly merge the pair of clusters with the smallest mean pairwise distance.
    const distance = (a: number, b: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += embeddings[a * dim + d] * embeddings[b * dim + d];
      return 1 - s;
    };
    let clusters = Array.from({ length: n }, (_, i) => [i]);
    for (;;) {
      let best = { l: Infinity, a: -1, b: -1 };
      for (let a = 0; a < clusters.length; a++) {
        for (let b = a + 1; b < clusters.length; b++) {
          let s = 0;
          for (const i of clusters[a]) for (const j of clusters[b]) s += distance(i, j);
          const l = s / (clusters[a].length * clusters[b].length);
          if (l < best.l) best = { l, a, b };
        }
      }
      if (best.l > threshold) break;
      clusters[best.a] = [...clusters[best.a], ...clusters[best.b]];
      clusters = clusters.filter((_, i) => i !== best.b);
    }
    const expected = clusters.map((c) => c.sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
    const got = new Map<number, number[]>();
    for (let i = 0; i < n; i++) got.set(roots[i], [...(got.get(roots[i]) ?? []), i]);
    assert.deepEqual(
      [...got.values()].sort((a, b) => a[0] - b[0]),
      expected,
    );
    assert.ok(
      expected.some((c) => c.length > 2),
      'the reference found real groups',
    );
  });
});

describe('neighbour graph', () => {
  test('holds most of the pairs within the threshold', () => {
    const lib = syntheticLibrary(2000, 11);
    const { dim, embeddings } = lib;
    const n = lib.person.length;
    const k = 16;
    const g = buildNeighbourGraph(embeddings, dim, { k, maxDistance: T });
    let truth = 0;
    let found = 0;
    for (let q = 0; q < n; q += 10) {
      const exact: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        if (j === q) continue;
        let s = 0;
        for (let d = 0; d < dim; d++) s += embeddings[q * dim + d] * embeddings[j * dim + d];
        if (1 - s <= T) exact.push([1 - s, j]);
      }
      const top = exact
        .sort((a, b) => a[0] - b[0])
        .slice(0, k)
        .map(([, j]) => j);
      const got = new Set(g.neighbours.subarray(q * k, (q + 1) * k));
      truth += top.length;
      found += top.filter((j) => got.has(j)).length;
    }
    assert.ok(truth > 0);
    assert.ok(found / truth >= 0.9, `recall ${found / truth}`);
  });
});

describe('thumbnail crop', () => {
  test('a square with margin, kept inside the photo', () => {
    assert.deepEqual(thumbnailCrop({ x: 100, y: 100, width: 50, height: 60 }, [], { width: 1000, height: 800 }), {
      left: 77,
      top: 82,
      side: 96,
      rotate: 0,
    });
    const edge = thumbnailCrop({ x: 0, y: 0, width: 50, height: 50 }, [], { width: 1000, height: 800 });
    assert.deepEqual([edge.left, edge.top, edge.side], [0, 0, 80]);
    const big = thumbnailCrop({ x: 0, y: 0, width: 300, height: 300 }, [], { width: 320, height: 200 });
    assert.deepEqual([big.left, big.top, big.side], [50, 0, 200]);
  });

  test('turns a sideways face upright from its eyes', () => {
    const eyes = (ax: number, ay: number, bx: number, by: number) => {
      const pts = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
      for (let i = 36; i <= 41; i++) pts[i] = { x: ax, y: ay };
      for (let i = 42; i <= 47; i++) pts[i] = { x: bx, y: by };
      return pts;
    };
    assert.equal(uprightRotation(eyes(10, 50, 40, 52)), 0);
    // Eye line pointing down the image: the face is turned 90 degrees clockwise; turn it back.
    assert.equal(uprightRotation(eyes(50, 10, 52, 40)), 270);
    assert.equal(uprightRotation(eyes(50, 40, 52, 10)), 90);
    assert.equal(uprightRotation(eyes(40, 50, 10, 52)), 180);
  });
});
