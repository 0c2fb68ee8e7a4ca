import { frameOf, type Rgb } from '../../framed-image.js';
import type { Box, RgbImage } from '../../types.js';

const f32 = Math.fround;

/** A tap that reads no source pixel: padToSquare's zeros, or the frame's fill colour around its source. */
const ZERO = -1;
const FILL = -2;
/** No row cached yet. */
const NONE = -3;

/** What {@link ResizedRows.load} leaves for an output row: lerp `top` and `bottom` by `ay`... */
export const BLEND = 0;
/** ...take `top` as it is (the weight is 0, or both rows are the same row)... */
export const FLAT = 1;
/** ...or copy the previous output row, which has the same inputs (padding, fill, the clamped last row). */
export const REPEAT = 2;
export type RowKind = typeof BLEND | typeof FLAT | typeof REPEAT;

/**
 * The two source positions and the weight of the second that one axis of the
 * resize reads per output index. A position is a byte offset into the source
 * (`index * stride`), or ZERO or FILL.
 */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float32Array;
}

/**
 * padToSquare and `resizeBilinear(alignCorners = false, halfPixelCenters =
 * false)` as XNNPACK computes them in float32, for the integer region `crop`
 * of `image` (see network-input.ts): hands out, output row by output row, the
 * two source rows interpolated horizontally (planar: red, green, blue runs of
 * `size` float32 values) and the vertical weight. The caller lerps and stores.
 *
 * Every source row is interpolated at most once while it is in use (upsampling
 * reads each several times); an output row whose inputs equal the previous
 * one's is reported as {@link REPEAT}, so the zero padding, a canvas's
 * flat-coloured rows and the clamped last rows cost a copy. A
 * {@link FramedImage} is read through its frame, never built.
 */
export class ResizedRows {
  /** Inputs of the row last loaded. */
  top: Float32Array;
  bottom: Float32Array;
  ay = 0;
  private readonly src: Uint8Array;
  private readonly fill: Rgb;
  private readonly cols: Taps;
  private readonly rows: Taps;
  private readonly zero: Float32Array;
  private fillRow: Float32Array | undefined;
  private readonly bufA: Float32Array;
  private readonly bufB: Float32Array;
  private keyA = NONE;
  private keyB = NONE;
  /** The previous output row's inputs, to recognise a repeat. */
  private lastTop = NONE;
  private lastBottom = NONE;
  private lastAy = -1;

  /** Output row length (`width`); output rows: `height`, by default the same (face-api's square). */
  readonly size: number;

  constructor(image: RgbImage, crop: Box, width: number, padding: 'end' | 'center', height = width) {
    const { x: cx, y: cy, width: cw, height: ch } = crop;
    if (width !== height && padding !== 'end') throw new Error('a non-square input pads at the end only');
    const side = Math.max(cw, ch);
    const diff = Math.abs(ch - cw);
    const before = padding === 'center' ? diff - Math.round(diff * 0.5) : 0;
    // face-api's padToSquare then resize; a non-square input pads the crop at its end to the input's shape.
    const scale = width === height ? f32(side / width) : f32(Math.max(cw / width, ch / height));
    const sideX = width === height ? side : Math.max(cw, Math.round(width * scale));
    const sideY = width === height ? side : Math.max(ch, Math.round(height * scale));
    const { source, left, top, fill } = frameOf(image);
    this.size = width;
    this.src = source.data;
    this.fill = fill;
    // Offset of the crop inside the padded square: the short side is padded.
    this.cols = axisTaps(width, scale, sideX, cw < ch ? before : 0, cx, cw, left, source.width, 3);
    this.rows = axisTaps(height, scale, sideY, ch < cw ? before : 0, cy, ch, top, source.height, source.width * 3);
    this.zero = new Float32Array(width * 3);
    this.bufA = new Float32Array(width * 3);
    this.bufB = new Float32Array(width * 3);
    this.top = this.zero;
    this.bottom = this.zero;
  }

