import { FramedImage } from './framed-image.js';
import type { Box, Point, RgbImage } from './types.js';

// face-api's dlib-style alignment constants: the crop is centred on the eyes and
// mouth and sized from the eye-to-mouth distance, so that every face reaches the
// encoder at the same scale whatever box the detector drew.
const REL_X = 0.5;
const REL_Y = 0.43;
const REL_SCALE = 0.45;

/** The centroid of `points`. */
export function centre(points: readonly Point[]): Point {
  let x = 0;
  let y = 0;
  for (const p of points) {
    x += p.x;
    y += p.y;
  }
  return { x: x / points.length, y: y / points.length };
}

/**
 * The square crop the recognition net is fed, from 68 landmarks: a port of
 * face-api's `FaceLandmarks.align(null, { useDlibAlignment: true })`, kept here
 * so that every engine crops identically. Axis-aligned: a tilted head stays
 * tilted. Superseded by {@link faceChipTransform} in the pipeline; kept as the
 * baseline the evaluation compares against.
 */
export function dlibAlignedCrop(landmarks: Point[], image: { width: number; height: number }): Box {
  const leftEye = centre(landmarks.slice(36, 42));
  const rightEye = centre(landmarks.slice(42, 48));
  const mouth = centre(landmarks.slice(48, 68));
  const toMouth = (p: Point) => Math.hypot(mouth.x - p.x, mouth.y - p.y);
  const size = Math.floor((toMouth(leftEye) + toMouth(rightEye)) / 2 / REL_SCALE);
  const ref = centre([leftEye, rightEye, mouth]);
  const x = Math.floor(Math.max(0, ref.x - REL_X * size));
  const y = Math.floor(Math.max(0, ref.y - REL_Y * size));
  return { x, y, width: Math.min(size, image.width + x), height: Math.min(size, image.height + y) };
}

/** face-api's `alignMinBbox` padding: the landmarks' bounding box grown by this fraction of its width and height. */
const MIN_BBOX_PADDING = 0.2;

/**
 * The box the age/gender net is fed for a face with landmarks: face-api's
 * `alignedRect` (`extendWithFaceLandmarks`, `FaceLandmarks.align()`), the
 * crop `withAgeAndGender()` uses after `withFaceLandmarks()`: the 68 points'
 * bounding box grown by a tenth of its size on each side. Ported with its
 * quirks so that both engines see face-api's pixels: the largest x and y start
 * from 0, and the box goes through `FaceDetection`'s relative coordinates
 * three times (x * (1 / width) * width: `extendWithFaceLandmarks`, then
 * `forSize` in `extractFaceTensors`) before it is clipped and floored.
 */
export function ageGenderBox(landmarks: readonly Point[], image: { width: number; height: number }): Box {
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const maxX = Math.max(0, ...xs);
  const maxY = Math.max(0, ...ys);
  const width = maxX - minX;
  const height = maxY - minY;
  const padX = width * MIN_BBOX_PADDING;
  const padY = height * MIN_BBOX_PADDING;
  let box: Box = { x: minX - padX / 2, y: minY - padY / 2, width: width + padX, height: height + padY };
  const relative = (b: Box, sx: number, sy: number): Box => ({ x: b.x * sx, y: b.y * sy, width: b.width * sx, height: b.height * sy });
  for (let i = 0; i < 3; i++) box = relative(relative(box, 1 / image.width, 1 / image.height), image.width, image.height);
  return box;
}

/**
 * dlib's mean face shape (points 17-67 of the 68-point scheme, in a unit
 * square), from `get_face_chip_details` in dlib/image_transforms/interpolation.h.
 * face-api's recognition net is dlib's `dlib_face_recognition_resnet_model_v1`,
 * trained on chips made with exactly this template; feeding it chips made the
 * same way is what makes its published accuracy reachable.
 */
const MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127,
  0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428,
  0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127,
  0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805,
  0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077, 0.231733,
  0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
  0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];

/** dlib's chip for its recognition net: 150 x 150 pixels, 25 % padding around the template. */
export const FACE_CHIP_SIZE = 150;
export const FACE_CHIP_PADDING = 0.25;
/**
 * The margins the pipeline encodes each face at, averaging the descriptors:
 * dlib's 0.25 and a little tighter and looser (docs/quality.md, Chip paddings).
 */
export const FACE_CHIP_PADDINGS: readonly number[] = [0.22, 0.25, 0.28];

/**
 * A similarity transform (scale, rotation, translation) from chip pixels to
 * image pixels: `x = a*u - b*v + tx`, `y = b*u + a*v + ty`.
 */
export interface ChipTransform {
  a: number;
  b: number;
  tx: number;
  ty: number;
  /** Side of the square chip, in pixels. */
  size: number;
}

/**
 * The least-squares similarity transform that maps dlib's mean face onto the
 * 68 landmarks, as dlib's `get_face_chip_details` computes it: the nose, eyes
 * and upper lip only (jaw line, eyebrows and lower lip move too much with pose
 * and expression). Unlike {@link dlibAlignedCrop} it also undoes head roll.
 */
export function faceChipTransform(
  landmarks: readonly Point[],
  size: number = FACE_CHIP_SIZE,
  padding: number = FACE_CHIP_PADDING,
): ChipTransform {
  if (landmarks.length !== 68) throw new RangeError(`expected 68 landmarks, got ${landmarks.length}`);
  const from: Point[] = [];
  const to: Point[] = [];
  for (let i = 27; i < 68; i++) {
    if ((i >= 55 && i <= 59) || (i >= 65 && i <= 67)) continue;
    from.push({
      x: ((padding + MEAN_FACE_X[i - 17]) / (2 * padding + 1)) * size,
      y: ((padding + MEAN_FACE_Y[i - 17]) / (2 * padding + 1)) * size,
    });
    to.push(landmarks[i]);
  }
  return { ...similarityTransform(from, to), size };
}

