/**
 * The network input writers (row caching, repeated rows, the unscaled table,
 * reading framed images in place) against a plain reference that computes
 * every value on its own, straight from the definition in network-input.ts:
 * padToSquare, then tfjs' float32 bilinear resize, then the normalisation.
 * The parity tests pin the same arithmetic against tfjs itself on a few crops;
 * these cover many random ones, and frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cropImage } from '../../src/vision/alignment.js';
import { FramedImage, type Rgb } from '../../src/vision/framed-image.js';
import { identityView, padView } from '../../src/vision/image-transforms.js';
import { mirroredInside } from '../../src/vision/landmark-averaging.js';
import { writeNetworkInput, writeNetworkInputUint8 } from '../../src/vision/onnx/run/network-input.js';
import { NETWORK_SPECS, type NetworkSpec } from '../../src/vision/onnx/network-specs.js';
import { clipBox } from '../../src/vision/tfjs-engine.js';
import type { Box, RgbImage } from '../../src/vision/types.js';
import { seededRandom as random } from '../helpers/random.js';

const f32 = Math.fround;

function randomImage(rand: (n: number) => number, width: number, height: number): RgbImage {
  // Mostly smooth with some noise and flat runs, so that lerps land on and between levels.
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rand(4) === 0 ? rand(256) : (i * 37 + rand(3)) % 256;
  return { data, width, height };
}

/** The pixel (x, y) of any image, as its definition says: a frame's source where it covers, else its fill. */
function pixelOf(image: RgbImage, x: number, y: number, c: number): number {
  if (image instanceof FramedImage) {
    const sx = x - image.left;
    const sy = y - image.top;
    const { source } = image;
    return sx >= 0 && sy >= 0 && sx < source.width && sy < source.height ? pixelOf(source, sx, sy, c) : image.fill[c];
  }
  return image.data[(y * image.width + x) * 3 + c];
}

/** Every value computed on its own: no caching, no shortcuts. `round` gives the uint8 input instead of the float one. */
function reference(image: RgbImage, crop: Box, spec: NetworkSpec, round: boolean): number[] {
  const size = spec.inputSize;
  const { x: cx, y: cy, width: cw, height: ch } = crop;
  const side = Math.max(cw, ch);
  const diff = Math.abs(ch - cw);
  const before = spec.padding === 'center' ? diff - Math.round(diff / 2) : 0;
  const padLeft = cw < ch ? before : 0;
  const padTop = ch < cw ? before : 0;
  // The padded square: the crop, zeros around it.
  const square = (x: number, y: number, c: number): number => {
    const ix = x - padLeft;
    const iy = y - padTop;
    return ix >= 0 && iy >= 0 && ix < cw && iy < ch ? pixelOf(image, cx + ix, cy + iy, c) : 0;
  };
  const scale = f32(side / size);
  const taps = (o: number): [number, number, number] => {
    const s = f32(o * scale);
    const lo = Math.floor(s);
    return [lo, Math.min(lo + 1, side - 1), f32(s - lo)];
  };
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let oy = 0; oy < size; oy++) {
      const [y0, y1, ay] = taps(oy);
      for (let ox = 0; ox < size; ox++) {
        const [x0, x1, ax] = taps(ox);
        const row = (y: number) => f32(square(x0, y, c) + f32((square(x1, y, c) - square(x0, y, c)) * ax));
        const t = row(y0);
        const v = f32(t + f32((row(y1) - t) * ay));
        out.push(round ? Math.floor(v + 0.5) : f32(f32(f32(v - f32(spec.mean[c])) / spec.divisor) + spec.offset));
      }
    }
  }
  return out;
}

function assertSameInput(image: RgbImage, crop: Box, spec: NetworkSpec, what: string): void {
  const n = 3 * spec.inputSize ** 2;
  // At an offset inside a larger buffer, as the engines batch.
  const float = new Float32Array(n + 7);
  writeNetworkInput(image, crop, spec, float, 7);
  const uint8 = new Uint8Array(n + 5);
  writeNetworkInputUint8(image, crop, spec, uint8, 5);
  const want = reference(image, crop, spec, false);
  const wantUint8 = reference(image, crop, spec, true);
  for (let i = 0; i < n; i++) {
    if (float[7 + i] !== want[i]) assert.fail(`${what}: float value ${i} is ${float[7 + i]}, expected ${want[i]}`);
    if (uint8[5 + i] !== wantUint8[i]) assert.fail(`${what}: uint8 value ${i} is ${uint8[5 + i]}, expected ${wantUint8[i]}`);
  }
}

