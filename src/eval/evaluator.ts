import { readFile } from 'node:fs/promises';
import { mainFace, type FaceSource } from '../vision/face-check.js';
import { isPoorQuality } from '../vision/face-quality.js';
import type { Box } from '../vision/types.js';
import { cosineDistance } from '../vision/vector-math.js';
import { pairwiseClusteringMetrics, type ClusteringMetrics } from './clustering-metrics.js';
import type { EvalDataset } from './eval-dataset.js';
import { splitHalfCalibration, type SplitHalfCalibration } from './threshold-calibration.js';
import { accuracyAt, balancedAccuracyAt, bestAccuracy, rocAuc, tarAtFar, type ScoredPair } from './verification-metrics.js';

/** A face as the evaluation reads it (the pipeline's AnalyzedFace, vision/face-encoding.ts, has all of this). */
export interface EvalFace {
  box: Box;
  score: number;
  source?: FaceSource;
  embedding: Float32Array;
  /** The face's quality where the analyzer measures it (facegraph's pipeline does; plain face-api does not). */
  quality?: number;
  /** P(male) from the age/gender net where the analyzer measures it (facegraph's pipeline). */
  maleProbability?: number;
}

/** What the evaluation needs from the pipeline: the very `analyze` that ingestion calls. */
export interface PhotoAnalyzer {
  analyze(bytes: Uint8Array): Promise<AnalyzerResult>;
}

/**
 * What one photo gave: its faces and, when the analyzer says, the SSD passes it
 * took and whether an int8 detector's boxes were set aside for float32's (FacePipeline does).
 */
export interface AnalyzerResult {
  faces: EvalFace[];
  detectorPasses?: number;
  redetected?: boolean;
}

/**
 * Groups main-face embeddings into people; `null` in and out for photos without
 * a face. The hook for people clustering: the report gains its `clustering`
 * section as soon as a caller passes one.
 */
export type ClusterFn = (
  embeddings: readonly (Float32Array | null)[],
  qualities: readonly (number | undefined)[],
) => Promise<(string | number | null)[]>;

