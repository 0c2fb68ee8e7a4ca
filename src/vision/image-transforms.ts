import { FramedImage } from './framed-image.js';
import type { Box, Point, RgbImage } from './types.js';

/** Clockwise quarter turns the detector may try on a photo stored sideways or upside down. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/**
 * A derived image (rotated and/or padded) and the way back: `toSource` maps a
 * point of the derived image to the image it was made from. Every stage after
 * detection runs in the view, where the face is upright, and only its results
 * are mapped back, so that boxes and landmarks are always reported in the
 * stored photo's coordinates.
 */
export interface ImageView {
  image: RgbImage;
  rotation: QuarterTurn;
  /** Pixels of canvas added on each side (0 when not padded). */
  padding: number;
  toSource(p: Point): Point;
}

/** The photo itself. */
export function identityView(image: RgbImage): ImageView {
  return { image, rotation: 0, padding: 0, toSource: (p) => ({ x: p.x, y: p.y }) };
}

/**
 * Rotates clockwise by a quarter turn. Coordinates are continuous (pixel i
 * covers [i, i + 1)), so the mapping is exact both ways.
 */
export function rotateView(source: RgbImage, rotation: QuarterTurn): ImageView {
  if (rotation === 0) return identityView(source);
  const { width: w, height: h, data } = source;
  const swap = rotation !== 180;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(W * H * 3);
  // toSource for a continuous point; pixel centres map to pixel centres.
  const toSource = (p: Point): Point => {
    switch (rotation) {
      case 90:
        return { x: p.y, y: h - p.x };
      case 180:
        return { x: w - p.x, y: h - p.y };
      case 270:
        return { x: w - p.y, y: p.x };
    }
  };
  // Each view pixel is the source pixel its centre maps to; along a view row that moves by a fixed step, so
  // only each row's first pixel is mapped (mapping every pixel was 2-3x slower: docs/benchmarks.md).
  const step = (rotation === 90 ? -w : rotation === 180 ? -1 : w) * 3;
  for (let y = 0; y < H; y++) {
    const s = toSource({ x: 0.5, y: y + 0.5 });
    let i = (Math.floor(s.y) * w + Math.floor(s.x)) * 3;
    for (let o = y * W * 3, end = o + W * 3; o < end; o += 3, i += step) {
      out[o] = data[i];
      out[o + 1] = data[i + 1];
      out[o + 2] = data[i + 2];
    }
  }
  return { image: { data: out, width: W, height: H }, rotation, padding: 0, toSource };
}

/**
 * Puts `view`'s image in the middle of a larger canvas filled with its mean
 * colour, `fraction` of its longer side on every side. SSD MobileNet misses
 * faces that fill the frame (avatars, passport photos, faces cut from a group
 * shot): with context around them they are found again. A flat mean colour
 * adds no edges, and unlike mirrored padding it cannot create a second face.
 *
 * The canvas is a {@link FramedImage}: the ONNX engine reads it in place, and
 * only other readers build it (docs/benchmarks.md, Earlier speed decisions).
 */
export function padView(view: ImageView, fraction: number): ImageView {
  const src = view.image;
  const p = Math.round(Math.max(src.width, src.height) * fraction);
  return {
    image: new FramedImage(src, p, p, src.width + 2 * p, src.height + 2 * p, meanColour(src)),
    rotation: view.rotation,
    padding: view.padding + p,
    toSource: (q) => view.toSource({ x: q.x - p, y: q.y - p }),
  };
}

/** The image's mean colour, each channel rounded to an integer. */
export function meanColour(image: RgbImage): [number, number, number] {
  const [r, g, b] = channelSums(image.data);
  const pixels = Math.max(1, image.width * image.height);
  return [Math.round(r / pixels), Math.round(g / pixels), Math.round(b / pixels)];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Groups of four pixels summed before the 16-bit lanes are read out: 256 * 255 fits in a lane. */
const GROUPS_PER_FLUSH = 256;

/**
 * The sums of the red, green and blue bytes of RGB pixels. Four pixels are
 * three 32-bit words, r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3 (low byte
 * first); a word masked with 0x00ff00ff holds its bytes 0 and 2 in two 16-bit
 * lanes, and shifted right by 8 first, bytes 1 and 3, so one addition sums two
 * bytes. Integer sums, so exact in any order, and faster than a byte at a time,
 * which every padded canvas pays (docs/benchmarks.md, Earlier speed decisions).
 */
export function channelSums(data: Uint8Array): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  const groups = LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? Math.floor(data.length / 12) : 0;
  const words = groups > 0 ? new Uint32Array(data.buffer, data.byteOffset, groups * 3) : new Uint32Array(0);
  for (let k = 0; k < words.length; ) {
    // Even (bytes 0, 2) and odd (bytes 1, 3) lanes of the group's three words.
    let e0 = 0;
    let o0 = 0;
    let e1 = 0;
    let o1 = 0;
    let e2 = 0;
    let o2 = 0;
    for (const end = Math.min(words.length, k + 3 * GROUPS_PER_FLUSH); k < end; k += 3) {
      const w0 = words[k];
      const w1 = words[k + 1];
      const w2 = words[k + 2];
      e0 += w0 & 0xff00ff;
      o0 += (w0 >>> 8) & 0xff00ff;
      e1 += w1 & 0xff00ff;
      o1 += (w1 >>> 8) & 0xff00ff;
      e2 += w2 & 0xff00ff;
      o2 += (w2 >>> 8) & 0xff00ff;
    }
    // Low lane: & 0xffff, high lane: >>> 16 (the sums may pass 2^31, never 2^32).
    r += (e0 & 0xffff) + (o0 >>> 16) + (e1 >>> 16) + (o2 & 0xffff);
    g += (o0 & 0xffff) + (e1 & 0xffff) + (o1 >>> 16) + (e2 >>> 16);
    b += (e0 >>> 16) + (o1 & 0xffff) + (e2 & 0xffff) + (o2 >>> 16);
  }
  // The last pixels, and everything when the words cannot be read directly.
  for (let i = groups * 12; i < data.length; i += 3) {
    r += data[i];
    g += data[i + 1];
    b += data[i + 2];
  }
  return [r, g, b];
}

/** The axis-aligned box, in source coordinates, around a box of the view. */
export function boxToSource(view: ImageView, box: Box): Box {
  const a = view.toSource({ x: box.x, y: box.y });
  const b = view.toSource({ x: box.x + box.width, y: box.y + box.height });
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

/** The part of `box` inside `image` (an empty box where they do not meet). */
export function clampBox(box: Box, image: RgbImage): Box {
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  return {
    x,
    y,
    width: Math.max(0, Math.min(box.x + box.width, image.width) - x),
    height: Math.max(0, Math.min(box.y + box.height, image.height) - y),
  };
}

/** `box` scaled by `scale` (between a working copy's pixels and the original's). */
export function scaleBox(box: Box, scale: number): Box {
  return { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale };
}
