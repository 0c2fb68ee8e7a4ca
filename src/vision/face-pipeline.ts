import { FACE_CHIP_PADDINGS } from './alignment.js';
import { checkFace, isDoubtful, wantsFloat32Box, type FaceCheck, type FaceSource } from './face-check.js';
import {
  detectFaces,
  largestDetectorInputs,
  overlapOfSmaller,
  redetectPasses,
  SAME_FACE_OVERLAP,
  type DetectorInput,
  type FaceDetectorOptions,
  type LocatedFaces,
} from './face-detector.js';
import { nearDecisionBound } from './int8-decision-band.js';
import { encodeFaces, type AnalyzedFace, type FoundFace } from './face-encoding.js';
import { renderForBrowser } from './browser-rendition.js';
import { decodePhoto, type DecodeLimits, type DecodedPhoto } from './image-decoder.js';
import { clampBox, identityView, padView, scaleBox, type ImageView, type QuarterTurn } from './image-transforms.js';
import { averagedLandmarks, nudgedDisagreement, type LandmarkFit } from './landmark-averaging.js';
import type { Box, Detection, FaceEngine, RgbImage } from './types.js';
import { detectAroundLandmarks } from './second-opinion.js';

export interface AnalyzedPhoto {
  width: number;
  height: number;
  format: string;
  faces: AnalyzedFace[];
  /**
   * Clockwise quarter turn under which the faces were found: 0 for an upright
   * photo, else the photo is stored sideways (boxes are still in its own coordinates).
   */
  rotation: QuarterTurn;
  /** Detector boxes dropped because they failed the face check (see face-check.ts). */
  rejected: number;
  /** SSD passes the detector ran (see face-detector.ts): the dominant cost of a photo. */
  detectorPasses: number;
  /**
   * Whether an int8 detector's boxes left the face check in doubt, so that the
   * passes that found them ran again in float32 (counted in `detectorPasses`).
   */
  redetected: boolean;
  /** Milliseconds spent in each stage, for benchmarks and metrics. */
  timings: StageTimings;
}

export interface StageTimings {
  decode: number;
  detect: number;
  landmarks: number;
  encode: number;
}

export interface PipelineOptions extends DecodeLimits {
  minScore: number;
  maxFaces: number;
  /** Faces whose box is smaller than this (shorter side, original pixels) are dropped. */
  minFaceSize: number;
  /** Tile side for small faces, in working-copy pixels (0: whole photo only). See `FaceDetectorOptions.tileSize`. */
  detectTileSize?: number;
  /** Try 90/270/180-degree turns when nothing is found upright (default true). */
  detectRotations?: boolean;
  /** The SSD's input: `fit` (default) or `face-api`. See `FaceDetectorOptions.input`. */
  detectInput?: DetectorInput;
  /**
   * Check every detector box with vision/face-check.ts and, when the detector
   * keeps no face, take the whole image as the face if the check says it is
   * one: a tight face crop (default true).
   */
  faceCheck?: boolean;
}

/**
 * Batches the warm-up prepares the landmark and recognition nets for, from the
 * demo set's group photos: 3-5 faces a photo (three chips each), and 12 boxes
 * when the face check takes a second look at two doubtful boxes (six nudged
 * copies each). A larger batch grows the buffers once, on its photo.
 */
const WARM_UP_LANDMARK_BOXES = 12;
const WARM_UP_FACES = 6;

/**
 * decode -> detect -> landmarks -> align -> embed -> normalise. The one path
 * every photo takes, for ingestion, search-by-photo and evaluation alike.
 */
export class FacePipeline {
  /** Identifies the networks and preprocessing; stored with every face so a model change can re-encode. */
  readonly modelId = 'face-api-1.7.15/ssd-mobilenetv1+landmark68+resnet128/dlib-chip150-p0.22+0.25+0.28/lm-mirror-avg';

  constructor(
    readonly engine: FaceEngine,
    readonly options: PipelineOptions,
  ) {}

