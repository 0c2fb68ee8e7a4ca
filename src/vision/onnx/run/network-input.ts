import { FramedImage } from '../../framed-image.js';
import type { Box, RgbImage } from '../../types.js';
import type { NetworkSpec } from '../network-specs.js';
import { FLAT, REPEAT, ResizedRows } from './resize-rows.js';

const f32 = Math.fround;

/**
 * Writes one network input (NCHW float32, `spec.inputSize` square, or
 * `inputSize` wide and `inputHeight` high, the crop padded at its end) for the
 * integer region `crop` of `image` into `out` at `offset`, reproducing
 * face-api's `NetInput.toBatchTensor` bit for bit on tfjs' wasm backend:
 *
 * 1. `padToSquare`: zeros appended after the short side (`end`), or split with
 *    `round(diff / 2)` after and the rest before (`center`);
 * 2. `resizeBilinear(x, size, alignCorners = false, halfPixelCenters = false)`
 *    as XNNPACK computes it in float32 (source = dst * (in / out), both rounded
 *    to float32; right/bottom neighbour clamped; lerp horizontally, then
 *    vertically), skipped when the square already has the right size;
 * 3. the network's normalisation, one float32 operation at a time.
 *
 * Every intermediate is rounded to float32 (Math.fround, or a Float32Array
 * store) so the result equals tfjs' arithmetic exactly; the padded square is
 * never materialised, and each source row is interpolated horizontally once
 * (resize-rows.ts; docs/benchmarks.md, Earlier speed decisions).
 */
export function writeNetworkInput(image: RgbImage, crop: Box, spec: NetworkSpec, out: Float32Array, offset: number): void {
  const size = spec.inputSize;
  const height = spec.inputHeight ?? size;
  if (height === size && isUnscaled(image, crop, size)) {
    writeUnscaled(image, crop, spec, out, offset);
    return;
  }
  const plane = size * height;
  const { divisor, offset: bias } = spec;
  const rows = new ResizedRows(image, crop, size, spec.padding, height);
  for (let oy = 0; oy < height; oy++) {
    const kind = rows.load(oy);
    for (let c = 0; c < 3; c++) {
      const o = offset + c * plane + oy * size;
      if (kind === REPEAT) out.copyWithin(o, o - size, o);
      else if (kind === FLAT) normaliseFlat(rows.top, c * size, out, o, size, f32(spec.mean[c]), divisor, bias);
      else normaliseBlend(rows.top, rows.bottom, c * size, rows.ay, out, o, size, f32(spec.mean[c]), divisor, bias);
    }
  }
}

/**
 * The same resized square as {@link writeNetworkInput}, before normalisation,
 * as uint8 NCHW: each resized pixel value rounded half up. What the int8
 * detector takes (see DETECTOR_INPUT_QUANT): a quarter of the bytes and no
 * normalisation per value, faster than the float32 input (docs/benchmarks.md, Earlier speed decisions).
 */
export function writeNetworkInputUint8(image: RgbImage, crop: Box, spec: NetworkSpec, out: Uint8Array, offset: number): void {
  const size = spec.inputSize;
  const height = spec.inputHeight ?? size;
  if (height === size && isUnscaled(image, crop, size)) {
    copyUnscaled(image, crop, size, out, offset);
    return;
  }
  const plane = size * height;
  const rows = new ResizedRows(image, crop, size, spec.padding, height);
  for (let oy = 0; oy < height; oy++) {
    const kind = rows.load(oy);
    for (let c = 0; c < 3; c++) {
      const o = offset + c * plane + oy * size;
      if (kind === REPEAT) out.copyWithin(o, o - size, o);
      else if (kind === FLAT) roundFlat(rows.top, c * size, out, o, size);
      else roundBlend(rows.top, rows.bottom, c * size, rows.ay, out, o, size);
    }
  }
}

// One channel of one output row. Values are in [0, 255]; a Uint8Array store truncates, so + 0.5 rounds half up.
// The loops are kept this plain on purpose: every typed-array access re-checks its array on each iteration (V8 does
// not hoist those checks past the loop's interrupt check), so the fewer accesses per value, the faster.

function roundBlend(t: Float32Array, b: Float32Array, from: number, ay: number, out: Uint8Array, o: number, size: number): void {
  for (let x = 0; x < size; x++) {
    const tv = t[from + x];
    out[o + x] = f32(tv + f32((b[from + x] - tv) * ay)) + 0.5;
  }
}

function roundFlat(t: Float32Array, from: number, out: Uint8Array, o: number, size: number): void {
  for (let x = 0; x < size; x++) out[o + x] = t[from + x] + 0.5;
}

function normaliseBlend(
  t: Float32Array,
  b: Float32Array,
  from: number,
  ay: number,
  out: Float32Array,
  o: number,
  size: number,
  mean: number,
  divisor: number,
  bias: number,
): void {
  for (let x = 0; x < size; x++) {
    const tv = t[from + x];
    const v = f32(tv + f32((b[from + x] - tv) * ay));
    out[o + x] = f32(f32(v - mean) / divisor) + bias;
  }
}

function normaliseFlat(
  t: Float32Array,
  from: number,
  out: Float32Array,
  o: number,
  size: number,
  mean: number,
  divisor: number,
  bias: number,
): void {
  for (let x = 0; x < size; x++) out[o + x] = f32(f32(t[from + x] - mean) / divisor) + bias;
}

/**
 * A crop that is already the input's size (the recognition net's 150-px
 * chips): the resize reads every pixel as it is (scale 1, weights 0, so
 * v + f32((w - v) * 0) = v), and a plain image's pixels can be read directly.
 */
function isUnscaled(image: RgbImage, crop: Box, size: number): boolean {
  return crop.width === size && crop.height === size && !(image instanceof FramedImage);
}

/** An unscaled crop as uint8: the pixels themselves, planar (the int8 recogniser takes its three chips as they are, no float copy). */
function copyUnscaled(image: RgbImage, crop: Box, size: number, out: Uint8Array, offset: number): void {
  const plane = size * size;
  const src = image.data;
  const stride = image.width * 3;
  for (let y = 0; y < size; y++) {
    const row = (crop.y + y) * stride + crop.x * 3;
    const o = offset + y * size;
    for (let x = 0; x < size; x++) {
      const i = row + x * 3;
      out[o + x] = src[i];
      out[o + x + plane] = src[i + 1];
      out[o + x + 2 * plane] = src[i + 2];
    }
  }
}

/**
 * An unscaled crop as float32: each value is its pixel's normalisation, looked
 * up in a 256-entry table per channel built with the same float32 steps (docs/benchmarks.md, Earlier speed decisions).
 */
function writeUnscaled(image: RgbImage, crop: Box, spec: NetworkSpec, out: Float32Array, offset: number): void {
  const size = spec.inputSize;
  const plane = size * size;
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = f32(spec.mean[c]);
    for (let p = 0; p < 256; p++) table[c * 256 + p] = f32(f32(p - mean) / spec.divisor) + spec.offset;
  }
  const src = image.data;
  const stride = image.width * 3;
  for (let y = 0; y < size; y++) {
    const row = (crop.y + y) * stride + crop.x * 3;
    const o = offset + y * size;
    for (let x = 0; x < size; x++) {
      const i = row + x * 3;
      out[o + x] = table[src[i]];
      out[o + x + plane] = table[256 + src[i + 1]];
      out[o + x + 2 * plane] = table[512 + src[i + 2]];
    }
  }
}
