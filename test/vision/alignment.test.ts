import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cropImage, extractChip, faceChipTransform, roundNonNegative, similarityTransform } from '../../src/vision/alignment.js';
import { tileRegions } from '../../src/vision/detector-regions.js';
import { mergeDetections } from '../../src/vision/face-detector.js';
import { boxToSource, channelSums, padView, rotateView } from '../../src/vision/image-transforms.js';
import { MIRRORED_68, mirroredInside } from '../../src/vision/landmark-averaging.js';
import { clipBox } from '../../src/vision/tfjs-engine.js';
import type { Point, RgbImage } from '../../src/vision/types.js';
import { seededRandom } from '../helpers/random.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

/** A 4 x 3 image whose pixel (x, y) has red = x, green = y, blue = 10x + y. */
function ramp(width = 4, height = 3): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, 10 * x + y], (y * width + x) * 3);
  }
  return { data, width, height };
}
const pixel = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('similarity alignment', () => {
  it('recovers a known scale, rotation and shift from points', () => {
    const from: Point[] = [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: 0, y: 2 },
      { x: 3, y: 1 },
    ];
    // scale 2, rotation 90 degrees (a = 0, b = 2), then shift (5, 7).
    const to = from.map((p) => ({ x: -2 * p.y + 5, y: 2 * p.x + 7 }));
    const t = similarityTransform(from, to);
    close(t.a, 0);
    close(t.b, 2);
    close(t.tx, 5);
    close(t.ty, 7);
  });

  it('follows the face when it is scaled, turned and moved', () => {
    const face = Array.from({ length: 68 }, (_, i) => ({ x: (i * 7) % 50, y: (i * 13) % 40 }));
    // The same landmarks scaled by 3, turned 90 degrees and moved: (x, y) -> (-3y + 100, 3x + 20).
    const moved = face.map((p) => ({ x: -3 * p.y + 100, y: 3 * p.x + 20 }));
    const t = faceChipTransform(face);
    const u = faceChipTransform(moved);
    // Chip -> image composes with the move: a' + ib' = 3i (a + ib), translation moved likewise.
    close(u.a, -3 * t.b, 1e-9);
    close(u.b, 3 * t.a, 1e-9);
    close(u.tx, -3 * t.ty + 100, 1e-9);
    close(u.ty, 3 * t.tx + 20, 1e-9);
    assert.equal(t.size, 150);
    assert.throws(() => faceChipTransform([{ x: 0, y: 0 }]), RangeError);
  });

  it('samples a chip bilinearly, black outside, and mirrors it', () => {
    const img = ramp();
    // Identity transform, chip 3 px: pixel (u, v) reads image (u, v).
    const chip = extractChip(img, { a: 1, b: 0, tx: 0, ty: 0, size: 3 });
    assert.deepEqual(pixel(chip, 2, 1), [2, 1, 21]);
    // Shift by half a pixel: the mean of two neighbours, rounded.
    const half = extractChip(img, { a: 1, b: 0, tx: 0.5, ty: 0, size: 2 });
    assert.deepEqual(pixel(half, 0, 0), [1, 0, 5]);
    // Outside the image: black.
    const off = extractChip(img, { a: 1, b: 0, tx: 10, ty: 0, size: 2 });
    assert.deepEqual(pixel(off, 0, 0), [0, 0, 0]);
    const mirrored = extractChip(img, { a: 1, b: 0, tx: 0, ty: 0, size: 3 }, true);
    assert.deepEqual(pixel(mirrored, 0, 1), [2, 1, 21]);
    assert.deepEqual(pixel(cropImage(img, { x: 1, y: 1, width: 2, height: 2 }, true), 0, 0), [2, 1, 21]);
  });

  it('samples exactly as the per-sample reference: supersampled, turned, cut by the border, mirrored', () => {
    const rand = seededRandom(7);
    for (let k = 0; k < 200; k++) {
      const img = ramp(5 + rand(40), 5 + rand(40));
      img.data.forEach((_, i) => (img.data[i] = rand(256)));
      // Scale 0.3-3.5 (1 to 4 samples a side), any turn, anywhere from inside the image to wholly outside.
      const scale = 0.3 + rand(3200) / 1000;
      const angle = (rand(6283) / 1000) * (k % 4 === 0 ? 0 : 1);
      const t = {
        a: scale * Math.cos(angle),
        b: scale * Math.sin(angle),
        tx: rand(60) - 15 + rand(1000) / 1000,
        ty: rand(60) - 15,
        size: 1 + rand(20),
      };
      const mirror = k % 2 === 1;
      assert.deepEqual(extractChip(img, t, mirror).data, referenceChip(img, t, mirror).data, `case ${k}`);
    }
  });

  it('rounds every non-negative double as Math.round does', () => {
    // x and the doubles up to `steps` units in the last place either side of it.
    const near = (x: number, steps: number): number[] => {
      const bits = new BigInt64Array(new Float64Array([x]).buffer)[0];
      const at = (i: number) => new Float64Array(new BigInt64Array([bits + BigInt(i)]).buffer)[0];
      return Array.from({ length: 2 * steps + 1 }, (_, i) => at(i - steps)).filter((v) => v >= 0);
    };
    const values = [0, -0, 0.49999999999999994, Number.MIN_VALUE, 1e-300, 2 ** 52, 2 ** 53 + 1];
    // Every half-integer, integer and power of two up to 2^12, and a few units in the last place around each.
    for (let k = 0; k <= 4096; k++) values.push(...near(k + 0.5, 3), ...near(k, 3));
    for (let e = -60; e <= 12; e++) values.push(...near(2 ** e, 3), ...near(2 ** e - 0.5, 3));
    const rand = seededRandom(13);
    for (let i = 0; i < 100000; i++) values.push((rand(2 ** 30) / 2 ** 30 + rand(2 ** 20)) * 2 ** (rand(20) - 10));
    for (const x of values)
      assert.ok(Object.is(roundNonNegative(x) + 0, Math.round(x) + 0), `${x}: ${roundNonNegative(x)} != ${Math.round(x)}`);
  });

  it('mirrors the photo for the landmark net inside the boxes it reads, and only there', () => {
    const img = ramp(40, 30);
    const full = cropImage(img, { x: 0, y: 0, width: 40, height: 30 }, true);
    // Fractional boxes, one cut by the right edge: the engines clip and floor them before reading.
    const boxes = [
      { x: 3.6, y: 2.2, width: 10.7, height: 9.9 },
      { x: 31.5, y: 17.25, width: 12, height: 20 },
    ];
    const mirrored = mirroredInside(img, boxes);
    for (const b of boxes) {
      const c = clipBox(b, img);
      for (let y = c.y; y < c.y + c.height; y++) {
        for (let x = c.x; x < c.x + c.width; x++) assert.deepEqual(pixel(mirrored, x, y), pixel(full, x, y), `(${x}, ${y})`);
      }
    }
    // Outside the boxes and their 2-px margin, black.
    const near = (x: number, y: number) =>
      boxes.some(
        (b) =>
          x >= Math.floor(b.x) - 2 && x < Math.ceil(b.x + b.width) + 2 && y >= Math.floor(b.y) - 2 && y < Math.ceil(b.y + b.height) + 2,
      );
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        if (near(x, y)) assert.deepEqual(pixel(mirrored, x, y), pixel(full, x, y), `(${x}, ${y})`);
        else assert.deepEqual(pixel(mirrored, x, y), [0, 0, 0], `(${x}, ${y}) stays black`);
      }
    }
    assert.deepEqual(mirroredInside(img, []).data, new Uint8Array(img.data.length), 'no box: all black');
  });

  it('mirrors the 68 landmarks as an involution that keeps the midline', () => {
    assert.equal(MIRRORED_68.length, 68);
    MIRRORED_68.forEach((j, i) => assert.equal(MIRRORED_68[j], i));
    for (const midline of [8, 27, 28, 29, 30, 33, 51, 57, 62, 66]) assert.equal(MIRRORED_68[midline], midline);
    assert.equal(MIRRORED_68[36], 45, 'outer eye corners swap');
  });
});