  /**
   * Loads the engine's networks and warms them up ({@link FaceEngine.warmUp})
   * for the largest inputs this pipeline gives them: a server or an analysis
   * thread calls it before its first photo; without it, networks load on first use.
   */
  async load(): Promise<void> {
    await this.engine.load();
    const detector = largestDetectorInputs(this.engine, {
      input: this.options.detectInput ?? 'fit',
      tileSize: this.options.detectTileSize ?? 0,
    });
    await this.engine.warmUp?.({
      detector,
      landmarks: WARM_UP_LANDMARK_BOXES,
      recognition: WARM_UP_FACES * FACE_CHIP_PADDINGS.length,
      gender: WARM_UP_FACES,
    });
  }

  /** A JPEG of the photo for browsers, from the same decode as analysis (see vision/browser-rendition.ts). */
  renderForBrowser(bytes: Uint8Array): Promise<Uint8Array> {
    return renderForBrowser(bytes, this.options);
  }

  async analyze(bytes: Uint8Array): Promise<AnalyzedPhoto> {
    const t = performance.now();
    const photo = await decodePhoto(bytes, this.options);
    const decode = performance.now() - t;
    const result = await this.analyzeDecoded(photo);
    result.timings.decode = decode;
    return result;
  }

  /**
   * The face inside a box a user drew (original-photo pixels of the upright
   * photo): the same landmarks, face chips and embedding as a detected face
   * (so the same model id), and the landmark check's verdict on it, for the
   * caller to act on. The box is taken as the photo shows it, upright: no
   * quarter turns are tried.
   */
  async analyzeBox(bytes: Uint8Array, box: Box): Promise<BoxAnalysis> {
    const photo = await decodePhoto(bytes, this.options);
    const { image, scale } = photo;
    const inWorkingCopy = clampBox(scaleBox(box, 1 / scale), image);
    const [{ fit, check }] = await this.checkedFits(image, [{ box: inWorkingCopy }], 'manual');
    const [face] = await encodeFaces(this.engine, identityView(image), [{ box: inWorkingCopy, score: 0, source: 'manual', fit }], photo);
    return { width: photo.width, height: photo.height, face, check };
  }

  async analyzeDecoded(photo: DecodedPhoto): Promise<AnalyzedPhoto> {
    const { image, scale } = photo;
    const timings: StageTimings = { decode: 0, detect: 0, landmarks: 0, encode: 0 };
    const check = this.options.faceCheck ?? true;
    const detectOptions: FaceDetectorOptions = {
      minScore: this.options.minScore,
      maxFaces: this.options.maxFaces,
      minFaceSize: this.options.minFaceSize / scale,
      tileSize: this.options.detectTileSize ?? 0,
      tryRotations: this.options.detectRotations ?? true,
      input: this.options.detectInput ?? 'fit',
    };
    let t = performance.now();
    const first = await detectFaces(this.engine, image, detectOptions);
    timings.detect += performance.now() - t;
    // The orientations that found a face, best first: the next is checked only where none of the
    // previous one's faces passed (a face read upside down may outscore it upright, and fail the check).
    let settled = await this.settleOrientation(first, detectOptions, timings);
    let passes = first.passes + settled.passes;
    let redetected = settled.redetected;
    for (const fallback of check ? (first.fallbacks ?? []) : []) {
      if (settled.kept.length > 0) break;
      const next = await this.settleOrientation(fallback, detectOptions, timings);
      passes += next.passes;
      redetected ||= next.redetected;
      if (next.kept.length > 0) settled = next;
    }
    const { view, rejected } = settled;
    let kept = settled.kept;
    t = performance.now();
    let faceView: ImageView = view;
    if (kept.length === 0 && check) {
      const whole = wholeImageCandidate(image);
      const [fit] = await averagedLandmarks(this.engine, whole.view.image, [whole.detection.box]);
      if (checkFace(fit, whole.detection.box, 'whole-image').isFace) {
        kept = [{ ...whole.detection, source: 'whole-image', fit }];
        faceView = whole.view;
      }
    }
    timings.landmarks += performance.now() - t;

    t = performance.now();
    const faces = await encodeFaces(this.engine, faceView, kept, photo);
    timings.encode = performance.now() - t;
    return {
      width: photo.width,
      height: photo.height,
      format: photo.format,
      faces,
      // A photo where nothing was found, not even after a near miss's second look, keeps its orientation.
      rotation: faces.length === 0 && first.detections.length === 0 ? 0 : faceView.rotation,
      rejected,
      detectorPasses: passes,
      redetected,
      timings,
    };
  }

