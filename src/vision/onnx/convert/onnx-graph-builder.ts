import onnxProto from 'onnx-proto';
import { hwioToOihw, hwioToOihwDepthwise, type TfPadding, tfPad } from './tf-layout.js';
import type { WeightTensor } from './tfjs-weights.js';

const { onnx } = onnxProto;

/** ONNX opset the converted graphs target; ONNX Runtime 1.30 runs it natively. */
export const ONNX_OPSET = 17;
/** IR version matching the opset (ONNX 1.12+); onnx-proto's schema (IR 8) encodes it. */
const IR_VERSION = 8;

export type { TfPadding } from './tf-layout.js';

/**
 * A tensor in the graph being built. Shapes are NCHW with the batch as -1 so
 * that explicit pads and output sizes can be computed while building.
 */
export interface GraphValue {
  readonly name: string;
  readonly shape: readonly number[];
}

/** An ONNX attribute: an int, ints, a string, or `{ float }` for a float. */
type Attr = number | number[] | string | { float: number };

/**
 * Writes face-api's tfjs layers (NHWC, TF padding rules) as an ONNX graph
 * (NCHW, explicit pads). It exists so that each network file reads like
 * face-api's own code, layer by layer, while the TF-to-ONNX details (filter
 * layout HWIO -> OIHW, TF "same" padding being asymmetric for stride 2) are
 * solved once, here.
 */
