import { cropImage } from './alignment.js';
import { padView, rotateView, identityView, type ImageView, type QuarterTurn } from './image-transforms.js';
import { CONFIDENT_SCORE, HINT_SCORE, planExtraPasses } from './detector-pass-policy.js';
import {
  atOwnScale,
  contains,
  detectorInputSize,
  fineInput,
  LARGEST_STRIP_INPUT,
  SSD_INPUT,
  stripRegions,
  touchesCut,
  wholeImage,
  windowAround,
} from './detector-regions.js';
import { bandEdge, nearScoreBound, nearSizeBound } from './int8-decision-band.js';
import type { Box, Detection, FaceEngine, RgbImage } from './types.js';

export interface FaceDetectorOptions {
  /** Detections below this score are dropped, in every pass. */
  minScore: number;
  /** At most this many faces per photo, best first. */
  maxFaces: number;
  /** Shorter side, in pixels of the image given to {@link detectFaces}, below which a face is dropped. */
  minFaceSize: number;
  /**
   * Side of the overlapping tiles an image larger than this is also searched
   * in (0: whole image only). The SSD sees every input at 512 x 512, so a
   * 1920-px photo shrinks 3.75 times and its 40-px faces vanish; a tile of
   * 768 px shrinks them only 1.5 times (SSD still finds ~24-px faces).
   */
  tileSize: number;
  /** Unless an upright face is confidently found, also try the photo turned 90, 270 and 180 degrees. */
  tryRotations: boolean;
  /**
   * What the SSD's input is, where the engine can run it at any size
   * (`FaceEngine.scalableDetector`; elsewhere always `face-api`):
   * - `fit` (default): it fits the image: an image of at most 256 px is
   *   searched at its own scale instead of enlarged to 512
   *   ({@link detectorInputSize}), and an image larger than a tile, instead of
   *   in tiles, in strips at the tiles' scale ({@link stripRegions});
   * - `face-api`: 512 x 512 squares, and tiles, as face-api sees every input.
   */
  input?: DetectorInput;
}

export type DetectorInput = 'fit' | 'face-api';

/** Faces found, in the coordinates of `view.image`, and the view they were found in. */
export interface LocatedFaces {
  view: ImageView;
  /** Best first; `pass` says which of `search.passes` found each. */
  detections: FoundDetection[];
  /** SSD passes run, for the evaluation's `detectorPassesPerPhoto` and tests. */
  passes: number;
  /** The winning orientation's passes and what each found, for {@link redetectPasses}. */
  search: OrientationSearch;
  /**
   * The other orientations that found a face, best first: where none of the winner's faces passes
   * the face check, the next one is checked (a face read upside down can outscore it upright).
   */
  fallbacks?: LocatedFaces[];
}

/** A detection and the pass (index into {@link OrientationSearch.passes}) that found it. */
export interface FoundDetection extends Detection {
  pass: number;
}

/** One SSD pass of an orientation: a region of the upright view, or the whole padded canvas. */
interface PassSpec {
  /** The image the pass reads: the orientation's view, or the canvas around it. */
  view: ImageView;
  region: Box;
  minScore: number;
  /** Subtracted from the pass's coordinates to bring them into the orientation's view (the canvas's padding). */
  offset: number;
  /** The padded canvas of a photo searched at its own scale: searched at its own scale too, up to 512 ({@link OWN_SCALE_PAD_FRACTION}). */
  ownScaleCanvas?: boolean;
  /** The SSD input of a strip ({@link fineInput}); else a square (512, or {@link detectorInputSize} when fitting). */
  input?: { width: number; height: number };
}

/** An orientation as searched: its view, its passes, and every detection of every pass (before merging). */
interface OrientationSearch {
  view: ImageView;
  passes: PassSpec[];
  found: FoundDetection[];
  /** Passes run with the float32 detector where the engine's is int8 (see {@link redetectPasses}). */
  float32Passes: ReadonlySet<number>;
  /**
   * An int8 detector's candidates that a decision bound dropped within its error band (a score just under
   * `minScore`, a box just under `minFaceSize`): float32 decides them (`nearDecisionBound`, int8-decision-band.ts).
   */
  nearMisses: readonly FoundDetection[];
  /** Whether the passes not in `float32Passes` ran on an int8 detector. */
  approximate: boolean;
  /** The padded canvas, if a pass read it. */
  padded?: ImageView;
  /** The padding a canvas of this orientation has: {@link PAD_FRACTION} or {@link OWN_SCALE_PAD_FRACTION}. */
  padFraction: number;
}