  /**
   * One orientation's detections through the face check: an int8 detector's boxes where the check
   * reads them clearly, the passes of the others run again in float32 (see wantsFloat32Box), and a box
   * of no face's shape given a second look ({@link reframe}). `passes` counts only the passes run here.
   */
  private async settleOrientation(
    located: LocatedFaces,
    detectOptions: FaceDetectorOptions,
    timings: StageTimings,
  ): Promise<{ view: ImageView; kept: FoundFace[]; rejected: number; passes: number; redetected: boolean }> {
    const check = this.options.faceCheck ?? true;
    const known = new Map<Detection, LandmarkFit>();
    let fits = await this.landmarksOf(located, known, timings);
    let passes = 0;
    // An int8 detector's boxes are taken where the check reads them clearly and passes them. A pass whose
    // box it reads doubtful or rejects runs again in float32, and the check decides on face-api's own box;
    // until no such box comes from an int8 pass (a float32 box may win the merge where int8's lost it,
    // and the reverse). Boxes that stay keep their landmarks.
    let redetected = false;
    // Likewise a box, or a near miss, within the int8 error band of the score or size bound: float32
    // decides whether it is a face, never int8 rounding (int8-decision-band.ts nearDecisionBound).
    while (this.engine.approximateDetector) {
      const { detections, search } = located;
      const redo = [
        ...detections.filter(
          (d, i) =>
            ((check && (wantsFloat32Box(fits[i]) || !checkFace(fits[i], d.box, 'detector').isFace)) ||
              nearDecisionBound(located, d, detectOptions)) &&
            !search.float32Passes.has(d.pass),
        ),
        ...search.nearMisses,
      ];
      if (redo.length === 0) break;
      const t = performance.now();
      located = await redetectPasses(this.engine, located, redo, detectOptions);
      timings.detect += performance.now() - t;
      fits = await this.landmarksOf(located, known, timings);
      passes += located.passes;
      redetected = true;
    }
    const { view, detections } = located;
    const t = performance.now();
    const checks: FaceCheck[] = check
      ? await this.judge(view.image, detections, fits, 'detector')
      : detections.map(() => ({ isFace: true }));
    const kept: FoundFace[] = detections.flatMap((d, i) =>
      checks[i].isFace ? [{ box: d.box, score: d.score, source: 'detector' as const, fit: fits[i] }] : [],
    );
    let rejected = detections.length - kept.length;
    for (const [i, c] of checks.entries()) {
      if (c.rejection !== 'box-shape') continue;
      const reframed = await this.reframe(view.image, fits[i], detectOptions);
      passes++;
      if (reframed && !kept.some((k) => overlapOfSmaller(k.box, reframed.box) > SAME_FACE_OVERLAP)) {
        kept.push(reframed);
        rejected--;
      }
    }
    timings.landmarks += performance.now() - t;
    return { view, kept, rejected, passes, redetected };
  }