export interface EvaluateOptions {
  /** The same-person threshold under test (cosine distance). */
  threshold: number;
  /** Called after each photo, for progress on stderr. */
  onProgress?: (done: number, total: number, photo: PhotoOutcome) => void;
  cluster?: ClusterFn;
  /** How far apart two embeddings are (default cosine distance; plain face-api's baseline is euclidean). */
  distance?: (a: Float32Array, b: Float32Array) => number;
  /** Add the split-half `calibration` section where the set allows (default true). */
  calibrate?: boolean;
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
    /** Mean SSD passes a photo, when the analyzer reports them: deterministic, unlike the seconds. */
    detectorPassesPerPhoto?: number;
    /** Photos with detector passes run again in float32 because the int8 detector's boxes left the face check in doubt. */
    redetectedPhotos?: number;
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

/**
 * Runs every photo of `dataset` through `analyzer`, one at a time (the models
 * already use the cores), and scores the pairs by the cosine distance of their
 * main faces.
 */
export async function evaluate(dataset: EvalDataset, analyzer: PhotoAnalyzer, options: EvaluateOptions): Promise<EvalReport> {
  return (await evaluateSet(dataset, analyzer, options)).report;
}

/** {@link evaluate}, with the scored pairs too (for choosing thresholds across sets). */
export async function evaluateSet(
  dataset: EvalDataset,
  analyzer: PhotoAnalyzer,
  options: EvaluateOptions,
): Promise<{ report: EvalReport; pairs: ScoredPair[] }> {
  const started = performance.now();
  const embeddings: (Float32Array | null)[] = [];
  const qualities: (number | undefined)[] = [];
  const withoutFace: EvalReport['detection']['withoutFace'] = [];
  let faces = 0;
  const passes = new PassCounter();
  for (const [i, file] of dataset.photos.entries()) {
    const analyzed = passes.add(await analyzeFile(file, analyzer));
    const main = mainFace(analyzed.faces);
    const outcome: PhotoOutcome = summary(file, analyzed);
    const embedding = main?.embedding ?? null;
    faces += outcome.faces;
    if (!embedding) withoutFace.push(outcome.error ? { file, error: outcome.error } : { file });
    embeddings.push(embedding);
    qualities.push(main?.quality);
    options.onProgress?.(i + 1, dataset.photos.length, outcome);
  }

  const distance = options.distance ?? cosineDistance;
  const scored: ScoredPair[] = dataset.pairs.map(({ a, b, same }) => {
    const ea = embeddings[a];
    const eb = embeddings[b];
    return { distance: ea && eb ? distance(ea, eb) : null, same };
  });
  const best = bestAccuracy(scored);
  const report: EvalReport = {
    detection: {
      photos: dataset.photos.length,
      photosWithoutFace: withoutFace.length,
      withoutFace,
      faces,
      secondsPerPhoto: (performance.now() - started) / 1000 / Math.max(1, dataset.photos.length),
      ...passes.perPhoto(),
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
  if ((options.calibrate ?? true) && identities.every((id) => id !== null) && new Set(identities).size >= 4) {
    report.calibration = splitHalfCalibration(
      dataset.pairs.map(({ a, b }, i) => ({ ...scored[i], identityA: identities[a]!, identityB: identities[b]! })),
    );
  }
  if (options.cluster && dataset.identities.every((id) => id !== null)) {
    const predicted = await options.cluster(embeddings, qualities);
    report.clustering = pairwiseClusteringMetrics(dataset.identities as string[], predicted);
  }
  return { report, pairs: scored };
}

/** Photos of no human face (`--noface`): every face found there is a false face. */
export interface NoFaceReport {
  noFacePhotos: number;
  falseFaces: number;
  detectorPassesPerPhoto?: number;
  redetectedPhotos?: number;
  /** The photos in which a face was found, and how many. */
  withFalseFaces: { file: string; faces: number }[];
}

export async function evaluateNoFace(
  photos: readonly string[],
  analyzer: PhotoAnalyzer,
  onProgress?: EvaluateOptions['onProgress'],
): Promise<NoFaceReport> {
  const report: NoFaceReport = { noFacePhotos: photos.length, falseFaces: 0, withFalseFaces: [] };
  const passes = new PassCounter();
  for (const [i, file] of photos.entries()) {
    const outcome = passes.add(await analyzeFile(file, analyzer));
    report.falseFaces += outcome.faces.length;
    if (outcome.faces.length > 0) report.withFalseFaces.push({ file, faces: outcome.faces.length });
    onProgress?.(i + 1, photos.length, summary(file, outcome));
  }
  return { ...report, ...passes.perPhoto() };
}

/**
 * Group photos (`--groups`): each shows several different people, so every two
 * faces of one photo are a known different-person pair (the only pairs). The
 * report says how many faces each photo gave, and how many of those pairs the
 * threshold wrongly calls the same person.
 */
export interface GroupReport {
  detection: {
    photos: number;
    faces: number;
    perPhoto: { file: string; faces: number }[];
    detectorPassesPerPhoto?: number;
    redetectedPhotos?: number;
    /** Faces found that are poor, where the analyzer measures quality. */
    poorFaces?: number;
  };
  verification: { pairs: number; threshold: number; accuracy: number; falseAccepts: number };
}

export async function evaluateGroups(
  photos: readonly string[],
  analyzer: PhotoAnalyzer,
  options: EvaluateOptions,
): Promise<{ report: GroupReport; pairs: ScoredPair[] }> {
  const perPhoto: GroupReport['detection']['perPhoto'] = [];
  const pairs: ScoredPair[] = [];
  const passes = new PassCounter();
  const distance = options.distance ?? cosineDistance;
  let poorFaces = 0;
  for (const [i, file] of photos.entries()) {
    const outcome = passes.add(await analyzeFile(file, analyzer));
    perPhoto.push({ file, faces: outcome.faces.length });
    poorFaces += outcome.faces.filter(isPoor).length;
    outcome.faces.forEach((a, j) => {
      for (const b of outcome.faces.slice(j + 1)) {
        pairs.push({ distance: distance(a.embedding, b.embedding), same: false, poor: isPoor(a) || isPoor(b) });
      }
    });
    options.onProgress?.(i + 1, photos.length, summary(file, outcome));
  }
  // A folder of one-face photos (tight crops) has no pairs, and so no accuracy.
  const accuracy = pairs.length > 0 ? accuracyAt(pairs, options.threshold) : Number.NaN;
  return {
    report: {
      detection: { photos: photos.length, faces: perPhoto.reduce((n, p) => n + p.faces, 0), perPhoto, poorFaces, ...passes.perPhoto() },
      verification: {
        pairs: pairs.length,
        threshold: options.threshold,
        accuracy,
        falseAccepts: pairs.length > 0 ? Math.round((1 - accuracy) * pairs.length) : 0,
      },
    },
    pairs,
  };
}

function isPoor(face: EvalFace): boolean {
  return isPoorQuality(face.quality);
}

/** Sums the SSD passes and re-detections of a set's photos; a photo that failed to decode counts as one of 0 passes. */
class PassCounter {
  private photos = 0;
  private passes = 0;
  private redetected = 0;
  private reported = false;

  add<T extends { detectorPasses?: number; redetected?: boolean }>(outcome: T): T {
    this.photos++;
    if (outcome.detectorPasses !== undefined) {
      this.passes += outcome.detectorPasses;
      this.reported = true;
    }
    if (outcome.redetected) this.redetected++;
    return outcome;
  }

  perPhoto(): { detectorPassesPerPhoto?: number; redetectedPhotos?: number } {
    return this.reported ? { detectorPassesPerPhoto: this.passes / this.photos, redetectedPhotos: this.redetected } : {};
  }
}

async function analyzeFile(
  file: string,
  analyzer: PhotoAnalyzer,
): Promise<{ faces: EvalFace[]; detectorPasses?: number; redetected?: boolean; error?: string }> {
  try {
    const { faces, detectorPasses, redetected } = await analyzer.analyze(await readFile(file));
    return detectorPasses === undefined ? { faces } : { faces, detectorPasses, redetected: redetected ?? false };
  } catch (err) {
    return { faces: [], error: err instanceof Error ? err.message : String(err) };
  }
}

function summary(file: string, outcome: { faces: EvalFace[]; error?: string }): PhotoOutcome {
  return {
    file,
    faces: outcome.faces.length,
    score: mainFace(outcome.faces)?.score ?? null,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}