/** Least-squares similarity transform taking `from` onto `to` (Umeyama, no reflection, 2-D closed form). */
export function similarityTransform(from: readonly Point[], to: readonly Point[]): Omit<ChipTransform, 'size'> {
  const mf = centre([...from]);
  const mt = centre([...to]);
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < from.length; i++) {
    const fx = from[i].x - mf.x;
    const fy = from[i].y - mf.y;
    const tx = to[i].x - mt.x;
    const ty = to[i].y - mt.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    norm += fx * fx + fy * fy;
  }
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: mt.x - (a * mf.x - b * mf.y), ty: mt.y - (b * mf.x + a * mf.y) };
}

/**
 * Resamples the chip described by `t` out of `image`: bilinear, with
 * `n x n` supersampling when the chip shrinks the face by n (a large face
 * would otherwise alias), black outside the image as in dlib's
 * `extract_image_chip`. `mirror` flips the chip left-right, for test-time
 * flip averaging.
 *
 * The products `a * cu`, `b * cu` (per chip column and sub-column) and
 * `a * cv`, `b * cv` (per row) are computed once instead of per sample, and
 * the sums are kept in locals, and the average is rounded by
 * {@link roundNonNegative}: the same operations on the same values in the same
 * order, so the same chip, faster (docs/benchmarks.md, Earlier speed decisions).
 */
export function extractChip(image: RgbImage, t: ChipTransform, mirror = false): RgbImage {
  const { size, tx, ty } = t;
  const out = new Uint8Array(size * size * 3);
  const n = Math.max(1, Math.ceil(Math.hypot(t.a, t.b) - 1e-6));
  const samples = n * n;
  const { data, width, height } = image;
  // Sample k of chip coordinate c (column or row) is at index c * n + k.
  const [aPos, bPos] = scaledSamples(size, n, t.a, t.b);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sv = v * n; sv < (v + 1) * n; sv++) {
        const acv = aPos[sv];
        const bcv = bPos[sv];
        for (let su = u * n; su < (u + 1) * n; su++) {
          // x = a*cu - b*cv + tx, y = b*cu + a*cv + ty, as dlib maps chip to image.
          const x = aPos[su] - bcv + tx;
          const y = bPos[su] + acv + ty;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) continue;
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * width + x0) * 3;
          const i01 = i00 + width * 3;
          r += lerp2(data[i00], data[i00 + 3], data[i01], data[i01 + 3], fx, fy);
          g += lerp2(data[i00 + 1], data[i00 + 4], data[i01 + 1], data[i01 + 4], fx, fy);
          b += lerp2(data[i00 + 2], data[i00 + 5], data[i01 + 2], data[i01 + 5], fx, fy);
        }
      }
      const o = (v * size + (mirror ? size - 1 - u : u)) * 3;
      out[o] = roundNonNegative(r / samples);
      out[o + 1] = roundNonNegative(g / samples);
      out[o + 2] = roundNonNegative(b / samples);
    }
  }
  return { data: out, width: size, height: size };
}

/**
 * For every chip coordinate c (column or row, 0 to size - 1) and sub-sample k,
 * the sample position `c + (k + 0.5) / n - 0.5` times `a` and times `b`, at
 * index `c * n + k`.
 */
function scaledSamples(size: number, n: number, a: number, b: number): [Float64Array, Float64Array] {
  const aPos = new Float64Array(size * n);
  const bPos = new Float64Array(size * n);
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < n; k++) {
      const pos = c + (k + 0.5) / n - 0.5;
      aPos[c * n + k] = a * pos;
      bPos[c * n + k] = b * pos;
    }
  }
  return [aPos, bPos];
}

/**
 * Math.round(x) for x >= 0, the same value for every such double, cheaper in
 * extractChip's loop (V8's Math.round there chains each pixel's rounding to the
 * previous one's through a register; docs/benchmarks.md, Earlier speed decisions).
 * floor(x + 0.5) is Math.round for every x >= 0.5 (x + 0.5 is exact, or
 * rounded where no integer is within half a unit), and wrong only for
 * 0.49999999999999994, which the x < 0.5 test sends to 0 with all of [0, 0.5).
 */
export function roundNonNegative(x: number): number {
  return x < 0.5 ? 0 : Math.floor(x + 0.5);
}

/** Bilinear value from the four neighbours: horizontally on both rows, then vertically. */
function lerp2(p00: number, p10: number, p01: number, p11: number, fx: number, fy: number): number {
  const top = p00 + (p10 - p00) * fx;
  const bottom = p01 + (p11 - p01) * fx;
  return top + (bottom - top) * fy;
}

/**
 * `box` (clipped to the image) out of `image`, optionally mirrored left-right.
 * Not mirrored, it is a {@link FramedImage} over `image`: the ONNX engine reads
 * a detector tile in place, and the pixels are only copied if read.
 */
export function cropImage(image: RgbImage, box: Box, mirror = false): RgbImage {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const w = Math.max(0, Math.min(image.width, Math.floor(box.x + box.width)) - x0);
  const h = Math.max(0, Math.min(image.height, Math.floor(box.y + box.height)) - y0);
  if (!mirror) return new FramedImage(image, -x0, -y0, w, h, [0, 0, 0]);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = ((y0 + y) * image.width + x0 + x) * 3;
      const dst = (y * w + w - 1 - x) * 3;
      out[dst] = image.data[src];
      out[dst + 1] = image.data[src + 1];
      out[dst + 2] = image.data[src + 2];
    }
  }
  return { data: out, width: w, height: h };
}
