import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Int8GraphForm, Int8GraphBuilder, type Int8ConvParams, type QuantizedValue } from './int8-graph-builder.js';
import { defaultManifestPath } from './model-manifest.js';
import { NETWORK_SPECS } from '../network-specs.js';
import { downPadding, FIRST_CONV, FIRST_POOL, foldScaleLayer, RESNET_BLOCKS } from './recognition-net-graph.js';
import type { TfjsWeights } from './tfjs-weights.js';
import { type ActivationQuant, activationQuantForRange, quantizeWeightsPerChannel } from './weight-quantization.js';

/**
 * The measured value range of one quantization point of the recognition net
 * (scripts/calibrate-int8-recognition.ts): the extremes, low and high
 * percentiles, and the range that minimises the squared quantization error.
 */
export interface TensorRange {
  min: number;
  max: number;
  /** Percentile -> value, e.g. `"99.99"` and `"0.01"`. */
  percentiles: Record<string, number>;
  /** [lo, hi] minimising rounding (step^2 / 12) plus clipping error over the calibration values. */
  mse: [number, number];
  /** The mean of each channel (for the bias correction of the convs that read it). */
  channelMeans: number[];
}

/** models/recognition-int8-calibration.json. */
export interface RecognitionCalibration {
  about: string;
  photos: string[];
  chips: number;
  /** Per channel, the mean of the network input as the int8 graph reads it (pixel / 255). */
  inputChannelMeans: number[];
  tensors: Record<string, TensorRange>;
}

/** How a calibrated range is chosen: the extremes, a percentile pair (p, 100 - p), or the least squared error. */
export type RangeRule = 'max' | 'mse' | `p${string}`;

/** [lo, hi] per quantization point by `rule`. */
export function recognitionRanges(calibration: RecognitionCalibration, rule: RangeRule): Record<string, [number, number]> {
  return Object.fromEntries(
    Object.entries(calibration.tensors).map(([name, t]) => {
      if (rule === 'max') return [name, [t.min, t.max]];
      if (rule === 'mse') return [name, t.mse];
      const p = rule.slice(1);
      const hi = t.percentiles[p];
      const lo = t.min >= 0 ? 0 : t.percentiles[String(Number((100 - Number(p)).toFixed(6)))];
      if (hi === undefined || lo === undefined) throw new Error(`calibration has no percentile ${p} for ${name}`);
      return [name, [lo, hi]];
    }),
  );
}

/** The committed calibration: `models/recognition-int8-calibration.json`, beside the model manifest. */
export function defaultRecognitionCalibrationPath(): string {
  return path.join(path.dirname(defaultManifestPath()), 'recognition-int8-calibration.json');
}

/**
 * The rule the engine's int8 recogniser takes its ranges by: the calibration's
 * extremes. The ReLUs have no fixed bound (block outputs reach 9-27), yet
 * clipping costs more than the coarser step: over the 771 chips of the
 * evaluation sets' 257 faces (bench/measure/bench-int8-recognition.ts --photos
 * evaluation --rules ...), face embeddings' cosine distance to float32, p99 /
 * max, all with bias correction: max 0.00022 / 0.00030, least squared error
 * 0.00040 / 0.00058, p99.999 0.00059 / 0.0011, p99.99 0.0026 / 0.0031,
 * p99.9 0.0057 / 0.0065.
 */
export const RECOGNITION_RANGE_RULE: RangeRule = 'max';

/**
 * What the int8 graph takes from the committed calibration: the ranges by
 * {@link RECOGNITION_RANGE_RULE} and the channel means for bias correction.
 */
export async function loadRecognitionCalibration(
  file = defaultRecognitionCalibrationPath(),
): Promise<Pick<RecognitionInt8Options, 'ranges' | 'channelMeans'>> {
  const calibration = JSON.parse(await readFile(file, 'utf8')) as RecognitionCalibration;
  return { ranges: recognitionRanges(calibration, RECOGNITION_RANGE_RULE), channelMeans: channelMeansOf(calibration) };
}