/** Fraction of the longer side added on each side for the padded canvas (docs/quality.md, Detector passes). */
const PAD_FRACTION = 0.5;
/**
 * The same for a photo searched at its own scale ({@link atOwnScale}): its canvas is searched at its own
 * scale too, where the padding only gives a cut or frame-filling face room, so less keeps the input small (docs/quality.md, Detector passes).
 */
const OWN_SCALE_PAD_FRACTION = 0.25;
/** Two boxes overlapping more than this (intersection over the smaller) are one face. */
export const SAME_FACE_OVERLAP = 0.5;

/**
 * Finds faces so that few are missed, with as few SSD passes as that allows.
 * Each orientation starts with the whole image; what it finds decides which
 * other passes can still add a face ({@link planExtraPasses}): the image on a padded
 * canvas, for a face that fills the frame or is cut by its edge (SSD scores
 * those low or not at all, and sees them smaller, with context, on the
 * canvas), and tiles, for faces too small for the whole-image pass (with
 * `input: 'fit'`, strips at the tiles' scale instead, {@link stripRegions}). All are
 * merged. Unless an upright face scores at least {@link CONFIDENT_SCORE}, and
 * if `tryRotations` allows, the image turned 90, 270 and 180 degrees is
 * searched the same way without tiles (photos stored sideways without an EXIF
 * tag): the orientation with the best-scoring face wins. Later stages run in
 * the returned view, where the faces are upright and every box lies inside the
 * image. What the policy saves: docs/quality.md, Detector passes.
 */
export async function detectFaces(engine: FaceEngine, image: RgbImage, options: FaceDetectorOptions): Promise<LocatedFaces> {
  const counter = { passes: 0 };
  const inOrientation = async (rotation: QuarterTurn): Promise<LocatedFaces | undefined> => {
    const view = rotateView(image, rotation);
    // The whole image, down to HINT_SCORE: SSD's NMS is greedy by score, so the faces above minScore are
    // the same as at minScore, and the weaker candidates cost nothing and tell the policy where to look.
    const wholePass: PassSpec = { view, region: wholeImage(view.image), minScore: Math.min(HINT_SCORE, options.minScore), offset: 0 };
    const candidates = await runPass(engine, wholePass, 0, options, counter);
    const plan = planExtraPasses(candidates, view.image, {
      minFaceSize: options.minFaceSize,
      tileSize: rotation === 0 ? options.tileSize : 0,
    });
    const passes = [wholePass];
    const strips =
      plan.tiles.length > 0 && fits(engine, options) && engine.approximateDetector ? stripRegions(view.image, options.tileSize) : [];
    if (strips.length > 0) {
      // Strips across the whole view at the tiles' scale: the same faces in fewer pixels than tiles. Only with
      // the int8 detector: float32's memory arena for a strip's input is ~3 times int8's (docs/quality.md, Detector passes).
      for (const region of strips)
        passes.push({ view, region, minScore: options.minScore, offset: 0, input: fineInput(region, options.tileSize) });
    } else {
      passes.push(...plan.tiles.map((region) => ({ view, region, minScore: options.minScore, offset: 0 })));
    }
    // The canvas's boxes, in the view's coordinates: a face cut by the photo's edge reaches outside it.
    const ownScaleCanvas = fits(engine, options) && atOwnScale(view.image);
    const padFraction = ownScaleCanvas ? OWN_SCALE_PAD_FRACTION : PAD_FRACTION;
    const padded = plan.canvas ? padView(view, padFraction) : undefined;
    if (padded)
      passes.push({ view: padded, region: wholeImage(padded.image), minScore: options.minScore, offset: padded.padding, ownScaleCanvas });
    // An int8 detector's passes read down to the error band under minScore: a face it scores just under
    // the bound is a near miss, which float32 decides (see nearDecisionBound).
    const approximate = engine.approximateDetector === true;
    if (approximate) for (const pass of passes.slice(1)) pass.minScore = Math.min(pass.minScore, bandEdge(options.minScore, -1));
    const all = [...candidates];
    for (let i = 1; i < passes.length; i++) all.push(...(await runPass(engine, passes[i], i, options, counter)));
    const found = all.filter((d) => d.score > options.minScore);
    // A near miss on a face found above the bound (the same face, in another pass) is merged into it whatever its
    // score: only one where no face was found can change the faces.
    const nearMisses = approximate
      ? all.filter(
          (d) =>
            d.score <= options.minScore &&
            nearScoreBound(d.score, options.minScore) &&
            !found.some((f) => overlapOfSmaller(f.box, d.box) > SAME_FACE_OVERLAP),
        )
      : [];
    return settle({ view, passes, found, nearMisses, approximate, float32Passes: new Set(), padded, padFraction }, options, counter.passes);
  };

  const found: LocatedFaces[] = [];
  const upright = await inOrientation(0);
  if (upright) found.push(upright);
  if (options.tryRotations && (!upright || topScore(upright.detections) < CONFIDENT_SCORE)) {
    // SSD also finds faces lying sideways or upside down, at lower scores, so the orientation with the best
    // face wins; all three turns are tried, each with the canvas rule (docs/quality.md, Detector passes).
    for (const rotation of [90, 270, 180] as const) {
      const candidate = await inOrientation(rotation);
      if (candidate) found.push(candidate);
    }
  }
  // Best face first; the sort is stable, so on a tie the earlier orientation (upright first) wins.
  const [best, ...fallbacks] = found.sort((a, b) => topScore(b.detections) - topScore(a.detections));
  if (best) return { ...best, passes: counter.passes, ...(fallbacks.length > 0 ? { fallbacks } : {}) };
  const view = identityView(image);
  return {
    view,
    detections: [],
    passes: counter.passes,
    search: { view, passes: [], found: [], nearMisses: [], approximate: false, float32Passes: new Set(), padFraction: PAD_FRACTION },
  };
}

