import { type GraphValue, OnnxGraphBuilder } from './onnx-graph-builder.js';
import type { TfjsWeights } from './tfjs-weights.js';

/**
 * face-api's 68-point landmark net (`FaceLandmark68Net`) as an ONNX graph: the
 * four dense blocks of `faceFeatureExtractor/denseBlock.ts`, the 7x7 average
 * pool and the fully connected layer. Input: [N, 3, 112, 112], mean-subtracted
 * and divided by 255. Output: [N, 136] interleaved x, y in [0, 1] of the padded
 * square; un-padding is done in TypeScript as face-api's `postProcess` does.
 */
export function buildLandmarkNetGraph(weights: TfjsWeights, inputSize: number): Uint8Array {
  const g = new OnnxGraphBuilder('face_landmark_68');
  const w = (name: string, rank?: number) => weights.get(name, rank);

  // A depthwise 3x3 then a pointwise 1x1, + bias.
  const separable = (x: GraphValue, prefix: string, stride: number): GraphValue =>
    g.separableConv(x, w(`${prefix}/depthwise_filter`, 4), w(`${prefix}/pointwise_filter`, 4), w(`${prefix}/bias`, 1), stride);

  const denseBlock4 = (x: GraphValue, prefix: string, isFirst: boolean): GraphValue => {
    const first = isFirst
      ? g.add(g.conv(x, w(`${prefix}/conv0/filters`, 4), undefined, 2, 'same'), w(`${prefix}/conv0/bias`, 1))
      : separable(x, `${prefix}/conv0`, 2);
    const out1 = g.relu(first);
    const out2 = separable(out1, `${prefix}/conv1`, 1);
    const in3 = g.relu(g.add(out1, out2));
    const out3 = separable(in3, `${prefix}/conv2`, 1);
    const in4 = g.relu(g.add(out1, g.add(out2, out3)));
    const out4 = separable(in4, `${prefix}/conv3`, 1);
    return g.relu(g.add(out1, g.add(out2, g.add(out3, out4))));
  };

  const input = g.input('input', [-1, 3, inputSize, inputSize]);
  let out = denseBlock4(input, 'dense0', true);
  out = denseBlock4(out, 'dense1', false);
  out = denseBlock4(out, 'dense2', false);
  out = denseBlock4(out, 'dense3', false);
  out = g.pool('avg', out, 7, 2, 'valid');
  if (out.shape[2] !== 1 || out.shape[3] !== 1) throw new Error(`landmark net: expected a 1x1 map, got ${out.shape.join('x')}`);
  const flat = g.globalAveragePool(out);
  g.output(g.dense(flat, w('fc/weights', 2), w('fc/bias', 1)), 'landmarks');
  return g.toBytes('face-api 68-point landmark net, converted from @vladmandic/face-api tfjs weights');
}
