import { cropImage } from './alignment.js';
import { padView, rotateView, identityView, type ImageView, type QuarterTurn } from './image-transforms.js';
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
}

/** Faces found, in the coordinates of `view.image`, and the view they were found in. */
export interface LocatedFaces {
  view: ImageView;
  detections: Detection[];
  /** SSD passes run, for timings and tests. */
  passes: number;
}

/** Fraction of the longer side added on each side for the padded retry (measured best of 0.25 / 0.5 / 1). */
const PAD_FRACTION = 0.5;
/**
 * Upright faces scoring at least this are taken as the photo's orientation
 * without trying the others (96 of lfw10's 100 portraits score above it).
 */
const CONFIDENT_SCORE = 0.95;
/** Two boxes overlapping more than this (intersection over the smaller) are one face. */
const SAME_FACE_OVERLAP = 0.5;

/**
 * Finds faces so that few are missed. Upright: the whole image, tiles of it for
 * small faces, and the image on a padded canvas, merged. SSD MobileNet scores
 * a face that fills much of the frame low or not at all (3 of lfw10's 100
 * portraits below 0.3, a tight crop almost always), and the padded pass shows
 * it the same face smaller, with context. Unless an upright face scores at
 * least {@link CONFIDENT_SCORE}, and if `tryRotations` allows, the same without
 * tiles on the image turned 90, 270 and 180 degrees (photos stored sideways
 * without an EXIF tag): the orientation with the best-scoring face wins. Later
 * stages run in the returned view, where the faces are upright and every box
 * lies inside the image.
 */
export async function detectFaces(engine: FaceEngine, image: RgbImage, options: FaceDetectorOptions): Promise<LocatedFaces> {
  let passes = 0;
  const detectIn = async (view: ImageView, regions: Box[]): Promise<Detection[]> => {
    const found: Detection[] = [];
    for (const region of regions) {
      const whole = region.width === view.image.width && region.height === view.image.height;
      const input = whole ? view.image : cropImage(view.image, region);
      passes++;
      for (const d of await engine.detect(input, { minScore: options.minScore, maxFaces: options.maxFaces })) {
        if (!whole && touchesCut(d.box, region, view.image)) continue;
        found.push({ box: { ...d.box, x: d.box.x + region.x, y: d.box.y + region.y }, score: d.score });
      }
    }
    return found;
  };

  const inOrientation = async (rotation: QuarterTurn): Promise<Omit<LocatedFaces, 'passes'> | undefined> => {
    const view = rotateView(image, rotation);
    const padded = padView(view, PAD_FRACTION);
    const regions = rotation === 0 ? tileRegions(view.image, options.tileSize) : [wholeImage(view.image)];
    // Everything in padded-canvas coordinates, where a face cut by the photo's edge still fits.
    const shift = (d: Detection): Detection => ({ ...d, box: { ...d.box, x: d.box.x + padded.padding, y: d.box.y + padded.padding } });
    const found = [
      ...(await detectIn(view, regions)).map(shift),
      ...(await detectIn(padded, [wholeImage(padded.image)])),
    ];
    const detections = mergeDetections(found)
      .filter((d) => Math.min(d.box.width, d.box.height) >= options.minFaceSize)
      .slice(0, options.maxFaces);
    if (detections.length === 0) return undefined;
    if (!detections.every((d) => isInside(d.box, padded.padding, view.image))) return { view: padded, detections };
    return { view, detections: detections.map((d) => ({ ...d, box: { ...d.box, x: d.box.x - padded.padding, y: d.box.y - padded.padding } })) };
  };

  let best = await inOrientation(0);
  if (options.tryRotations && (!best || topScore(best.detections) < CONFIDENT_SCORE)) {
    // SSD also finds faces lying sideways or upside down, at lower scores (measured on lfw10: 0.26-0.91
    // against 0.99-1.00 for the same face upright), so the orientation with the best face wins.
    for (const rotation of [90, 270, 180] as const) {
      const candidate = await inOrientation(rotation);
      if (candidate && (!best || topScore(candidate.detections) > topScore(best.detections))) best = candidate;
    }
  }
  if (best) return { ...best, passes };
  return { view: identityView(image), detections: [], passes };
}

function topScore(detections: readonly Detection[]): number {
  return Math.max(...detections.map((d) => d.score));
}

function isInside(box: Box, offset: number, image: { width: number; height: number }): boolean {
  return box.x >= offset && box.y >= offset && box.x + box.width <= offset + image.width && box.y + box.height <= offset + image.height;
}

function wholeImage(image: { width: number; height: number }): Box {
  return { x: 0, y: 0, width: image.width, height: image.height };
}

/**
 * The whole image, then overlapping square-ish tiles of at most `tile` pixels
 * when the image is larger. Neighbouring tiles overlap by an eighth of a tile,
 * so every face up to that size lies wholly inside some tile; larger faces are
 * the whole-image pass's job.
 */
export function tileRegions(image: { width: number; height: number }, tile: number): Box[] {
  const regions = [wholeImage(image)];
  if (tile <= 0 || Math.max(image.width, image.height) <= tile) return regions;
  const overlap = Math.round(tile / 8);
  const starts = (length: number): number[] => {
    if (length <= tile) return [0];
    const count = Math.ceil((length - overlap) / (tile - overlap));
    const step = (length - tile) / (count - 1);
    return Array.from({ length: count }, (_, i) => Math.round(i * step));
  };
  for (const y of starts(image.height)) {
    for (const x of starts(image.width)) {
      regions.push({ x, y, width: Math.min(tile, image.width - x), height: Math.min(tile, image.height - y) });
    }
  }
  return regions;
}

/** A face cut by a tile's inner edge is only part of a face: the neighbouring tile or the whole pass sees it all. */
function touchesCut(box: Box, region: Box, image: RgbImage): boolean {
  const margin = 2;
  return (
    (region.x > 0 && box.x <= margin) ||
    (region.y > 0 && box.y <= margin) ||
    (region.x + region.width < image.width && box.x + box.width >= region.width - margin) ||
    (region.y + region.height < image.height && box.y + box.height >= region.height - margin)
  );
}

/**
 * Non-maximum suppression across passes, best score first. Overlap is
 * measured against the smaller box, so that a face found whole in one pass
 * and a little larger or smaller in another counts once.
 */
export function mergeDetections(detections: readonly Detection[]): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    if (!kept.some((k) => overlapOfSmaller(k.box, d.box) > SAME_FACE_OVERLAP)) kept.push(d);
  }
  return kept;
}

function overlapOfSmaller(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}