  /** Makes `top`, `bottom` and `ay` those of output row `oy` (rows in increasing order) and says what to do with them. */
  load(oy: number): RowKind {
    const ay = this.rows.weight[oy];
    const t = this.rows.lo[oy];
    // Weight 0, or the same row twice: the lerp gives `top` exactly (t + f32((t - t) * ay) = t, t + ±0 = t).
    const flat = ay === 0 || this.rows.hi[oy] === t;
    const b = flat ? t : this.rows.hi[oy];
    const a = flat ? 0 : ay;
    if (t === this.lastTop && b === this.lastBottom && a === this.lastAy) return REPEAT;
    this.lastTop = t;
    this.lastBottom = b;
    this.lastAy = a;
    this.ay = a;
    this.top = this.row(t, b);
    if (flat) return FLAT;
    this.bottom = this.row(b, t);
    return BLEND;
  }

  /** Source row `key` interpolated horizontally, without evicting row `keep` (the other row this output row reads). */
  private row(key: number, keep: number): Float32Array {
    if (key === ZERO) return this.zero;
    if (key === FILL) return (this.fillRow ??= fillRow(this.cols, this.fill, this.size));
    if (key === this.keyA) return this.bufA;
    if (key === this.keyB) return this.bufB;
    if (this.keyA !== keep) {
      this.keyA = key;
      return lerpRow(this.src, key, this.cols, this.fill, this.bufA, this.size);
    }
    this.keyB = key;
    return lerpRow(this.src, key, this.cols, this.fill, this.bufB, this.size);
  }
}

/**
 * One axis: for output index `o`, source = f32(o * scale) (tfjs' float32
 * arithmetic), its floor and the next index clamped to the square's side, both
 * shifted by the padding before the crop. Indices in the padding are ZERO;
 * the others are frame positions `start + i`, read from the source
 * (`frameOffset` is where it sits in the frame) or FILL outside it.
 */
function axisTaps(
  size: number,
  scale: number,
  side: number,
  pad: number,
  start: number,
  extent: number,
  frameOffset: number,
  sourceExtent: number,
  stride: number,
): Taps {
  const tap = (i: number): number => {
    if (i < 0 || i >= extent) return ZERO;
    const s = start + i - frameOffset;
    return s >= 0 && s < sourceExtent ? s * stride : FILL;
  };
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const weight = new Float32Array(size);
  for (let o = 0; o < size; o++) {
    const s = f32(o * scale);
    const l = Math.floor(s);
    weight[o] = f32(s - l);
    lo[o] = tap(l - pad);
    hi[o] = tap(Math.min(l + 1, side - 1) - pad);
  }
  return { lo, hi, weight };
}

/** The source row starting at byte `row`, interpolated horizontally into `dst` (planar); the Float32Array store is the float32 rounding. */
function lerpRow(src: Uint8Array, row: number, cols: Taps, fill: Rgb, dst: Float32Array, size: number): Float32Array {
  const { lo, hi, weight } = cols;
  for (let o = 0; o < size; o++) {
    const l = lo[o];
    const r = hi[o];
    const a = weight[o];
    if (l >= 0 && r >= 0) {
      const pl = row + l;
      const pr = row + r;
      let v = src[pl];
      dst[o] = v + f32((src[pr] - v) * a);
      v = src[pl + 1];
      dst[o + size] = v + f32((src[pr + 1] - v) * a);
      v = src[pl + 2];
      dst[o + 2 * size] = v + f32((src[pr + 2] - v) * a);
    } else {
      for (let c = 0; c < 3; c++) {
        const tl = l >= 0 ? src[row + l + c] : l === FILL ? fill[c] : 0;
        const tr = r >= 0 ? src[row + r + c] : r === FILL ? fill[c] : 0;
        dst[o + c * size] = tl + f32((tr - tl) * a);
      }
    }
  }
  return dst;
}

/** A frame row outside its source (the fill colour, zeros in the padding), interpolated horizontally. */
function fillRow(cols: Taps, fill: Rgb, size: number): Float32Array {
  const { lo, hi, weight } = cols;
  const dst = new Float32Array(size * 3);
  for (let o = 0; o < size; o++) {
    for (let c = 0; c < 3; c++) {
      const tl = lo[o] === ZERO ? 0 : fill[c];
      const tr = hi[o] === ZERO ? 0 : fill[c];
      dst[o + c * size] = tl + f32((tr - tl) * weight[o]);
    }
  }
  return dst;
}
