import { readFile } from 'node:fs/promises';
import type { AnalyzedPhoto } from '../vision/face-pipeline.js';
import { cosineDistance } from '../vision/vector-math.js';
import { pairwiseClusteringMetrics, type ClusteringMetrics } from './clustering-metrics.js';
import type { EvalDataset } from './eval-dataset.js';
import { splitHalfCalibration, type SplitHalfCalibration } from './threshold-calibration.js';
import {
  accuracyAt,
  balancedAccuracyAt,
  bestAccuracy,
  rocAuc,
  tarAtFar,
  type ScoredPair,
} from './verification-metrics.js';

/** What the evaluation needs from the pipeline: the very `analyze` that ingestion calls. */
export interface PhotoAnalyzer {
  analyze(bytes: Uint8Array): Promise<Pick<AnalyzedPhoto, 'faces'>>;
}

/**
 * Groups main-face embeddings into people; `null` in and out for photos without
 * a face. The hook for people clustering: the report gains its `clustering`
 * section as soon as a caller passes one.
 */
export type ClusterFn = (embeddings: readonly (Float32Array | null)[]) => Promise<(string | number | null)[]>;

export interface EvaluateOptions {
  /** The same-person threshold under test (cosine distance). */
  threshold: number;
  /** Called after each photo, for progress on stderr. */
  onProgress?: (done: number, total: number, photo: PhotoOutcome) => void;
  cluster?: ClusterFn;
}

/** How one photo went. */
export interface PhotoOutcome {
  file: string;
  faces: number;
  /** Detector score of the main face, if any. */
  score: number | null;
  /** Set when the photo could not be decoded: it counts as a photo without a face. */
  error?: string;
}

export interface EvalReport {
  detection: {
    photos: number;
    photosWithoutFace: number;
    /** The photos counted in `photosWithoutFace`, with the decode error if there was one. */
    withoutFace: { file: string; error?: string }[];
    /** Faces found in all photos, main or not. */
    faces: number;
    secondsPerPhoto: number;
  };
  verification: {
    pairs: number;
    positives: number;
    threshold: number;
    accuracy: number;
    balancedAccuracy: number;
    auc: number;
    bestAccuracy: number;
    bestThreshold: number;
    tarAtFar1e2: number;
    tarAtFar1e3: number;
    /** Pairs with a photo without a face: counted as errors above. */
    unscoredPairs: number;
  };
  clustering?: ClusteringMetrics;
  /**
   * With identities for at least 4 people: the threshold the calibration method
   * of calibration.ts picks on this data, and how it carries over to held-out people.
   */
  calibration?: SplitHalfCalibration;
}

/** The face an evaluation (and a search by photo) takes as "the" face of a photo: the largest. */
export function mainFace<F extends { box: { width: number; height: number } }>(faces: readonly F[]): F | undefined {
  let best: F | undefined;
  for (const f of faces) if (!best || f.box.width * f.box.height > best.box.width * best.box.height) best = f;
  return best;
}

/**
 * Runs every photo of `dataset` through `analyzer`, one at a time (the models
 * already use the cores), and scores the pairs by the cosine distance of their
 * main faces.
 */
export async function evaluate(dataset: EvalDataset, analyzer: PhotoAnalyzer, options: EvaluateOptions): Promise<EvalReport> {
  const started = performance.now();
  const embeddings: (Float32Array | null)[] = [];
  const withoutFace: EvalReport['detection']['withoutFace'] = [];
  let faces = 0;
  for (const [i, file] of dataset.photos.entries()) {
    const outcome: PhotoOutcome = { file, faces: 0, score: null };
    let embedding: Float32Array | null = null;
    try {
      const result = await analyzer.analyze(await readFile(file));
      const main = mainFace(result.faces);
      outcome.faces = result.faces.length;
      outcome.score = main?.score ?? null;
      embedding = main?.embedding ?? null;
    } catch (err) {
      outcome.error = err instanceof Error ? err.message : String(err);
    }
    faces += outcome.faces;
    if (!embedding) withoutFace.push(outcome.error ? { file, error: outcome.error } : { file });
    embeddings.push(embedding);
    options.onProgress?.(i + 1, dataset.photos.length, outcome);
  }

  const scored: ScoredPair[] = dataset.pairs.map(({ a, b, same }) => {
    const ea = embeddings[a];
    const eb = embeddings[b];
    return { distance: ea && eb ? cosineDistance(ea, eb) : null, same };
  });
  const best = bestAccuracy(scored);
  const report: EvalReport = {
    detection: {
      photos: dataset.photos.length,
      photosWithoutFace: withoutFace.length,
      withoutFace,
      faces,
      secondsPerPhoto: (performance.now() - started) / 1000 / Math.max(1, dataset.photos.length),
    },
    verification: {
      pairs: scored.length,
      positives: scored.filter((p) => p.same).length,
      threshold: options.threshold,
      accuracy: accuracyAt(scored, options.threshold),
      balancedAccuracy: balancedAccuracyAt(scored, options.threshold),
      auc: rocAuc(scored),
      bestAccuracy: best.accuracy,
      bestThreshold: best.threshold,
      tarAtFar1e2: tarAtFar(scored, 1e-2).tar,
      tarAtFar1e3: tarAtFar(scored, 1e-3).tar,
      unscoredPairs: scored.filter((p) => p.distance === null).length,
    },
  };
  const identities = dataset.identities;
  if (identities.every((id) => id !== null) && new Set(identities).size >= 4) {
    report.calibration = splitHalfCalibration(
      dataset.pairs.map(({ a, b }, i) => ({ ...scored[i], identityA: identities[a]!, identityB: identities[b]! })),
    );
  }
  if (options.cluster && dataset.identities.every((id) => id !== null)) {
    const predicted = await options.cluster(embeddings);
    report.clustering = pairwiseClusteringMetrics(dataset.identities as string[], predicted);
  }
  return report;
}
