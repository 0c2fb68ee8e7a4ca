import type { Box, RgbImage } from './types.js';

/**
 * The regions of an image the face detector's SSD passes read, and the input
 * shape each is read at: the whole image (at 512, or at its own scale when
 * small), tiles or strips for small faces in large photos, and the window of a
 * float32 re-check. Pure geometry; the policy of which passes run is in
 * detector-pass-policy.ts and face-detector.ts.
 */

/** Side of the square SSD MobileNet sees every input at. */
export const SSD_INPUT = 512;

/**
 * The SSD input of a strip ({@link stripRegions}): the region at the tiles'
 * scale, 512 / `tile` (SSD sees a 30-px face at 20 px, SSD_RELIABLE_FACE),
 * padded at its end to multiples of 64.
 */
export function fineInput(region: { width: number; height: number }, tile: number): { width: number; height: number } {
  const scale = SSD_INPUT / tile;
  const side = (length: number) => Math.ceil((length * scale) / INPUT_STEP) * INPUT_STEP;
  return { width: side(region.width), height: side(region.height) };
}

/**
 * Longest a strip's input may be across (its shorter side) and along: ONNX
 * Runtime keeps an arena for the largest input it has run. Along, 1280 is a
 * 1920-px working copy (`FACEGRAPH_MAX_SIDE`'s default) at 768-px tiles' scale;
 * a longer photo, or smaller tiles, are searched in tiles.
 */
const MAX_STRIP_INPUT = 512;
const MAX_STRIP_LENGTH = 1280;

/** The largest SSD input a strip has (a landscape one; a portrait one is the same turned). */
export const LARGEST_STRIP_INPUT = { width: MAX_STRIP_LENGTH, height: MAX_STRIP_INPUT } as const;

/**
 * Where tiles would run (an image larger than a tile), the image is searched
 * at the tiles' scale in strips instead (none, so tiles, where the longer side
 * would exceed {@link MAX_STRIP_LENGTH} input pixels): each spans the whole longer side and
 * as much of the shorter side as keeps its input within {@link MAX_STRIP_INPUT}
 * across, overlapping by an eighth of a tile as tiles do. Fewer pixels than
 * tiles, the same faces; the bound keeps ONNX Runtime's memory arena small
 * (docs/quality.md, Detector passes).
 */
export function stripRegions(image: { width: number; height: number }, tile: number): Box[] {
  const landscape = image.width >= image.height;
  const across = landscape ? image.height : image.width;
  if ((Math.max(image.width, image.height) * SSD_INPUT) / tile > MAX_STRIP_LENGTH) return [];
  const overlap = Math.round(tile / 8);
  const longest = Math.floor((MAX_STRIP_INPUT * tile) / SSD_INPUT);
  const count = across <= longest ? 1 : Math.ceil((across - overlap) / (longest - overlap));
  const part = Math.min(across, Math.ceil((across + (count - 1) * overlap) / count));
  const step = count > 1 ? (across - part) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => {
    const start = Math.round(i * step);
    return landscape ? { x: 0, y: start, width: image.width, height: part } : { x: start, y: 0, width: part, height: image.height };
  });
}

/** Step of the SSD input sides below 512 (the stride of its first three feature maps). */
const INPUT_STEP = 64;
/** Images up to this side are searched at their own scale; larger ones at 512 (enlarged less than twice, or shrunk). */
const NATIVE_SCALE_MAX = 256;

/**
 * The SSD input side for an image: face-api's 512, or, for an image whose
 * longer side is at most 256 px, which 512 would enlarge two times or more,
 * that side rounded up to a multiple of 64: the SSD sees its faces at about
 * their own size. The network is convolutional and its anchors keep their
 * sizes in pixels (onnx/run/ssd-anchors.ts), so it finds faces from ~20 px up
 * (SSD_RELIABLE_FACE) in a quarter of the work for a 250-px photo, and sees
 * fewer faces in textures than enlarged (docs/quality.md, Detector passes).
 */
export function detectorInputSize(image: { width: number; height: number }, ownScaleUpTo = NATIVE_SCALE_MAX): number {
  const side = Math.max(image.width, image.height);
  if (side > ownScaleUpTo) return SSD_INPUT;
  return Math.max(INPUT_STEP, Math.ceil(side / INPUT_STEP) * INPUT_STEP);
}

/** Whether {@link detectorInputSize} searches `image` at its own scale. */
export function atOwnScale(image: { width: number; height: number }): boolean {
  return Math.max(image.width, image.height) <= NATIVE_SCALE_MAX;
}

export function wholeImage(image: { width: number; height: number }): Box {
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
export function touchesCut(box: Box, region: Box, image: RgbImage): boolean {
  const margin = 2;
  return (
    (region.x > 0 && box.x <= margin) ||
    (region.y > 0 && box.y <= margin) ||
    (region.x + region.width < image.width && box.x + box.width >= region.width - margin) ||
    (region.y + region.height < image.height && box.y + box.height >= region.height - margin)
  );
}

/** A square of `side` (at least the box's longer side and a quarter) centred on `box`, inside `image`. */
export function windowAround(box: Box, image: { width: number; height: number }, side: number): Box {
  const size = Math.max(side, Math.ceil(1.25 * Math.max(box.width, box.height)));
  const width = Math.min(size, image.width);
  const height = Math.min(size, image.height);
  const clampStart = (centre: number, extent: number, limit: number) =>
    Math.round(Math.min(Math.max(0, centre - extent / 2), limit - extent));
  return {
    x: clampStart(box.x + box.width / 2, width, image.width),
    y: clampStart(box.y + box.height / 2, height, image.height),
    width,
    height,
  };
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Box, inner: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}