describe('views for detection', () => {
  it('rotates clockwise and maps points and boxes back exactly', () => {
    const img = ramp();
    for (const rotation of [90, 180, 270] as const) {
      const view = rotateView(img, rotation);
      // Every pixel of the view is the source pixel its centre maps to.
      for (let y = 0; y < view.image.height; y++) {
        for (let x = 0; x < view.image.width; x++) {
          const s = view.toSource({ x: x + 0.5, y: y + 0.5 });
          assert.deepEqual(pixel(view.image, x, y), pixel(img, Math.floor(s.x), Math.floor(s.y)));
        }
      }
      const whole = boxToSource(view, { x: 0, y: 0, width: view.image.width, height: view.image.height });
      assert.deepEqual(whole, { x: 0, y: 0, width: 4, height: 3 });
    }
    // Turned 90 degrees clockwise, the source's top-left pixel is the view's top-right.
    assert.deepEqual(pixel(rotateView(img, 90).image, 2, 0), pixel(img, 0, 0));
  });

  it('pads with the mean colour and shifts coordinates back', () => {
    const img = ramp();
    const view = padView(rotateView(img, 0), 0.5);
    assert.equal(view.padding, 2);
    assert.equal(view.image.width, 8);
    assert.deepEqual(pixel(view.image, 0, 0), [2, 1, 16]);
    assert.deepEqual(pixel(view.image, 2, 2), pixel(img, 0, 0));
    assert.deepEqual(view.toSource({ x: 2, y: 3 }), { x: 0, y: 1 });
  });

  it('sums the channels exactly, from any buffer offset and length', () => {
    const rand = seededRandom(11);
    for (const [pixels, offset, value] of [
      [0, 0],
      [1, 0],
      [5, 1],
      [7, 2],
      [4 * 1000 + 3, 0],
      [4 * 1000 + 1, 3],
      [640 * 480, 0],
      [1920 * 1280, 0, 255],
    ]) {
      const buffer = new Uint8Array(offset + pixels * 3 + 5).fill(99);
      const data = buffer.subarray(offset, offset + pixels * 3);
      data.forEach((_, i) => (data[i] = value ?? rand(256)));
      const want = [0, 0, 0];
      data.forEach((v, i) => (want[i % 3] += v));
      assert.deepEqual(channelSums(data), want, `${pixels} pixels at offset ${offset}`);
    }
  });

  it('covers a 1920 x 1280 photo with overlapping tiles', () => {
    const regions = tileRegions({ width: 1920, height: 1280 }, 768);
    assert.deepEqual(regions[0], { x: 0, y: 0, width: 1920, height: 1280 });
    const tiles = regions.slice(1);
    assert.equal(tiles.length, 6);
    for (const t of tiles) assert.ok(t.width <= 768 && t.height <= 768 && t.x + t.width <= 1920 && t.y + t.height <= 1280);
    // Every 96-px square (an eighth of a tile) lies wholly inside some tile.
    for (let y = 0; y + 96 <= 1280; y += 32) {
      for (let x = 0; x + 96 <= 1920; x += 32) {
        assert.ok(
          tiles.some((t) => x >= t.x && y >= t.y && x + 96 <= t.x + t.width && y + 96 <= t.y + t.height),
          `${x},${y}`,
        );
      }
    }
    assert.equal(tileRegions({ width: 700, height: 500 }, 768).length, 1, 'no tiles for a small photo');
    assert.equal(tileRegions({ width: 1920, height: 1280 }, 0).length, 1, 'tiling off');
  });

  it('merges the same face found by several passes, best score kept', () => {
    const merged = mergeDetections([
      { box: { x: 0, y: 0, width: 100, height: 100 }, score: 0.7 },
      { box: { x: 10, y: 10, width: 60, height: 60 }, score: 0.9 },
      { box: { x: 200, y: 0, width: 50, height: 50 }, score: 0.6 },
    ]);
    assert.deepEqual(
      merged.map((d) => d.score),
      [0.9, 0.6],
    );
  });
});

