/**
 * The SSD tail that the ONNX engine runs in TypeScript (box decoding, face-api's
 * NMS, un-padding) on hand-made boxes, where the expected answer is known
 * without running a network.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSsdOutput, nonMaxSuppression, toDetections, type DecodedSsd } from '../../src/vision/onnx/run/ssd-postprocess.js';

/** Boxes as (ymin, xmin, ymax, xmax) with their scores. */
function decoded(boxes: number[][], scores: number[]): DecodedSsd {
  return { boxes: Float32Array.from(boxes.flat()), scores: Float32Array.from(scores) };
}

describe('SSD post-processing', () => {
  test('zero encodings decode to the anchors, and a zero logit to score 0.5', () => {
    const anchors = Float32Array.of(0.125, 0.25, 0.375, 0.75, 0, 0, 1, 1); // exact in binary
    const out = decodeSsdOutput(new Float32Array(8), new Float32Array(6), anchors);
    assert.deepEqual([...out.boxes], [...anchors]);
    assert.deepEqual([...out.scores], [0.5, 0.5]);
  });

  test('encodings shift by a tenth and scale by exp(/5) of the anchor size', () => {
    const anchors = Float32Array.of(0, 0, 0.2, 0.4); // centre (0.1, 0.2), size (0.2, 0.4)
    const encodings = Float32Array.of(10, -10, 5 * Math.log(2), 0); // move +1 height, -1 width; double the height
    const logits = Float32Array.of(0, Math.log(3), 0); // sigmoid(log 3) = 0.75 for class 1
    const { boxes, scores } = decodeSsdOutput(encodings, logits, anchors);
    const expected = [0.3 - 0.2, -0.2 - 0.2, 0.3 + 0.2, -0.2 + 0.2];
    [...boxes].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `coordinate ${i}: ${v} vs ${expected[i]}`));
    assert.ok(Math.abs(scores[0] - 0.75) < 1e-6);
  });

  test('NMS keeps the best box and drops those overlapping it by more than the threshold', () => {
    const d = decoded(
      [
        [0, 0, 1, 1],
        [0, 0, 1, 0.9], // IoU 0.9 with the first
        [0, 0.5, 1, 1.5], // IoU 1/3 with the first
        [2, 2, 3, 3], // disjoint
      ],
      [0.875, 0.9375, 0.8125, 0.75], // exact in float32
    );
    assert.deepEqual(nonMaxSuppression(d, 100, 0.5, 0.5), [1, 2, 3]);
    assert.deepEqual(nonMaxSuppression(d, 2, 0.5, 0.5), [1, 2], 'maxOutput caps the result');
    assert.deepEqual(nonMaxSuppression(d, 100, 0.5, 0.75), [1, 2], 'the score threshold is strict');
  });

  test('NMS is stable on equal scores and ignores flipped corners like face-api', () => {
    const d = decoded(
      [
        [1, 1, 0, 0], // the same square as the next one, corners swapped
        [0, 0, 1, 1],
        [5, 5, 6, 6],
      ],
      [0.7, 0.7, 0.7],
    );
    assert.deepEqual(nonMaxSuppression(d, 100, 0.5, 0.5), [0, 2]);
  });

  test('detections are un-padded and scaled to the image', () => {
    // A 200 x 100 photo is padded at the bottom to 200 x 200: the lower half of the square is padding.
    const d = decoded(
      [
        [0, 0, 0.5, 1],
        [-0.1, 0.25, 0.25, 1.2], // clamped to the square first
      ],
      [0.9, 0.8],
    );
    const [a, b] = toDetections(d, [0, 1], { width: 200, height: 100 }, 512);
    assert.deepEqual(a.box, { x: 0, y: 0, width: 200, height: 100 });
    assert.ok(Math.abs(a.score - 0.9) < 1e-6);
    assert.ok(Math.abs(b.box.x - 50) < 1e-9 && Math.abs(b.box.width - 150) < 1e-9);
    assert.ok(b.box.y === 0 && Math.abs(b.box.height - 50) < 1e-5);
  });
});
