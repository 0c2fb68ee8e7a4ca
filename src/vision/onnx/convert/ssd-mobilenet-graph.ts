import { type GraphValue, OnnxGraphBuilder } from './onnx-graph-builder.js';
import type { TfjsWeights } from './tfjs-weights.js';

/** tf.batchNorm's epsilon in face-api's MobileNet v1 (the float32 nearest 0.001). */
export const BATCH_NORM_EPSILON = 0.0010000000474974513;
/** Depthwise layers of MobileNet v1 that halve the resolution. */
const STRIDE_2_LAYERS = new Set([2, 4, 6, 12]);

/**
 * face-api's SSD MobileNet v1 as an ONNX graph, from the tfjs weights: a port
 * of `ssdMobilenetv1/mobileNetV1.ts` + `predictionLayer.ts`, layer by layer.
 * Input: [N, 3, 512, 512], already scaled to [-1, 1]. Outputs: the raw box
 * encodings [N, 5118, 4] and class logits [N, 5118, 3] of the six box
 * predictors, in face-api's anchor order. Box decoding, the sigmoid and NMS
 * stay in TypeScript (`ssd-postprocess.ts`), as face-api does them on the CPU.
 *
 * `probe`, for calibrating the int8 graph, makes every MobileNet and prediction
 * layer's ReLU6 output a graph output too, named as {@link ssdLayerName} does.
 */
export function buildSsdMobilenetGraph(weights: TfjsWeights, inputSize: number, probe = false): Uint8Array {
  const g = new OnnxGraphBuilder('ssd_mobilenetv1');
  const w = (name: string, rank?: number) => weights.get(name, rank);

  const tap = (x: GraphValue, name: string): GraphValue => {
    if (probe) g.output(x, name);
    return x;
  };
  const pointwise = (x: GraphValue, prefix: string, idx: number, stride: number): GraphValue => {
    const out = g.conv(x, w(`${prefix}/Conv2d_${idx}_pointwise/weights`, 4), undefined, stride, 'same');
    return tap(
      g.clip(g.add(out, w(`${prefix}/Conv2d_${idx}_pointwise/convolution_bn_offset`, 1)), 0, 6),
      ssdLayerName(prefix, idx, 'pointwise'),
    );
  };
  const depthwise = (x: GraphValue, idx: number, stride: number): GraphValue => {
    const p = `MobilenetV1/Conv2d_${idx}_depthwise`;
    const out = g.conv(x, w(`${p}/depthwise_weights`, 4), undefined, stride, 'same', true);
    const bn = g.batchNorm(
      out,
      {
        mean: w(`${p}/BatchNorm/moving_mean`, 1),
        variance: w(`${p}/BatchNorm/moving_variance`, 1),
        offset: w(`${p}/BatchNorm/beta`, 1),
        scale: w(`${p}/BatchNorm/gamma`, 1),
      },
      BATCH_NORM_EPSILON,
    );
    return tap(g.clip(bn, 0, 6), ssdLayerName('MobilenetV1', idx, 'depthwise'));
  };

  const input = g.input('input', [-1, 3, inputSize, inputSize], 'float', true);
  const features = ssdFeatureMaps(input, pointwise, depthwise);
  addBoxPredictors(g, weights, features);
  return g.toBytes('face-api SSD MobileNet v1, converted from @vladmandic/face-api tfjs weights');
}

/** The name of one conv layer's output, as the calibration file and the probe outputs know it. */
export function ssdLayerName(prefix: 'MobilenetV1' | 'Prediction' | string, idx: number, kind: 'pointwise' | 'depthwise'): string {
  return `${prefix}/Conv2d_${idx}_${kind}`;
}

/**
 * The topology both detector graphs share (float32 here, int8 in
 * ssd-mobilenet-int8-graph.ts): MobileNet v1's 13 depthwise + pointwise
 * layers, then the 8 prediction convs; returns the six feature maps the box
 * predictors read, in face-api's order. Each graph brings its own layers.
 */
export function ssdFeatureMaps<V>(
  input: V,
  pointwise: (x: V, prefix: string, idx: number, stride: number) => V,
  depthwise: (x: V, idx: number, stride: number) => V,
): V[] {
  let out = pointwise(input, 'MobilenetV1', 0, 2);
  let conv11: V | undefined;
  for (let layer = 1; layer <= 13; layer++) {
    out = depthwise(out, layer, STRIDE_2_LAYERS.has(layer) ? 2 : 1);
    out = pointwise(out, 'MobilenetV1', layer, 1);
    if (layer === 11) conv11 = out;
  }
  if (conv11 === undefined) throw new Error('unreachable: MobileNet v1 has 13 layers');

  const conv0 = pointwise(out, 'Prediction', 0, 1);
  const conv1 = pointwise(conv0, 'Prediction', 1, 2);
  const conv2 = pointwise(conv1, 'Prediction', 2, 1);
  const conv3 = pointwise(conv2, 'Prediction', 3, 2);
  const conv4 = pointwise(conv3, 'Prediction', 4, 1);
  const conv5 = pointwise(conv4, 'Prediction', 5, 2);
  const conv6 = pointwise(conv5, 'Prediction', 6, 1);
  const conv7 = pointwise(conv6, 'Prediction', 7, 2);
  return [conv11, out, conv1, conv3, conv5, conv7];
}

/**
 * The six box predictors (float32 in both graphs) on the feature maps, and the
 * graph's two outputs: box encodings [N, 5118, 4] and class logits [N, 5118, 3].
 */
export function addBoxPredictors(g: OnnxGraphBuilder, weights: TfjsWeights, features: GraphValue[]): void {
  const w = (name: string, rank?: number) => weights.get(name, rank);
  const boxes: GraphValue[] = [];
  const classes: GraphValue[] = [];
  features.forEach((x, i) => {
    const p = `Prediction/BoxPredictor_${i}`;
    const box = g.conv(x, w(`${p}/BoxEncodingPredictor/weights`, 4), w(`${p}/BoxEncodingPredictor/biases`, 1), 1, 'same');
    const cls = g.conv(x, w(`${p}/ClassPredictor/weights`, 4), w(`${p}/ClassPredictor/biases`, 1), 1, 'same');
    boxes.push(g.flattenNhwc(box, 4));
    classes.push(g.flattenNhwc(cls, 3));
  });
  g.output(g.concat(boxes, 1), 'box_encodings');
  g.output(g.concat(classes, 1), 'class_logits');
}