  /**
   * A second opinion on a box the check rejects for its shape (a selfie's face cut by the frame, a
   * box stretched over a neck or hair, or an upper body): the detector, in float32, on a crop around
   * what the landmarks read. The face is kept, in that detection's box, only if the detector finds a
   * face there, around the landmarks, that is not a face already kept, and whose landmarks pass the
   * rest of the check in the new box; its shape is then the detector's word, not a bound.
   */
  private async reframe(image: RgbImage, fit: LandmarkFit, detectOptions: FaceDetectorOptions): Promise<FoundFace | undefined> {
    const candidate = await detectAroundLandmarks(this.engine, image, fit.points, detectOptions);
    if (!candidate) return undefined;
    const [again] = await averagedLandmarks(this.engine, image, [candidate.box]);
    const [check] = await this.judge(image, [candidate], [again], 'detector', true);
    return check.isFace ? { ...candidate, source: 'detector', fit: again } : undefined;
  }

  /** Landmarks of each detected box, taken from `known` where a box was read before, timed into `timings`. */
  private async landmarksOf(located: LocatedFaces, known: Map<Detection, LandmarkFit>, timings: StageTimings): Promise<LandmarkFit[]> {
    const t = performance.now();
    const unread = located.detections.filter((d) => !known.has(d));
    const fits = await averagedLandmarks(
      this.engine,
      located.view.image,
      unread.map((d) => d.box),
    );
    unread.forEach((d, i) => known.set(d, fits[i]));
    timings.landmarks += performance.now() - t;
    return located.detections.map((d) => known.get(d)!);
  }

  /** Landmarks of each box and the face check's verdict on it. */
  private async checkedFits(
    image: RgbImage,
    candidates: { box: Box; score?: number }[],
    source: FaceSource,
  ): Promise<{ fit: LandmarkFit; check: FaceCheck }[]> {
    const fits = await averagedLandmarks(
      this.engine,
      image,
      candidates.map((c) => c.box),
    );
    const checks = await this.judge(image, candidates, fits, source);
    return fits.map((fit, i) => ({ fit, check: checks[i] }));
  }

  /** The face check's verdict on each box, with a second look (nudged boxes) where one reading is doubtful. */
  private async judge(
    image: RgbImage,
    candidates: { box: Box; score?: number }[],
    fits: LandmarkFit[],
    source: FaceSource,
    shapeVouched = false,
  ): Promise<FaceCheck[]> {
    const boxes = candidates.map((c) => c.box);
    const doubtful = fits.flatMap((fit, i) => (isDoubtful(fit, source) ? [i] : []));
    const nudged = await nudgedDisagreement(
      this.engine,
      image,
      doubtful.map((i) => boxes[i]),
      doubtful.map((i) => fits[i]),
    );
    return fits.map((fit, i) => {
      const k = doubtful.indexOf(i);
      return checkFace(fit, boxes[i], source, k < 0 ? undefined : nudged[k], candidates[i].score, shapeVouched);
    });
  }
}

/** The face a user's box holds, and whether the landmark check believes it is one. */
export interface BoxAnalysis {
  width: number;
  height: number;
  face: AnalyzedFace;
  check: FaceCheck;
}

/** Canvas added around a whole image taken as a face, in its longer side (as the detector's padded pass). */
const WHOLE_IMAGE_PADDING = 0.25;
/** The box the landmark net reads around such an image: the image grown by this fraction of its size on every side. */
const WHOLE_IMAGE_GROWTH = 0.1;

/**
 * The whole image as a face box, the way the landmark net was trained to see
 * a face: a tight crop cuts off the forehead and chin that a detector's box
 * holds, so the image is put on a mean-colour canvas and the box grown by a
 * tenth on each side (docs/quality.md, Whole-image fallback).
 */
function wholeImageCandidate(image: RgbImage): { view: ImageView; detection: Detection } {
  const view = padView(identityView(image), WHOLE_IMAGE_PADDING);
  const box = {
    x: view.padding - WHOLE_IMAGE_GROWTH * image.width,
    y: view.padding - WHOLE_IMAGE_GROWTH * image.height,
    width: image.width * (1 + 2 * WHOLE_IMAGE_GROWTH),
    height: image.height * (1 + 2 * WHOLE_IMAGE_GROWTH),
  };
  return { view, detection: { box, score: 0 } };
}
