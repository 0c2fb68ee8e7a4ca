import { type GraphValue, OnnxGraphBuilder, type TfPadding } from './onnx-graph-builder.js';
import { hwioToOihw } from './tf-layout.js';
import type { TfjsWeights, WeightTensor } from './tfjs-weights.js';

/** A residual block of the ResNet: `residual` keeps the shape, `down` halves the resolution (and may widen). */
export interface ResidualBlock {
  readonly name: string;
  readonly kind: 'residual' | 'down';
}

/**
 * face-api's blocks after the first conv and max pool, in order
 * (`faceRecognitionNet/FaceRecognitionNet.ts`). Both recognition graphs (float32
 * here, int8 in recognition-net-int8-graph.ts) walk this list.
 */
export const RESNET_BLOCKS: readonly ResidualBlock[] = [
  { name: 'conv32_1', kind: 'residual' },
  { name: 'conv32_2', kind: 'residual' },
  { name: 'conv32_3', kind: 'residual' },
  { name: 'conv64_down', kind: 'down' },
  { name: 'conv64_1', kind: 'residual' },
  { name: 'conv64_2', kind: 'residual' },
  { name: 'conv64_3', kind: 'residual' },
  { name: 'conv128_down', kind: 'down' },
  { name: 'conv128_1', kind: 'residual' },
  { name: 'conv128_2', kind: 'residual' },
  { name: 'conv256_down', kind: 'down' },
  { name: 'conv256_1', kind: 'residual' },
  { name: 'conv256_2', kind: 'residual' },
  { name: 'conv256_down_out', kind: 'down' },
];

/** The first conv layer (7 x 7, stride 2, ReLU), before the max pool. */
export const FIRST_CONV = 'conv32_down';
/** The max pool after it, the first block's input (a probe name; no weights of its own). */
export const FIRST_POOL = 'conv32_down/pool';

/**
 * face-api's face recognition ResNet-34-like net (`FaceRecognitionNet`, dlib's
 * descriptor) as an ONNX graph: a port of `faceRecognitionNet/*.ts`. Input:
 * [N, 3, 150, 150], mean-subtracted and divided by 255. Output: [N, 128] raw
 * (not normalised) descriptors.
 *
 * `probe`, for calibrating the int8 graph, makes every quantization point a
 * graph output too: the first conv's ReLU output (`conv32_down`) and its max
 * pool (`conv32_down/pool`, the first block's input), and per
 * block `<block>/conv1` (ReLU), `<block>/conv2` (before the residual add,
 * signed) and `<block>` (after the add's ReLU).
 */
export function buildRecognitionNetGraph(weights: TfjsWeights, inputSize: number, probe = false): Uint8Array {
  const g = new OnnxGraphBuilder('face_recognition');
  const w = (name: string, rank?: number) => weights.get(name, rank);
  const tap = (x: GraphValue, name: string): GraphValue => {
    if (probe) g.output(x, name);
    return x;
  };

  // conv + bias, then the "scale" layer (x * weights + biases), then an optional relu.
  const convLayer = (x: GraphValue, prefix: string, stride: number, relu: boolean, padding: TfPadding = 'same'): GraphValue => {
    let out = g.conv(x, w(`${prefix}/conv/filters`, 4), undefined, stride, padding);
    out = g.add(out, w(`${prefix}/conv/bias`, 1));
    out = g.add(g.mul(out, w(`${prefix}/scale/weights`, 1)), w(`${prefix}/scale/biases`, 1));
    return tap(relu ? g.relu(out) : out, prefix);
  };

  const residual = (x: GraphValue, prefix: string): GraphValue => {
    const out = convLayer(convLayer(x, `${prefix}/conv1`, 1, true), `${prefix}/conv2`, 1, false);
    return tap(g.relu(g.add(out, x)), prefix);
  };

  const residualDown = (x: GraphValue, prefix: string): GraphValue => {
    let out = convLayer(x, `${prefix}/conv1`, 2, true, 'valid');
    out = convLayer(out, `${prefix}/conv2`, 1, false);
    let pooled = g.pool('avg', x, 2, 2, 'valid');
    const pad = downPadding(out, pooled, prefix);
    if (pad.spatial) out = g.padEnd(out, [0, 0, 1, 1]);
    if (pad.channels > 0) pooled = g.padEnd(pooled, [0, pad.channels, 0, 0]);
    return tap(g.relu(g.add(pooled, out)), prefix);
  };

  const input = g.input('input', [-1, 3, inputSize, inputSize]);
  let out = convLayer(input, FIRST_CONV, 2, true, 'valid');
  out = tap(g.pool('max', out, 3, 2, 'valid'), FIRST_POOL);
  for (const block of RESNET_BLOCKS) out = block.kind === 'down' ? residualDown(out, block.name) : residual(out, block.name);

  const globalAvg = g.globalAveragePool(out);
  g.output(g.dense(globalAvg, w('fc', 2)), 'descriptor');
  return g.toBytes('face-api face recognition ResNet, converted from @vladmandic/face-api tfjs weights');
}

/**
 * How a down block's two branches are made to match: face-api pads the strided
 * conv branch with a zero row and column when the 'valid' conv came out one
 * smaller than the pooled shortcut, and the shortcut with zero channels when
 * the block widens.
 */
export function downPadding(conv: GraphValue, pooled: GraphValue, prefix: string): { spatial: boolean; channels: number } {
  const dh = pooled.shape[2] - conv.shape[2];
  const dw = pooled.shape[3] - conv.shape[3];
  if ((dh !== 0 || dw !== 0) && (dh !== 1 || dw !== 1)) throw new Error(`${prefix}: unexpected shapes ${conv.shape} vs ${pooled.shape}`);
  return { spatial: dh === 1, channels: Math.max(0, conv.shape[1] - pooled.shape[1]) };
}

/**
 * One conv layer's conv bias and "scale" layer folded into OIHW weights and a
 * bias: (conv(x, w) + b) * s + t = conv(x, w * s) + (b * s + t), per output
 * channel. Computed in double, stored as float32.
 */
export function foldScaleLayer(weights: TfjsWeights, prefix: string): { filters: WeightTensor; oihw: Float32Array; bias: Float32Array } {
  const filters = weights.get(`${prefix}/conv/filters`, 4);
  const b = weights.get(`${prefix}/conv/bias`, 1).data;
  const s = weights.get(`${prefix}/scale/weights`, 1).data;
  const t = weights.get(`${prefix}/scale/biases`, 1).data;
  const oihw = hwioToOihw(filters);
  const cout = filters.shape[3];
  const per = oihw.length / cout;
  for (let o = 0; o < cout; o++) for (let i = o * per; i < (o + 1) * per; i++) oihw[i] = oihw[i] * s[o];
  return { filters, oihw, bias: Float32Array.from(b, (v, o) => v * s[o] + t[o]) };
}