/**
 * The faces of `located` with the boxes `doubted` looked for again by the
 * float32 detector (where the engine's is int8): the pass that found each runs
 * again, its detections replacing int8's; for a strip (2-3 times a square
 * pass) only a tile-sized window around the box runs, at the same scale, its
 * detections replacing the strip's inside it. The other
 * detections stay, and so do the orientation and the plan of passes. `passes`
 * in the result counts only the passes run here. The pipeline calls this for
 * the boxes the face check doubts.
 */
export async function redetectPasses(
  engine: FaceEngine,
  located: LocatedFaces,
  doubted: readonly FoundDetection[],
  options: FaceDetectorOptions,
): Promise<LocatedFaces> {
  const counter = { passes: 0 };
  const { view } = located.search;
  const passes = [...located.search.passes];
  const again = new Set<number>();
  const windows: { pass: number; window: number; doubted: FoundDetection }[] = [];
  for (const d of doubted) {
    if (!passes[d.pass].input) {
      again.add(d.pass);
      continue;
    }
    passes.push({ view, region: windowAround(d.box, view.image, options.tileSize), minScore: options.minScore, offset: 0 });
    windows.push({ pass: d.pass, window: passes.length - 1, doubted: d });
  }
  const replaced = (d: FoundDetection) =>
    again.has(d.pass) || windows.some((w) => w.pass === d.pass && (d === w.doubted || contains(passes[w.window].region, d.box)));
  const found = located.search.found.filter((d) => !replaced(d));
  const nearMisses = located.search.nearMisses.filter((d) => !replaced(d));
  for (const i of [...again, ...windows.map((w) => w.window)]) {
    const detections = await runPass(engine, passes[i], i, options, counter, true);
    // The whole-image pass reads candidates below minScore for the plan; only faces above it are kept.
    found.push(...detections.filter((d) => d.score > options.minScore));
  }
  const float32Passes = new Set([...located.search.float32Passes, ...again, ...windows.map((w) => w.window)]);
  const search = { ...located.search, passes, found, nearMisses, float32Passes };
  return settle(search, options, counter.passes) ?? { view: search.view, detections: [], passes: counter.passes, search };
}

