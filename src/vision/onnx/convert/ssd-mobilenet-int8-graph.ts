import { type Int8GraphForm, Int8GraphBuilder, type QuantizedValue } from './int8-graph-builder.js';
import type { GraphValue } from './onnx-graph-builder.js';
import { addBoxPredictors, BATCH_NORM_EPSILON, ssdFeatureMaps, ssdLayerName } from './ssd-mobilenet-graph.js';
import { hwioToOihwDepthwise } from './tf-layout.js';
import type { TfjsWeights, WeightTensor } from './tfjs-weights.js';
import { type ActivationQuant, foldBatchNorm } from './weight-quantization.js';

/**
 * Every MobileNet conv but the first reads a ReLU6 output, so [0, 6] in 255
 * steps holds it exactly, and the uint8 saturation of a conv's output with this
 * quantization *is* the ReLU6: the Clip nodes disappear.
 */
export const RELU6_QUANT: ActivationQuant = { scale: 6 / 255, zeroPoint: 0 };

/**
 * The network input. The float graph takes x = pixel / 127.5 - 1 in [-1, 1]
 * (`NETWORK_SPECS.detector`); this one takes the resized pixels themselves as
 * uint8 (`writeNetworkInputUint8`, 10-15 % less preparation time), read as
 * x = (q - 128) / 127.5 so that TF's zero padding is exactly the zero point.
 * That reads every pixel half a level low (x - 0.5/127.5), which the first
 * conv's bias puts back ({@link INPUT_OFFSET_CORRECTION}); what remains is the
 * rounding of the resized value, half a level at most.
 */
export const DETECTOR_INPUT_QUANT: ActivationQuant = { scale: 1 / 127.5, zeroPoint: 128 };
/** x_true - x_read for every pixel of the uint8 input: added to the first conv as bias * sum of its weights. */
export const INPUT_OFFSET_CORRECTION = 0.5 / 127.5;

/**
 * Layers the int8 detector runs in float32: none. The error is the uint8 activations' throughout, not
 * any one layer's, so keeping layers float buys nothing (docs/quality.md, The int8 detector).
 */
export const SSD_FLOAT_LAYERS: readonly string[] = [];

/** How to build the int8 detector; the defaults are the engine's. */
export interface SsdInt8Options {
  form?: Int8GraphForm;
  /** Layer names (`ssdLayerName`) to keep float32, between DequantizeLinear and QuantizeLinear. */
  floatLayers?: readonly string[];
}

/**
 * face-api's SSD MobileNet v1 (see `ssd-mobilenet-graph.ts`, which this
 * follows layer by layer) with its 35 convs (27 MobileNet, 8 prediction) in
 * int8: weights per output channel, depthwise BatchNorms folded in first,
 * ReLU6 outputs as uint8 (scale 6/255). The six box-predictor heads stay float
 * on the dequantized feature maps: under 1 % of the multiply-adds, and their
 * outputs are the box offsets and logits, where rounding would show directly.
 * Same outputs as the float graph; the input is the same square as uint8
 * pixels instead of float32. Its boxes lie close enough to float32's that the
 * pipeline's modelId stays (docs/quality.md, The int8 detector).
 */
export function buildSsdMobilenetInt8Graph(weights: TfjsWeights, inputSize: number, options: SsdInt8Options = {}): Uint8Array {
  const form = options.form ?? 'qlinear';
  const floatLayers = new Set(options.floatLayers ?? SSD_FLOAT_LAYERS);
  const g = new Int8GraphBuilder('ssd_mobilenetv1_int8', form);
  const w = (name: string, rank?: number) => weights.get(name, rank);
  const input: QuantizedValue = { ...g.input('input', [-1, 3, inputSize, inputSize], 'uint8', true), quant: DETECTOR_INPUT_QUANT };
  /** A layer's input as float (the network input without the offset correction: for experiments only). */
  const asFloat = (x: QuantizedValue | undefined): GraphValue => g.dequantize(x ?? input);

  /** `x` undefined = the network input. */
  const pointwise = (x: QuantizedValue | undefined, prefix: string, idx: number, stride: number): QuantizedValue => {
    const filters = w(`${prefix}/Conv2d_${idx}_pointwise/weights`, 4);
    const bias = w(`${prefix}/Conv2d_${idx}_pointwise/convolution_bn_offset`, 1);
    if (floatLayers.has(ssdLayerName(prefix, idx, 'pointwise'))) {
      const out = g.conv(asFloat(x), filters, undefined, stride, 'same');
      return g.quantize(g.clip(g.add(out, bias), 0, 6), RELU6_QUANT);
    }
    return g.conv8(x ?? input, {
      filters,
      bias: x ? bias.data : correctInputOffset(filters, bias.data),
      stride,
      padding: 'same',
      output: RELU6_QUANT,
    });
  };
  const depthwise = (x: QuantizedValue, idx: number, stride: number): QuantizedValue => {
    const p = `MobilenetV1/Conv2d_${idx}_depthwise`;
    const filters = w(`${p}/depthwise_weights`, 4);
    const bn = {
      mean: w(`${p}/BatchNorm/moving_mean`, 1),
      variance: w(`${p}/BatchNorm/moving_variance`, 1),
      offset: w(`${p}/BatchNorm/beta`, 1),
      scale: w(`${p}/BatchNorm/gamma`, 1),
    };
    if (floatLayers.has(ssdLayerName('MobilenetV1', idx, 'depthwise'))) {
      const out = g.batchNorm(g.conv(asFloat(x), filters, undefined, stride, 'same', true), bn, BATCH_NORM_EPSILON);
      return g.quantize(g.clip(out, 0, 6), RELU6_QUANT);
    }
    const folded = foldBatchNorm(
      hwioToOihwDepthwise(filters),
      { mean: bn.mean.data, variance: bn.variance.data, offset: bn.offset.data, scale: bn.scale.data },
      BATCH_NORM_EPSILON,
    );
    return g.conv8(x, { filters, oihw: folded.weights, bias: folded.bias, stride, padding: 'same', depthwise: true, output: RELU6_QUANT });
  };

  // `undefined` stands for the network input (see pointwise above).
  const features = ssdFeatureMaps<QuantizedValue | undefined>(undefined, pointwise, (x, idx, stride) => depthwise(x!, idx, stride)).map(
    (f) => g.dequantize(f!),
  );
  addBoxPredictors(g, weights, features);
  return g.toBytes(`face-api SSD MobileNet v1, int8 (${form}), converted from @vladmandic/face-api tfjs weights`);
}

/** The first conv's bias plus {@link INPUT_OFFSET_CORRECTION} times the sum of each output channel's weights (HWIO). */
function correctInputOffset(filters: WeightTensor, bias: Float32Array): Float32Array {
  const cout = filters.shape[3];
  const sums = new Float64Array(cout);
  filters.data.forEach((v, i) => (sums[i % cout] += v));
  return Float32Array.from(bias, (b, o) => b + INPUT_OFFSET_CORRECTION * sums[o]);
}
