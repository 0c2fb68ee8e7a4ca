import type { Detection } from '../../types.js';

const f32 = Math.fround;

/** SSD output of one image, decoded: boxes as (ymin, xmin, ymax, xmax) relative to the padded square. */
export interface DecodedSsd {
  boxes: Float32Array;
  scores: Float32Array;
}

/**
 * face-api's `outputLayer`: decodes the box encodings against the anchors and
 * takes sigmoid(class 1) as the face score. Written op by op in float32, as
 * tfjs evaluates it, so that boxes and scores match the reference engine to
 * the last bit or two.
 */
export function decodeSsdOutput(encodings: Float32Array, logits: Float32Array, anchors: Float32Array): DecodedSsd {
  const count = anchors.length / 4;
  const boxes = new Float32Array(count * 4);
  const scores = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const a = i * 4;
    const size0 = f32(anchors[a + 2] - anchors[a]);
    const size1 = f32(anchors[a + 3] - anchors[a + 1]);
    const centre0 = f32(anchors[a] + f32(size0 / 2));
    const centre1 = f32(anchors[a + 1] + f32(size1 / 2));
    const half0 = f32(f32(f32(Math.exp(f32(encodings[a + 2] / 5))) * size0) / 2);
    const mid0 = f32(f32(f32(encodings[a] / 10) * size0) + centre0);
    const half1 = f32(f32(f32(Math.exp(f32(encodings[a + 3] / 5))) * size1) / 2);
    const mid1 = f32(f32(f32(encodings[a + 1] / 10) * size1) + centre1);
    boxes[a] = mid0 - half0;
    boxes[a + 1] = mid1 - half1;
    boxes[a + 2] = mid0 + half0;
    boxes[a + 3] = mid1 + half1;
    scores[i] = 1 / (1 + Math.exp(-logits[i * 3 + 1]));
  }
  return { boxes, scores };
}

/** face-api's IOU of two (ymin, xmin, ymax, xmax) boxes, tolerant of flipped corners. */
function iou(boxes: Float32Array, i: number, j: number): number {
  const a = i * 4;
  const b = j * 4;
  const yminI = Math.min(boxes[a], boxes[a + 2]);
  const xminI = Math.min(boxes[a + 1], boxes[a + 3]);
  const ymaxI = Math.max(boxes[a], boxes[a + 2]);
  const xmaxI = Math.max(boxes[a + 1], boxes[a + 3]);
  const yminJ = Math.min(boxes[b], boxes[b + 2]);
  const xminJ = Math.min(boxes[b + 1], boxes[b + 3]);
  const ymaxJ = Math.max(boxes[b], boxes[b + 2]);
  const xmaxJ = Math.max(boxes[b + 1], boxes[b + 3]);
  const areaI = (ymaxI - yminI) * (xmaxI - xminI);
  const areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const h = Math.max(Math.min(ymaxI, ymaxJ) - Math.max(yminI, yminJ), 0);
  const w = Math.max(Math.min(xmaxI, xmaxJ) - Math.max(xminI, xminJ), 0);
  const inter = h * w;
  return inter / (areaI + areaJ - inter);
}

/**
 * face-api's greedy NMS for SSD (`ssdMobilenetv1/nonMaxSuppression.ts`):
 * candidates strictly above `scoreThreshold`, best first (stable on ties), a
 * candidate dropped as soon as it overlaps a kept box by more than
 * `iouThreshold`. Returns the kept indices, best first.
 */
export function nonMaxSuppression(decoded: DecodedSsd, maxOutput: number, iouThreshold: number, scoreThreshold: number): number[] {
  const { boxes, scores } = decoded;
  const outputSize = Math.min(maxOutput, scores.length);
  const candidates: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > scoreThreshold) candidates.push(i);
  candidates.sort((a, b) => scores[b] - scores[a]);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= outputSize) break;
    let suppressed = false;
    for (let j = selected.length - 1; j >= 0; j--) {
      // Written as face-api's `iou <= threshold ? keep : drop`, so a NaN overlap drops too.
      if (!(iou(boxes, c, selected[j]) <= iouThreshold)) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) selected.push(c);
  }
  return selected;
}

/**
 * face-api's `locateFaces` tail: clamps the kept boxes to the padded square,
 * undoes the bottom/right padding and scales to image pixels.
 */
export function toDetections(
  decoded: DecodedSsd,
  kept: number[],
  image: { width: number; height: number },
  inputSize: number,
  inputHeight = inputSize,
): Detection[] {
  const { width, height } = image;
  // face-api's padToSquare then resize; a non-square input holds the image padded at its end to its shape.
  const scale = Math.min(inputSize / width, inputHeight / height);
  const padX = inputSize / Math.round(width * scale);
  const padY = inputHeight / Math.round(height * scale);
  return kept.map((i) => {
    const b = decoded.boxes;
    const top = Math.max(0, b[i * 4]) * padY;
    const bottom = Math.min(1, b[i * 4 + 2]) * padY;
    const left = Math.max(0, b[i * 4 + 1]) * padX;
    const right = Math.min(1, b[i * 4 + 3]) * padX;
    return {
      box: { x: left * width, y: top * height, width: (right - left) * width, height: (bottom - top) * height },
      score: decoded.scores[i],
    };
  });
}
