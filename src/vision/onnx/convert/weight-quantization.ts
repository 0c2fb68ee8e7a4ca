/**
 * The arithmetic of int8 convolutions, kept apart from graph writing so that it
 * can be read and tested on its own. ONNX Runtime's QLinearConv computes
 * `y_q = saturate(round((sum(x_q - x_zp) * w_q + b_q) * x_scale * w_scale[o] / y_scale) + y_zp)`;
 * these functions choose `w_q`, `w_scale` and `b_q` for given float weights.
 */

/** A per-tensor affine quantization of uint8 activations: real = (q - zeroPoint) * scale. */
export interface ActivationQuant {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Conv weights quantized per output channel, symmetric (zero point 0). */
export interface QuantizedWeights {
  /** OIHW, values in [-127, 127]. */
  readonly data: Int8Array;
  /** One scale per output channel. */
  readonly scales: Float32Array;
}

/**
 * Symmetric per-output-channel int8: scale = max |w| / 127 over the channel,
 * so each channel uses the full range whatever its magnitude (MobileNet's
 * depthwise channels differ by orders of magnitude after the BatchNorm fold,
 * which is why per-tensor weight scales lose accuracy there). -128 is left out
 * so that the range is symmetric. `weights` is OIHW, `outChannels` = O.
 */
export function quantizeWeightsPerChannel(weights: Float32Array, outChannels: number): QuantizedWeights {
  const per = weights.length / outChannels;
  if (!Number.isInteger(per))
    throw new Error(`quantizeWeightsPerChannel: ${weights.length} weights do not split into ${outChannels} channels`);
  const data = new Int8Array(weights.length);
  const scales = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    let max = 0;
    for (let i = o * per; i < (o + 1) * per; i++) max = Math.max(max, Math.abs(weights[i]));
    // An all-zero channel still needs a positive scale; its weights quantize to 0 either way.
    const scale = Math.fround(max > 0 ? max / 127 : 1);
    scales[o] = scale;
    for (let i = o * per; i < (o + 1) * per; i++) data[i] = Math.max(-127, Math.min(127, Math.round(weights[i] / scale)));
  }
  return { data, scales };
}

/**
 * The int32 bias QLinearConv adds to the accumulator: real bias / (input scale
 * x weight scale of the channel), the accumulator's own unit, so the bias is
 * exact to half an accumulator step.
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): Int32Array {
  if (bias.length !== weightScales.length) throw new Error(`quantizeBias: ${bias.length} biases for ${weightScales.length} channels`);
  const out = new Int32Array(bias.length);
  for (let o = 0; o < bias.length; o++) {
    const q = Math.round(bias[o] / (Math.fround(inputScale) * weightScales[o]));
    if (Math.abs(q) > 2 ** 31 - 1) throw new Error(`quantizeBias: channel ${o} bias ${bias[o]} overflows int32`);
    out[o] = q;
  }
  return out;
}

/** BatchNorm parameters per channel, as tf.batchNorm takes them. */
export interface BatchNormParams {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly offset: Float32Array;
  readonly scale: Float32Array;
}

/**
 * Folds `batchNorm(conv(x, w), p)` into one conv: w' = w * g, b' = offset - mean * g
 * with g = scale / sqrt(variance + epsilon) per output channel (OIHW weights).
 * Quantizing the folded weights, not the raw ones, is what keeps the BatchNorm
 * out of the int8 graph. Computed in double, stored as float32.
 */
export function foldBatchNorm(weights: Float32Array, p: BatchNormParams, epsilon: number): { weights: Float32Array; bias: Float32Array } {
  const channels = p.mean.length;
  const per = weights.length / channels;
  const folded = new Float32Array(weights.length);
  const bias = new Float32Array(channels);
  for (let o = 0; o < channels; o++) {
    const g = p.scale[o] / Math.sqrt(p.variance[o] + epsilon);
    for (let i = o * per; i < (o + 1) * per; i++) folded[i] = weights[i] * g;
    bias[o] = p.offset[o] - p.mean[o] * g;
  }
  return { weights: folded, bias };
}

/**
 * The uint8 quantization of activations in [min, max]: 255 steps over the
 * range widened to hold 0, with the zero point an integer so that real 0 (a
 * ReLU's output, the padding) is exact. min = 0 gives zero point 0, whose
 * saturation below is a ReLU.
 */
export function activationQuantForRange(min: number, max: number): ActivationQuant {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!(hi > lo)) throw new Error(`activationQuantForRange: empty range [${min}, ${max}]`);
  const scale = (hi - lo) / 255;
  return { scale: Math.fround(scale), zeroPoint: Math.round((0 - lo) / scale) };
}