/** The calibration's channel means by tensor name, the network input as `input`. */
export function channelMeansOf(calibration: RecognitionCalibration): Record<string, readonly number[]> {
  return {
    input: calibration.inputChannelMeans,
    ...Object.fromEntries(Object.entries(calibration.tensors).map(([k, t]) => [k, t.channelMeans])),
  };
}

/** How to build the int8 recogniser. */
export interface RecognitionInt8Options {
  /** [lo, hi] of every quantization point (see `buildRecognitionNetGraph`'s probe for the names). */
  ranges: Record<string, [number, number]>;
  form?: Int8GraphForm;
  /** Conv layers (`conv32_down`, `<block>/conv1`, `<block>/conv2`) to keep float32. */
  floatLayers?: readonly string[];
  /**
   * Mean of every channel of each conv's input (probe names, and `input` for
   * the network input as x = pixel / 255), for bias correction: the int8
   * weights' error times the mean input, subtracted from the bias.
   */
  channelMeans?: Record<string, readonly number[]>;
  /** Every quantization point dequantized as a graph output too, named as the float graph's probe names them. */
  probe?: boolean;
}

/**
 * The recogniser's input: the chip's pixels as uint8, read as x = q / 255.
 * The float graph takes x = (pixel - mean[c]) / 255; the mean is folded into
 * the first conv's bias instead ({@link meanCorrectedBias}), which is exact
 * because that conv is 'valid' (no padding to see the difference).
 */
export const RECOGNITION_INPUT_QUANT: ActivationQuant = { scale: 1 / 255, zeroPoint: 0 };

/**
 * face-api's recognition ResNet (see `recognition-net-graph.ts`, which this
 * follows block by block) with its 29 convs in int8: the conv bias and "scale"
 * layer folded into the weights, weights int8 per output channel with bias
 * correction, activations uint8 per tensor with calibrated ranges
 * (models/recognition-int8-calibration.json); residual adds as QLinearAdd (by
 * ONNX Runtime's QDQ fusion), the shortcuts' 2 x 2 average pools as depthwise
 * QLinearConvs. The global average pool and the final 256 -> 128 dense layer
 * stay float32: the descriptor is float. Same output as the float graph; the
 * input is the chip's pixels as uint8 ({@link RECOGNITION_INPUT_QUANT}).
 *
 * Its descriptors stay close enough to float32's that the pipeline's modelId
 * stays; layers kept float32 buy nothing, as the error is the uint8
 * activations', spread over every layer (docs/quality.md, The int8 recogniser;
 * its speed: docs/benchmarks.md, Detector passes and precision).
 */
