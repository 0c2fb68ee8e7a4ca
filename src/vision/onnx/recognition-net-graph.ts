import { type GraphValue, OnnxGraphBuilder, type TfPadding } from './onnx-graph-builder.js';
import type { TfjsWeights } from './tfjs-weights.js';

/**
 * face-api's face recognition ResNet-34-like net (`FaceRecognitionNet`, dlib's
 * descriptor) as an ONNX graph: a port of `faceRecognitionNet/*.ts`. Input:
 * [N, 3, 150, 150], mean-subtracted and divided by 255. Output: [N, 128] raw
 * (not normalised) descriptors.
 */
export function buildRecognitionNetGraph(weights: TfjsWeights, inputSize: number): Uint8Array {
  const g = new OnnxGraphBuilder('face_recognition');
  const w = (name: string, rank?: number) => weights.get(name, rank);

  // conv + bias, then the "scale" layer (x * weights + biases), then an optional relu.
  const convLayer = (x: GraphValue, prefix: string, stride: number, relu: boolean, padding: TfPadding = 'same'): GraphValue => {
    let out = g.conv(x, w(`${prefix}/conv/filters`, 4), undefined, stride, padding);
    out = g.add(out, w(`${prefix}/conv/bias`, 1));
    out = g.add(g.mul(out, w(`${prefix}/scale/weights`, 1)), w(`${prefix}/scale/biases`, 1));
    return relu ? g.relu(out) : out;
  };

  const residual = (x: GraphValue, prefix: string): GraphValue => {
    const out = convLayer(convLayer(x, `${prefix}/conv1`, 1, true), `${prefix}/conv2`, 1, false);
    return g.relu(g.add(out, x));
  };

  const residualDown = (x: GraphValue, prefix: string): GraphValue => {
    let out = convLayer(x, `${prefix}/conv1`, 2, true, 'valid');
    out = convLayer(out, `${prefix}/conv2`, 1, false);
    let pooled = g.pool('avg', x, 2, 2, 'valid');
    // face-api pads the strided branch with a zero row and column when the
    // 'valid' conv came out one smaller than the pooled shortcut.
    const dh = pooled.shape[2] - out.shape[2];
    const dw = pooled.shape[3] - out.shape[3];
    if (dh !== 0 || dw !== 0) {
      if (dh !== 1 || dw !== 1) throw new Error(`${prefix}: unexpected shapes ${out.shape} vs ${pooled.shape}`);
      out = g.padEnd(out, [0, 0, 1, 1]);
    }
    // ... and the shortcut with zero channels when the block widens.
    const dc = out.shape[1] - pooled.shape[1];
    if (dc > 0) pooled = g.padEnd(pooled, [0, dc, 0, 0]);
    return g.relu(g.add(pooled, out));
  };

  const input = g.input('input', [-1, 3, inputSize, inputSize]);
  let out = convLayer(input, 'conv32_down', 2, true, 'valid');
  out = g.pool('max', out, 3, 2, 'valid');

  out = residual(out, 'conv32_1');
  out = residual(out, 'conv32_2');
  out = residual(out, 'conv32_3');

  out = residualDown(out, 'conv64_down');
  out = residual(out, 'conv64_1');
  out = residual(out, 'conv64_2');
  out = residual(out, 'conv64_3');

  out = residualDown(out, 'conv128_down');
  out = residual(out, 'conv128_1');
  out = residual(out, 'conv128_2');

  out = residualDown(out, 'conv256_down');
  out = residual(out, 'conv256_1');
  out = residual(out, 'conv256_2');
  out = residualDown(out, 'conv256_down_out');

  const globalAvg = g.globalAveragePool(out);
  g.output(g.dense(globalAvg, w('fc', 2)), 'descriptor');
  return g.toBytes('face-api face recognition ResNet, converted from @vladmandic/face-api tfjs weights');
}
