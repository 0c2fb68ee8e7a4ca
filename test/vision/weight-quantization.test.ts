/** The int8 conv arithmetic of weight-quantization.ts, on small hand-checked tensors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  activationQuantForRange,
  foldBatchNorm,
  quantizeBias,
  quantizeWeightsPerChannel,
} from '../../src/vision/onnx/convert/weight-quantization.js';

test('weights: symmetric per output channel, each channel using the full [-127, 127]', () => {
  // Two channels of three weights, magnitudes a thousand times apart.
  const w = Float32Array.of(0.5, -1, 0.25, 0.0005, 0.001, -0.0002);
  const q = quantizeWeightsPerChannel(w, 2);
  assert.deepEqual([...q.data], [64, -127, 32, 64, 127, -25]);
  assert.equal(q.scales[0], Math.fround(1 / 127));
  assert.equal(q.scales[1], Math.fround(0.001 / 127));
  // Dequantized, every weight is within half a step of its channel.
  w.forEach((v, i) => assert.ok(Math.abs(q.data[i] * q.scales[i < 3 ? 0 : 1] - v) <= q.scales[i < 3 ? 0 : 1] / 2 + 1e-9));
  // A channel of zeros gets a usable scale, not 0 (which would divide by zero in the runtime).
  assert.deepEqual([...quantizeWeightsPerChannel(new Float32Array(4), 2).scales], [1, 1]);
  assert.throws(() => quantizeWeightsPerChannel(new Float32Array(5), 2), /do not split/);
});

test('bias: in the accumulator unit, input scale x weight scale of the channel', () => {
  const b = quantizeBias(Float32Array.of(1, -0.5), 6 / 255, Float32Array.of(0.01, 0.002));
  assert.deepEqual([...b], [Math.round(1 / (Math.fround(6 / 255) * 0.01)), Math.round(-0.5 / (Math.fround(6 / 255) * Math.fround(0.002)))]);
  assert.throws(() => quantizeBias(Float32Array.of(1e9), 1e-6, Float32Array.of(1e-6)), /overflows int32/);
});

test('BatchNorm folds into the weights and a bias', () => {
  // One channel of two weights: y = (conv - mean) * scale / sqrt(var + eps) + offset.
  const folded = foldBatchNorm(
    Float32Array.of(2, -4),
    { mean: Float32Array.of(1), variance: Float32Array.of(3), offset: Float32Array.of(0.5), scale: Float32Array.of(4) },
    1,
  );
  // g = 4 / sqrt(3 + 1) = 2.
  assert.deepEqual([...folded.weights], [4, -8]);
  assert.deepEqual([...folded.bias], [0.5 - 1 * 2]);
});

test('activation ranges: 255 steps, real 0 exact; a ReLU range has zero point 0', () => {
  assert.deepEqual(activationQuantForRange(0, 25.5), { scale: Math.fround(0.1), zeroPoint: 0 });
  // [-5.1, 20.4]: 25.5 / 255 = 0.1 a step, 0 at 51 steps up.
  const signed = activationQuantForRange(-5.1, 20.4);
  assert.equal(signed.zeroPoint, 51);
  assert.ok(Math.abs(signed.scale - 0.1) < 1e-7);
  // A range not holding 0 is widened to it; an empty one is refused.
  assert.deepEqual(activationQuantForRange(1, 25.5), activationQuantForRange(0, 25.5));
  assert.equal(activationQuantForRange(-2.55, -1).zeroPoint, 255);
  assert.throws(() => activationQuantForRange(0, 0), /empty range/);
});