export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly scalars = new Map<number, string>();
  private counter = 0;
  /**
   * A graph for any input height and width (see {@link input}): TF "same"
   * padding becomes ONNX's `SAME_UPPER`, computed by ONNX Runtime for the
   * actual size, and output sizes other than the last axis are symbolic.
   * Shapes are tracked at the nominal size the graph was built with.
   */
  private anySize = false;

  constructor(private readonly graphName: string) {}

  /**
   * Declares a graph input (float32 unless told); `-1` dimensions become the
   * symbolic batch `N`. With `anySize` the input's height and width (NCHW) are
   * symbolic too, `shape` giving the nominal size, and the graph becomes one
   * for any input size.
   */
  input(name: string, shape: number[], elemType: TensorDataType = 'float', anySize = false): GraphValue {
    if (anySize) this.anySize = true;
    const symbols = anySize ? ['N', 'C', 'H', 'W'] : ['N'];
    this.inputs.push(valueInfo(name, shape, elemType, anySize ? [0, 2, 3] : [], symbols));
    return { name, shape };
  }

  /** Declares `value` as a graph output under `name`. */
  output(value: GraphValue, name: string): void {
    this.nodes.push(node('Identity', [value.name], [name], this.uniqueName('out')));
    const symbolic = this.anySize ? value.shape.slice(0, -1).map((_, i) => i) : [];
    this.outputs.push(
      valueInfo(
        name,
        [...value.shape],
        'float',
        symbolic,
        value.shape.map((_, i) => `${name}_${i}`),
      ),
    );
  }

  /**
   * Output size and padding attributes of a window (conv, pool) with TF's
   * padding rule: explicit pads, or `SAME_UPPER` in a graph for any size
   * (TF's "same" puts the odd pixel at the end, as SAME_UPPER does).
   */
  protected window(
    x: GraphValue,
    kh: number,
    kw: number,
    stride: number,
    padding: TfPadding,
  ): { h: number; w: number; pads: Record<string, Attr> } {
    const [h, padTop, padBottom] = tfPad(x.shape[2], kh, stride, padding);
    const [w, padLeft, padRight] = tfPad(x.shape[3], kw, stride, padding);
    const pads: Record<string, Attr> =
      this.anySize && padding === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads: [padTop, padLeft, padBottom, padRight] };
    return { h, w, pads };
  }

  /** A float32 initializer. raw_data is little-endian in ONNX, as is every platform Node runs on here. */
  constant(data: Float32Array, dims: number[], hint = 'const'): string {
    return this.typedConstant(data, dims, hint);
  }

  /** An initializer of the typed array's element type (float32, int8, uint8 or int32). */
  protected typedConstant(data: Float32Array | Int8Array | Uint8Array | Int32Array, dims: number[], hint: string): string {
    const name = this.uniqueName(hint);
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims,
        dataType: DATA_TYPES[elementType(data)],
        rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
      }),
    );
    return name;
  }

  private int64Constant(values: number[], hint: string): string {
    const name = this.uniqueName(hint);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    return name;
  }

  /**
   * tf.conv2d (+ bias): `filters` is tfjs' [kh, kw, in, out]. A depthwise
   * filter [kh, kw, C, 1] is passed with `depthwise` and becomes a grouped conv.
   */
  conv(
    x: GraphValue,
    filters: WeightTensor,
    bias: WeightTensor | undefined,
    stride: number,
    padding: TfPadding,
    depthwise = false,
  ): GraphValue {
    const [kh, kw, cin, cout] = filters.shape;
    const channels = x.shape[1];
    if (cin !== channels) throw new Error(`conv: filter expects ${cin} channels, input has ${channels}`);
    const outChannels = depthwise ? cin * cout : cout;
    const weight = depthwise ? hwioToOihwDepthwise(filters) : hwioToOihw(filters);
    const weightName = this.constant(weight, depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw], 'w');
    const inputs = [x.name, weightName];
    if (bias) {
      if (bias.data.length !== outChannels) throw new Error(`conv: bias has ${bias.data.length} values, expected ${outChannels}`);
      inputs.push(this.constant(bias.data, [outChannels], 'b'));
    }
    const { h, w, pads } = this.window(x, kh, kw, stride, padding);
    return this.op('Conv', inputs, [x.shape[0], outChannels, h, w], {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      ...pads,
      dilations: [1, 1],
      group: depthwise ? cin : 1,
    });
  }

  /**
   * tf.separableConv2d 'same' + bias (face-api's `depthwiseSeparableConv`): the depthwise filter at `stride`,
   * then the 1x1 pointwise one, then the bias.
   */
  separableConv(x: GraphValue, depthwise: WeightTensor, pointwise: WeightTensor, bias: WeightTensor, stride = 1): GraphValue {
    const dw = this.conv(x, depthwise, undefined, stride, 'same', true);
    return this.add(this.conv(dw, pointwise, undefined, 1, 'same'), bias);
  }

  /** Element-wise a + b (same shape, or b broadcast as a per-channel vector). */
  add(a: GraphValue, b: GraphValue | WeightTensor): GraphValue {
    return this.op('Add', [a.name, this.operand(b, a)], a.shape);
  }

  /** Element-wise a * b with b a per-channel vector. */
  mul(a: GraphValue, b: WeightTensor): GraphValue {
    return this.op('Mul', [a.name, this.operand(b, a)], a.shape);
  }

  relu(x: GraphValue): GraphValue {
    return this.op('Relu', [x.name], x.shape);
  }

  clip(x: GraphValue, min: number, max: number): GraphValue {
    return this.op('Clip', [x.name, this.scalar(min), this.scalar(max)], x.shape);
  }

  /** One shared initializer per scalar value. */
  private scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.constant(Float32Array.of(value), [], 'scalar');
      this.scalars.set(value, name);
    }
    return name;
  }

  /**
   * tf.batchNorm: (x - mean) * scale / sqrt(variance + epsilon) + offset. The
   * constants are per channel; ONNX Runtime folds the node into the conv before it.
   */
  batchNorm(
    x: GraphValue,
    p: { mean: WeightTensor; variance: WeightTensor; offset: WeightTensor; scale: WeightTensor },
    epsilon: number,
  ): GraphValue {
    const c = x.shape[1];
    return this.op(
      'BatchNormalization',
      [
        x.name,
        this.constant(p.scale.data, [c], 'bn_scale'),
        this.constant(p.offset.data, [c], 'bn_offset'),
        this.constant(p.mean.data, [c], 'bn_mean'),
        this.constant(p.variance.data, [c], 'bn_var'),
      ],
      x.shape,
      { epsilon: { float: epsilon } },
    );
  }

  /** tf.avgPool / tf.maxPool with TF padding rules. */
  pool(kind: 'avg' | 'max', x: GraphValue, size: number, stride: number, padding: TfPadding): GraphValue {
    const [h, padTop, padBottom] = tfPad(x.shape[2], size, stride, padding);
    const [w, padLeft, padRight] = tfPad(x.shape[3], size, stride, padding);
    if (kind === 'avg' && padTop + padBottom + padLeft + padRight > 0) {
      // TF averages over the valid cells only; ONNX needs to be told so.
      throw new Error('avg pool with "same" padding is not used by face-api');
    }
    return this.op(kind === 'avg' ? 'AveragePool' : 'MaxPool', [x.name], [x.shape[0], x.shape[1], h, w], {
      kernel_shape: [size, size],
      strides: [stride, stride],
      pads: [padTop, padLeft, padBottom, padRight],
    });
  }

  /** Mean over H and W, then flattened to [N, C]. */
  globalAveragePool(x: GraphValue): GraphValue {
    const pooled = this.op('GlobalAveragePool', [x.name], [x.shape[0], x.shape[1], 1, 1]);
    return this.op('Flatten', [pooled.name], [x.shape[0], x.shape[1]], { axis: 1 });
  }

  /**
   * Padding at the end of each axis (`after[i]` elements on axis i): zeros, or
   * the scalar initializer `value` (the zero point of a quantized tensor).
   */
  padEnd(x: GraphValue, after: number[], value?: string): GraphValue {
    const pads = [...after.map(() => 0), ...after];
    const shape = x.shape.map((d, i) => (d < 0 ? d : d + after[i]));
    const inputs = [x.name, this.int64Constant(pads, 'pads')];
    if (value !== undefined) inputs.push(value);
    return this.op('Pad', inputs, shape, { mode: 'constant' });
  }

  /** [N, C] x weights[C, K] (+ bias[K]). */
  dense(x: GraphValue, weights: WeightTensor, bias?: WeightTensor): GraphValue {
    const [cin, cout] = weights.shape;
    if (cin !== x.shape[1]) throw new Error(`dense: weights expect ${cin} inputs, got ${x.shape[1]}`);
    const w = this.constant(weights.data, [cin, cout], 'fc');
    if (!bias) return this.op('MatMul', [x.name, w], [x.shape[0], cout]);
    return this.op('Gemm', [x.name, w, this.constant(bias.data, [cout], 'fc_b')], [x.shape[0], cout]);
  }

  /** tf.softmax over the last axis of [N, K]. */
  softmax(x: GraphValue): GraphValue {
    return this.op('Softmax', [x.name], x.shape, { axis: -1 });
  }

  /** NCHW -> [N, H * W * C / last, last]: tfjs' reshape of an NHWC conv output. */
  flattenNhwc(x: GraphValue, last: number): GraphValue {
    const [n, c, h, w] = x.shape;
    const nhwc = this.op('Transpose', [x.name], [n, h, w, c], { perm: [0, 2, 3, 1] });
    const shape = this.int64Constant([0, -1, last], 'shape');
    return this.op('Reshape', [nhwc.name, shape], [n, (h * w * c) / last, last]);
  }

  concat(values: GraphValue[], axis: number): GraphValue {
    const shape = [...values[0].shape];
    shape[axis] = values.reduce((sum, v) => sum + v.shape[axis], 0);
    return this.op(
      'Concat',
      values.map((v) => v.name),
      shape,
      { axis },
    );
  }

  /** Serialises the graph as an ONNX ModelProto. */
  toBytes(docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'facegraph',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private operand(b: GraphValue | WeightTensor, like: GraphValue): string {
    if ('name' in b) return b.name;
    // A per-channel vector broadcasts over NCHW as [C, 1, 1].
    if (b.data.length !== like.shape[1]) throw new Error(`per-channel operand has ${b.data.length} values, expected ${like.shape[1]}`);
    return this.constant(b.data, like.shape.length === 4 ? [b.data.length, 1, 1] : [b.data.length], 'c');
  }

  protected op(type: string, inputs: string[], shape: readonly number[], attrs: Record<string, Attr> = {}): GraphValue {
    const name = this.uniqueName(type.toLowerCase());
    this.nodes.push(node(type, inputs, [name], name, attrs));
    return { name, shape };
  }

  private uniqueName(hint: string): string {
    return `${hint}_${this.counter++}`;
  }
}