/** extractChip computed plainly, every sample from the transform: what the pipeline's chips must equal. */
function referenceChip(image: RgbImage, t: { a: number; b: number; tx: number; ty: number; size: number }, mirror: boolean): RgbImage {
  const { size } = t;
  const out = new Uint8Array(size * size * 3);
  const n = Math.max(1, Math.ceil(Math.hypot(t.a, t.b) - 1e-6));
  const { data, width, height } = image;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const acc = [0, 0, 0];
      for (let sv = 0; sv < n; sv++) {
        for (let su = 0; su < n; su++) {
          const cu = u + (su + 0.5) / n - 0.5;
          const cv = v + (sv + 0.5) / n - 0.5;
          const x = t.a * cu - t.b * cv + t.tx;
          const y = t.b * cu + t.a * cv + t.ty;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
          for (let c = 0; c < 3; c++) {
            const at = (dx: number, dy: number) => data[((y0 + dy) * width + x0 + dx) * 3 + c];
            const top = at(0, 0) + (at(1, 0) - at(0, 0)) * (x - x0);
            const bottom = at(0, 1) + (at(1, 1) - at(0, 1)) * (x - x0);
            acc[c] += top + (bottom - top) * (y - y0);
          }
        }
      }
      const o = (v * size + (mirror ? size - 1 - u : u)) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(acc[c] / (n * n));
    }
  }
  return { data: out, width: size, height: size };
}