/**
 * Runs one pass (`float32`: with the float32 detector, see `DetectOptions.float32`);
 * its boxes come back in the orientation's view coordinates, tagged with `index`.
 */
async function runPass(
  engine: FaceEngine,
  pass: PassSpec,
  index: number,
  options: FaceDetectorOptions,
  counter: { passes: number },
  float32 = false,
): Promise<FoundDetection[]> {
  const { view, region, offset } = pass;
  const whole = region.width === view.image.width && region.height === view.image.height;
  const input = whole ? view.image : cropImage(view.image, region);
  counter.passes++;
  const side = fits(engine, options) ? detectorInputSize(input, pass.ownScaleCanvas ? SSD_INPUT : undefined) : undefined;
  const inputSize = pass.input ?? (side === undefined ? undefined : { width: side, height: side });
  const found: FoundDetection[] = [];
  for (const d of await engine.detect(input, { minScore: pass.minScore, maxFaces: options.maxFaces, float32, inputSize })) {
    if (!whole && touchesCut(d.box, region, view.image)) continue;
    found.push({ box: { ...d.box, x: d.box.x + region.x - offset, y: d.box.y + region.y - offset }, score: d.score, pass: index });
  }
  return found;
}

/**
 * The detector inputs {@link detectFaces} can give `engine` at most: 512 x 512,
 * and with strips the largest strip ({@link FaceEngine.warmUp} prepares for them).
 */
export function largestDetectorInputs(
  engine: FaceEngine,
  options: Pick<FaceDetectorOptions, 'input' | 'tileSize'>,
): { width: number; height: number }[] {
  const square = { width: SSD_INPUT, height: SSD_INPUT };
  return options.tileSize > 0 && fits(engine, options) && engine.approximateDetector ? [LARGEST_STRIP_INPUT, square] : [square];
}

/** Whether the SSD's input fits each image (`input: 'fit'`, and an engine that can). */
function fits(engine: FaceEngine, options: Pick<FaceDetectorOptions, 'input'>): boolean {
  return engine.scalableDetector === true && (options.input ?? 'fit') === 'fit';
}

/**
 * An orientation's detections merged into faces, in the view where they all
 * fit: the upright view, or the canvas around it when a box reaches outside.
 */
function settle(searched: OrientationSearch, options: FaceDetectorOptions, passes: number): LocatedFaces | undefined {
  const { view } = searched;
  const merged = mergeDetections(searched.found);
  const side = (d: Detection) => Math.min(d.box.width, d.box.height);
  const detections = merged.filter((d) => side(d) >= options.minFaceSize).slice(0, options.maxFaces);
  // An int8 box the size bound drops within the error band of it is a near miss too.
  const tooSmall = searched.approximate
    ? merged.filter(
        (d) => !searched.float32Passes.has(d.pass) && side(d) < options.minFaceSize && nearSizeBound(side(d), options.minFaceSize),
      )
    : [];
  const search = tooSmall.length > 0 ? { ...searched, nearMisses: [...searched.nearMisses, ...tooSmall] } : searched;
  if (detections.length === 0 && search.nearMisses.length === 0) return undefined;
  if (detections.every((d) => isInside(d.box, view.image))) return { view, detections, passes, search };
  // A box reaching outside the image: later stages work on the canvas, where it fits.
  const canvas = search.padded ?? padView(view, search.padFraction);
  return {
    view: canvas,
    detections: detections.map((d) => ({ ...d, box: { ...d.box, x: d.box.x + canvas.padding, y: d.box.y + canvas.padding } })),
    passes,
    search,
  };
}

function topScore(detections: readonly Detection[]): number {
  return Math.max(...detections.map((d) => d.score));
}

function isInside(box: Box, image: { width: number; height: number }): boolean {
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= image.width && box.y + box.height <= image.height;
}

/**
 * Non-maximum suppression across passes, best score first. Overlap is
 * measured against the smaller box, so that a face found whole in one pass
 * and a little larger or smaller in another counts once.
 */
export function mergeDetections<D extends Detection>(detections: readonly D[]): D[] {
  const kept: D[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => overlapOfSmaller(k.box, d.box) > SAME_FACE_OVERLAP)) kept.push(d);
  }
  return kept;
}

export function overlapOfSmaller(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}
