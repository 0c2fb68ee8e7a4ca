import type { Box, RgbImage } from '../types.js';
import type { NetworkSpec } from './network-specs.js';

const f32 = Math.fround;

/**
 * Writes one network input (NCHW float32, `spec.inputSize` square) for the
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
 * Every intermediate is rounded with Math.fround so the result equals tfjs'
 * float32 arithmetic exactly; the padded square is never materialised.
 */
export function writeNetworkInput(image: RgbImage, crop: Box, spec: NetworkSpec, out: Float32Array, offset: number): void {
  const { x: cx, y: cy, width: cw, height: ch } = crop;
  const size = spec.inputSize;
  const side = Math.max(cw, ch);
  const diff = Math.abs(ch - cw);
  const before = spec.padding === 'center' ? diff - Math.round(diff * 0.5) : 0;
  // Offset of the crop inside the padded square.
  const padLeft = cw < ch ? before : 0;
  const padTop = ch < cw ? before : 0;

  const xs = sampling(side, size);
  const ys = sampling(side, size);
  const mean = spec.mean.map(f32);
  const divisor = spec.divisor;
  const bias = spec.offset;
  const plane = size * size;
  const src = image.data;
  const stride = image.width * 3;

  // Index into image.data of padded-square pixel (px, py), or -1 for padding.
  const colIndex = new Int32Array(side);
  for (let px = 0; px < side; px++) {
    const ix = px - padLeft;
    colIndex[px] = ix >= 0 && ix < cw ? (cx + ix) * 3 : -1;
  }
  const rowIndex = new Int32Array(side);
  for (let py = 0; py < side; py++) {
    const iy = py - padTop;
    rowIndex[py] = iy >= 0 && iy < ch ? (cy + iy) * stride : -1;
  }
  const pixel = (row: number, col: number, c: number): number => (row < 0 || col < 0 ? 0 : src[row + col + c]);

  for (let oy = 0; oy < size; oy++) {
    const top = rowIndex[ys.lo[oy]];
    const bottom = rowIndex[ys.hi[oy]];
    const ay = ys.alpha[oy];
    for (let ox = 0; ox < size; ox++) {
      const left = colIndex[xs.lo[ox]];
      const right = colIndex[xs.hi[ox]];
      const ax = xs.alpha[ox];
      const o = offset + oy * size + ox;
      for (let c = 0; c < 3; c++) {
        const tl = pixel(top, left, c);
        const tr = pixel(top, right, c);
        const bl = pixel(bottom, left, c);
        const br = pixel(bottom, right, c);
        const t = f32(tl + f32((tr - tl) * ax));
        const b = f32(bl + f32((br - bl) * ax));
        const v = f32(t + f32((b - t) * ay));
        out[o + c * plane] = f32(f32(f32(v - mean[c]) / divisor) + bias);
      }
    }
  }
}

/** Source taps and weights of a tfjs-legacy bilinear resize along one axis. */
function sampling(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; alpha: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const alpha = new Float32Array(outSize);
  const scale = f32(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    const src = f32(i * scale);
    const floor = Math.floor(src);
    lo[i] = floor;
    hi[i] = Math.min(floor + 1, inSize - 1);
    alpha[i] = f32(src - floor);
  }
  return { lo, hi, alpha };
}