export function buildRecognitionNetInt8Graph(weights: TfjsWeights, inputSize: number, options: RecognitionInt8Options): Uint8Array {
  const form = options.form ?? 'qlinear';
  const floatLayers = new Set(options.floatLayers ?? []);
  const g = new Int8GraphBuilder('face_recognition_int8', form);
  const quant = (name: string): ActivationQuant => {
    const range = options.ranges[name];
    if (!range) throw new Error(`no calibrated range for ${name}`);
    return activationQuantForRange(range[0], range[1]);
  };

  const tap = (x: QuantizedValue, name: string): QuantizedValue => {
    if (options.probe) g.output(g.dequantize(x), name);
    return x;
  };

  /** One conv layer, `from` naming its input (for the channel means). */
  const convLayer = (
    x: QuantizedValue,
    from: string,
    prefix: string,
    stride: number,
    padding: 'same' | 'valid',
    bias?: Float32Array,
  ): QuantizedValue => {
    const folded = foldScaleLayer(weights, prefix);
    let b = bias ?? folded.bias;
    const means = options.channelMeans?.[from];
    if (means && !floatLayers.has(prefix)) b = correctBias(b, folded.oihw, means);
    const p: Int8ConvParams = { filters: folded.filters, oihw: folded.oihw, bias: b, stride, padding, output: quant(prefix) };
    return tap(floatLayers.has(prefix) ? g.convFloat(x, p) : g.conv8(x, p), prefix);
  };

  const residual = (x: QuantizedValue, from: string, prefix: string): QuantizedValue => {
    const out = convLayer(convLayer(x, from, `${prefix}/conv1`, 1, 'same'), `${prefix}/conv1`, `${prefix}/conv2`, 1, 'same');
    return tap(g.add8(out, x, quant(prefix)), prefix);
  };

  const residualDown = (x: QuantizedValue, from: string, prefix: string): QuantizedValue => {
    let out = convLayer(convLayer(x, from, `${prefix}/conv1`, 2, 'valid'), `${prefix}/conv1`, `${prefix}/conv2`, 1, 'same');
    let pooled = g.avgPool8(x, 2, 2);
    const pad = downPadding(out, pooled, prefix);
    if (pad.spatial) out = g.padEnd8(out, [0, 0, 1, 1]);
    if (pad.channels > 0) pooled = g.padEnd8(pooled, [0, pad.channels, 0, 0]);
    return tap(g.add8(pooled, out, quant(prefix)), prefix);
  };

  const input: QuantizedValue = { ...g.input('input', [-1, 3, inputSize, inputSize], 'uint8'), quant: RECOGNITION_INPUT_QUANT };
  let out = convLayer(input, 'input', FIRST_CONV, 2, 'valid', meanCorrectedBias(weights));
  out = tap(g.maxPool8(out, 3, 2), FIRST_POOL);
  let from = FIRST_POOL;
  for (const block of RESNET_BLOCKS) {
    out = block.kind === 'down' ? residualDown(out, from, block.name) : residual(out, from, block.name);
    from = block.name;
  }

  const globalAvg = g.globalAveragePool(g.dequantize(out));
  g.output(g.dense(globalAvg, weights.get('fc', 2)), 'descriptor');
  return g.toBytes(`face-api face recognition ResNet, int8 (${form}), converted from @vladmandic/face-api tfjs weights`);
}

/** The first conv's folded bias minus its response to the mean pixel: conv((p - mean) / 255) = conv(p / 255) - conv(mean / 255). */
function meanCorrectedBias(weights: TfjsWeights): Float32Array {
  const { oihw, bias, filters } = foldScaleLayer(weights, FIRST_CONV);
  const [kh, kw, cin] = filters.shape;
  const mean = NETWORK_SPECS.recognition.mean.map((m) => Math.fround(m) / NETWORK_SPECS.recognition.divisor);
  return Float32Array.from(bias, (b, o) => {
    let sum = 0;
    for (let c = 0; c < cin; c++) for (let k = 0; k < kh * kw; k++) sum += oihw[(o * cin + c) * kh * kw + k] * mean[c];
    return b - sum;
  });
}

/**
 * Bias correction (Nagel et al. 2019, "Data-free quantization"): int8 weights
 * w_q = w + e make a conv's output err by conv(x, e), whose mean over inputs
 * is e . mean(x) per output channel; ReLU outputs have large positive means,
 * so that error is mostly a constant offset, the same for every face. It is
 * subtracted from the bias: b - sum over (c, k) of e[o, c, k] * mean[c].
 */
function correctBias(bias: Float32Array, oihw: Float32Array, means: readonly number[]): Float32Array {
  const cout = bias.length;
  const cin = means.length;
  const taps = oihw.length / (cout * cin);
  const q = quantizeWeightsPerChannel(oihw, cout);
  return Float32Array.from(bias, (b, o) => {
    let err = 0;
    for (let c = 0; c < cin; c++) {
      for (let k = 0; k < taps; k++) {
        const i = (o * cin + c) * taps + k;
        err += (q.data[i] * q.scales[o] - oihw[i]) * means[c];
      }
    }
    return b - err;
  });
}