const SMALL_SPECS: NetworkSpec[] = [
  { model: 'end', inputSize: 9, padding: 'end', mean: [0, 0, 0], divisor: 127.5, offset: -1 },
  { model: 'center', inputSize: 12, padding: 'center', mean: [122.782, 117.001, 104.298], divisor: 255, offset: 0 },
  { model: 'odd', inputSize: 17, padding: 'center', mean: [3.5, 250.25, 0.1], divisor: 3, offset: 0.25 },
];

describe('network input', () => {
  it('equals the reference on random crops, up- and downsampled, touching the borders', () => {
    const rand = random(1);
    for (let k = 0; k < 150; k++) {
      const spec = SMALL_SPECS[k % SMALL_SPECS.length];
      const image = randomImage(rand, 1 + rand(40), 1 + rand(40));
      // A third of the crops start at the image's edge or end at it.
      const x = k % 3 === 0 ? 0 : rand(image.width);
      const y = k % 3 === 1 ? 0 : rand(image.height);
      const width = k % 3 === 2 ? image.width - x : 1 + rand(image.width - x);
      const height = k % 3 === 2 ? image.height - y : 1 + rand(image.height - y);
      assertSameInput(image, { x, y, width, height }, spec, `case ${k}`);
    }
  });

  it('equals the reference for a crop already at the input size (the recognition chips)', () => {
    const rand = random(2);
    const spec = SMALL_SPECS[1];
    const image = randomImage(rand, 40, 14);
    for (const x of [0, 5, 28]) assertSameInput(image, { x, y: 1, width: 12, height: 12 }, spec, `x ${x}`);
  });

  it('equals the reference with the real specs', () => {
    const rand = random(3);
    const image = randomImage(rand, 300, 211);
    assertSameInput(image, { x: 0, y: 0, width: 300, height: 211 }, NETWORK_SPECS.detector, 'detector, whole');
    assertSameInput(image, { x: 40, y: 20, width: 97, height: 130 }, NETWORK_SPECS.landmarks, 'landmarks');
    assertSameInput(image, { x: 150, y: 61, width: 150, height: 150 }, NETWORK_SPECS.recognition, 'recognition, unscaled');
  });

  it('reads framed images in place as if they were built', () => {
    const rand = random(4);
    for (let k = 0; k < 60; k++) {
      const spec = SMALL_SPECS[k % SMALL_SPECS.length];
      const source = randomImage(rand, 1 + rand(25), 1 + rand(25));
      const fill: Rgb = [rand(256), rand(256), rand(256)];
      // The source anywhere: inside the frame, overlapping one side, or covering it (a tile).
      const left = rand(40) - 20;
      const top = rand(40) - 20;
      const frame = new FramedImage(source, left, top, 1 + rand(40), 1 + rand(40), fill);
      const x = rand(frame.width);
      const y = rand(frame.height);
      const crop = { x, y, width: 1 + rand(frame.width - x), height: 1 + rand(frame.height - y) };
      assertSameInput(frame, crop, spec, `frame ${k}`);
      // Its built pixels are the same image.
      const built = frame.data;
      for (let i = 0; i < built.length; i++)
        assert.equal(built[i], pixelOf(frame, ((i / 3) | 0) % frame.width, (i / 3 / frame.width) | 0, i % 3));
    }
  });

  it('reads the padded canvas, a detector tile and the mirrored landmark image in place', () => {
    const rand = random(5);
    const image = randomImage(rand, 37, 23);
    const canvas = padView(identityView(image), 0.5).image;
    assertSameInput(canvas, { x: 0, y: 0, width: canvas.width, height: canvas.height }, SMALL_SPECS[0], 'canvas');
    const tile = cropImage(image, { x: 9, y: 4, width: 20, height: 19 });
    assertSameInput(tile, { x: 0, y: 0, width: tile.width, height: tile.height }, SMALL_SPECS[1], 'tile');
    const boxes = [
      { x: 2.5, y: 3.25, width: 10.5, height: 12 },
      { x: 25.75, y: 9, width: 14, height: 20 },
    ];
    const mirrored = mirroredInside(image, boxes);
    for (const b of boxes) assertSameInput(mirrored, clipBox(b, mirrored), SMALL_SPECS[2], `mirrored ${b.x}`);
  });
});
