import { type GraphValue, OnnxGraphBuilder } from './onnx-graph-builder.js';
import type { TfjsWeights } from './tfjs-weights.js';

/** Main blocks of the TinyXception face-api's `AgeGenderNet` is built on (`new TinyXception(2)`). */
const MAIN_BLOCKS = 2;

/**
 * Column of the gender softmax that is "male": face-api's `predictAgeAndGender`
 * reads `probMale` as `gender[0]`.
 */
export const MALE_INDEX = 0;

/**
 * face-api's age and gender net (`AgeGenderNet`) as an ONNX graph, gender
 * head only: the TinyXception feature extractor of `xception/TinyXception.ts`,
 * the 7x7 average pool, the gender fully connected layer and its softmax
 * (`AgeGenderNet.forwardInput`). The age head is left out: nothing reads it.
 * Input: [N, 3, 112, 112], mean-subtracted and divided by 255. Output:
 * [N, 2] probabilities, male at {@link MALE_INDEX}.
 */
export function buildAgeGenderNetGraph(weights: TfjsWeights, inputSize: number): Uint8Array {
  const g = new OnnxGraphBuilder('age_gender');
  const w = (name: string, rank?: number) => weights.get(name, rank);

  // tf.conv2d 'same' + bias (TinyXception's `conv`).
  const conv = (x: GraphValue, prefix: string, stride: number): GraphValue =>
    g.add(g.conv(x, w(`${prefix}/filters`, 4), undefined, stride, 'same'), w(`${prefix}/bias`, 1));

  // Stride 1 throughout this net.
  const separable = (x: GraphValue, prefix: string): GraphValue =>
    g.separableConv(x, w(`${prefix}/depthwise_filter`, 4), w(`${prefix}/pointwise_filter`, 4), w(`${prefix}/bias`, 1));

  // The shortcut is the 1x1 stride-2 `expansion_conv` of the block's input, not of its relu.
  const reductionBlock = (x: GraphValue, prefix: string, activateInput: boolean): GraphValue => {
    let out = separable(activateInput ? g.relu(x) : x, `${prefix}/separable_conv0`);
    out = separable(g.relu(out), `${prefix}/separable_conv1`);
    out = g.pool('max', out, 3, 2, 'same');
    return g.add(out, conv(x, `${prefix}/expansion_conv`, 2));
  };

  const mainBlock = (x: GraphValue, prefix: string): GraphValue => {
    let out = separable(g.relu(x), `${prefix}/separable_conv0`);
    out = separable(g.relu(out), `${prefix}/separable_conv1`);
    out = separable(g.relu(out), `${prefix}/separable_conv2`);
    return g.add(out, x);
  };

  const input = g.input('input', [-1, 3, inputSize, inputSize]);
  let out = g.relu(conv(input, 'entry_flow/conv_in', 2));
  out = reductionBlock(out, 'entry_flow/reduction_block_0', false);
  out = reductionBlock(out, 'entry_flow/reduction_block_1', true);
  for (let i = 0; i < MAIN_BLOCKS; i++) out = mainBlock(out, `middle_flow/main_block_${i}`);
  out = reductionBlock(out, 'exit_flow/reduction_block', true);
  out = g.relu(separable(out, 'exit_flow/separable_conv'));
  out = g.pool('avg', out, 7, 2, 'valid');
  if (out.shape[2] !== 1 || out.shape[3] !== 1) throw new Error(`age/gender net: expected a 1x1 map, got ${out.shape.join('x')}`);
  const flat = g.globalAveragePool(out);
  g.output(g.softmax(g.dense(flat, w('fc/gender/weights', 2), w('fc/gender/bias', 1))), 'gender');
  return g.toBytes('face-api age/gender net (gender head), converted from @vladmandic/face-api tfjs weights');
}