/** The ONNX element types the graphs use. */
export type TensorDataType = 'float' | 'int8' | 'uint8' | 'int32';

const DATA_TYPES: Record<TensorDataType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
};

function elementType(data: Float32Array | Int8Array | Uint8Array | Int32Array): TensorDataType {
  if (data instanceof Float32Array) return 'float';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  return 'int32';
}

/** `symbolic`: axes declared by name (`symbols[axis]`) rather than size, besides any `-1` (the batch, `N`). */
function valueInfo(name: string, shape: number[], elemType: TensorDataType = 'float', symbolic: number[] = [], symbols: string[] = []) {
  const dim = (d: number, axis: number) =>
    symbolic.includes(axis) ? { dimParam: symbols[axis] } : d < 0 ? { dimParam: 'N' } : { dimValue: d };
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[elemType],
        shape: { dim: shape.map(dim) },
      },
    },
  });
}

function node(opType: string, input: string[], output: string[], name: string, attrs: Record<string, Attr> = {}) {
  const { AttributeType } = onnx.AttributeProto;
  return onnx.NodeProto.create({
    opType,
    input,
    output,
    name,
    attribute: Object.entries(attrs).map(([key, value]) => {
      if (Array.isArray(value)) return { name: key, type: AttributeType.INTS, ints: value };
      if (typeof value === 'string') return { name: key, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
      if (typeof value === 'object') return { name: key, type: AttributeType.FLOAT, f: value.float };
      return { name: key, type: AttributeType.INT, i: value };
    }),
  });
}
