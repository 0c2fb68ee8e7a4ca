import { rocAuc, type ScoredPair } from './verification-metrics.js';
import { evaluateGroups, evaluateNoFace, evaluateSet, type ClusterFn, type EvaluateOptions, type PhotoAnalyzer } from './evaluator.js';
import type { EvalSource } from './sources.js';

/** A face recogniser under evaluation: facegraph's pipeline, or plain face-api as the baseline. */
export interface EvalSystem {
  name: string;
  analyzer: PhotoAnalyzer;
  /** Its same-person rule: distance below threshold. */
  distance: (a: Float32Array, b: Float32Array) => number;
  threshold: number;
  cluster?: ClusterFn;
}

/** One row of the table: a source (or a total) as one system scored it. */
export interface SourceScore {
  source: string;
  system: string;
  identity?: {
    photos: number;
    withoutFace: number;
    /** The photos counted in withoutFace (relative to nothing: as loaded). */
    withoutFaceFiles: string[];
    pairs: number;
    positives: number;
    /** Pairs the threshold gets wrong (a pair with a photo without a face is wrong). */
    errors: number;
    accuracy: number;
    auc: number;
    /** Pairwise F1 of the system's clustering of the main faces into people, when it has one. */
    clusteringF1?: number;
  };
  groups?: {
    photos: number;
    /** Faces counted by eye. */
    expected: number;
    found: number;
    /** Per photo, counted faces the system found fewer of (a count, not a box match). */
    missed: number;
    /** Per photo, faces found over the count. */
    extra: number;
    /** Pairs of faces found in one photo: different people. */
    samePhotoPairs: number;
    calledSame: number;
    /** Of those, pairs of two faces that are not poor: the pairs clustering can act on. */
    calledSameGood: number;
    /** Faces found that are poor (small, blurred, faded): never in a person. */
    poorFaces: number;
    perPhoto: { file: string; expected: number; found: number }[];
  };
  noface?: { photos: number; faces: number; withFaces: string[] };
  photos: number;
  seconds: number;
}

/** A score with the pairs behind it, so that totals can pool them. */
export interface ScoredSource {
  score: SourceScore;
  pairs: ScoredPair[];
}

export async function scoreSource(
  source: EvalSource,
  system: EvalSystem,
  onProgress?: EvaluateOptions['onProgress'],
): Promise<ScoredSource> {
  const started = performance.now();
  const options: EvaluateOptions = {
    threshold: system.threshold,
    distance: system.distance,
    cluster: system.cluster,
    calibrate: false,
    onProgress,
  };
  const score: SourceScore = { source: source.name, system: system.name, photos: 0, seconds: 0 };
  let pairs: ScoredPair[] = [];
  if (source.identity) {
    const { report, pairs: scored } = await evaluateSet(source.identity, system.analyzer, options);
    pairs = scored;
    score.identity = {
      photos: report.detection.photos,
      withoutFace: report.detection.photosWithoutFace,
      withoutFaceFiles: report.detection.withoutFace.map((p) => p.file),
      pairs: scored.length,
      positives: report.verification.positives,
      errors: Math.round((1 - report.verification.accuracy) * scored.length),
      accuracy: report.verification.accuracy,
      auc: report.verification.auc,
      ...(report.clustering ? { clusteringF1: report.clustering.pairwiseF1 } : {}),
    };
    score.photos += report.detection.photos;
  }
  if (source.groups) {
    const expected = new Map(source.groups.map((g) => [g.file, g.expected]));
    const { report, pairs: groupPairs } = await evaluateGroups([...expected.keys()], system.analyzer, options);
    const perPhoto = report.detection.perPhoto.map((p) => ({ file: p.file, expected: expected.get(p.file)!, found: p.faces }));
    score.groups = {
      photos: perPhoto.length,
      expected: sum(perPhoto.map((p) => p.expected)),
      found: sum(perPhoto.map((p) => p.found)),
      missed: sum(perPhoto.map((p) => Math.max(0, p.expected - p.found))),
      extra: sum(perPhoto.map((p) => Math.max(0, p.found - p.expected))),
      samePhotoPairs: groupPairs.length,
      calledSame: groupPairs.filter((p) => p.distance! < system.threshold).length,
      calledSameGood: groupPairs.filter((p) => !p.poor && p.distance! < system.threshold).length,
      poorFaces: report.detection.poorFaces ?? 0,
      perPhoto,
    };
    score.photos += perPhoto.length;
  }
  if (source.noface) {
    const r = await evaluateNoFace(source.noface, system.analyzer, onProgress);
    score.noface = { photos: r.noFacePhotos, faces: r.falseFaces, withFaces: r.withFalseFaces.map((p) => p.file) };
    score.photos += r.noFacePhotos;
  }
  score.seconds = (performance.now() - started) / 1000;
  return { score, pairs };
}

/** Several sources' scores as one row: counts summed, pairs pooled. */
export function totalOf(name: string, system: string, scored: readonly ScoredSource[]): SourceScore {
  const rows = scored.map((s) => s.score);
  const out: SourceScore = { source: name, system, photos: sum(rows.map((r) => r.photos)), seconds: sum(rows.map((r) => r.seconds)) };
  const ids = rows.flatMap((r) => (r.identity ? [r.identity] : []));
  if (ids.length > 0) {
    const pairs = scored.flatMap((s) => (s.score.identity ? s.pairs : []));
    out.identity = {
      photos: sum(ids.map((i) => i.photos)),
      withoutFace: sum(ids.map((i) => i.withoutFace)),
      withoutFaceFiles: ids.flatMap((i) => i.withoutFaceFiles),
      pairs: pairs.length,
      positives: sum(ids.map((i) => i.positives)),
      errors: sum(ids.map((i) => i.errors)),
      // Pooled: every source's errors over all their pairs (each source scored at the system's one threshold).
      accuracy: pairs.length > 0 ? 1 - sum(ids.map((i) => i.errors)) / pairs.length : Number.NaN,
      auc: rocAuc(pairs),
    };
  }
  const groups = rows.flatMap((r) => (r.groups ? [r.groups] : []));
  if (groups.length > 0) {
    out.groups = {
      photos: sum(groups.map((g) => g.photos)),
      expected: sum(groups.map((g) => g.expected)),
      found: sum(groups.map((g) => g.found)),
      missed: sum(groups.map((g) => g.missed)),
      extra: sum(groups.map((g) => g.extra)),
      samePhotoPairs: sum(groups.map((g) => g.samePhotoPairs)),
      calledSame: sum(groups.map((g) => g.calledSame)),
      calledSameGood: sum(groups.map((g) => g.calledSameGood)),
      poorFaces: sum(groups.map((g) => g.poorFaces)),
      perPhoto: [],
    };
  }
  const nofaces = rows.flatMap((r) => (r.noface ? [r.noface] : []));
  if (nofaces.length > 0) {
    out.noface = {
      photos: sum(nofaces.map((n) => n.photos)),
      faces: sum(nofaces.map((n) => n.faces)),
      withFaces: nofaces.flatMap((n) => n.withFaces),
    };
  }
  return out;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
