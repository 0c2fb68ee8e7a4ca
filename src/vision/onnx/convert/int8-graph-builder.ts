import { type GraphValue, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { hwioToOihw, hwioToOihwDepthwise, type TfPadding } from './tf-layout.js';
import type { WeightTensor } from './tfjs-weights.js';
import { type ActivationQuant, quantizeBias, quantizeWeightsPerChannel } from './weight-quantization.js';

/** A uint8 tensor in the graph and the quantization that gives it its real values. */
export interface QuantizedValue extends GraphValue {
  readonly quant: ActivationQuant;
}

/**
 * How a quantized conv is written. `qlinear`: one QLinearConv node, the kernel
 * ONNX Runtime runs. `qdq`: DequantizeLinear -> float Conv -> QuantizeLinear,
 * which ONNX Runtime fuses back into QLinearConv at optimisation level `all`;
 * kept to compare the two (see `bench/measure/bench-int8-detector.ts`).
 */
export type Int8GraphForm = 'qlinear' | 'qdq';

/** What one int8 conv needs beyond its input: float OIHW weights (BatchNorm already folded) and bias. */
export interface Int8ConvParams {
  /** tfjs' HWIO filter shape, for the layout and the geometry. */
  readonly filters: WeightTensor;
  /** Folded weights in OIHW, or undefined to take `filters` as they are. */
  readonly oihw?: Float32Array;
  readonly bias: Float32Array;
  readonly stride: number;
  readonly padding: TfPadding;
  readonly depthwise?: boolean;
  /** The output's quantization; its saturation doubles as a ReLU6 when it spans exactly [0, 6]. */
  readonly output: ActivationQuant;
}

/**
 * {@link OnnxGraphBuilder} plus int8 convolutions: int8 weights with
 * per-output-channel symmetric scales, int32 bias in the accumulator's unit,
 * uint8 activations with a per-tensor scale and zero point.
 */
export class Int8GraphBuilder extends OnnxGraphBuilder {
  private readonly quantScalars = new Map<string, string>();

  constructor(
    graphName: string,
    readonly form: Int8GraphForm,
  ) {
    super(graphName);
  }

  /** QuantizeLinear: float -> uint8 (round half to even, saturating). */
  quantize(x: GraphValue, quant: ActivationQuant): QuantizedValue {
    const out = this.op('QuantizeLinear', [x.name, this.scaleName(quant.scale), this.zeroPointName(quant.zeroPoint)], x.shape);
    return { ...out, quant };
  }

  /** DequantizeLinear: uint8 -> float. */
  dequantize(x: QuantizedValue): GraphValue {
    return this.op('DequantizeLinear', [x.name, this.scaleName(x.quant.scale), this.zeroPointName(x.quant.zeroPoint)], x.shape);
  }

  /** An int8 conv (+ bias) from `x` to a uint8 output quantized as `p.output`. */
  conv8(x: QuantizedValue, p: Int8ConvParams): QuantizedValue {
    const [kh, kw, cin, cout] = p.filters.shape;
    const channels = x.shape[1];
    if (cin !== channels) throw new Error(`conv8: filter expects ${cin} channels, input has ${channels}`);
    const outChannels = p.depthwise ? cin * cout : cout;
    const oihw = p.oihw ?? (p.depthwise ? hwioToOihwDepthwise(p.filters) : hwioToOihw(p.filters));
    const dims = p.depthwise ? [outChannels, 1, kh, kw] : [outChannels, cin, kh, kw];
    const w = quantizeWeightsPerChannel(oihw, outChannels);
    const b = quantizeBias(p.bias, x.quant.scale, w.scales);
    const { h, w: wd, pads } = this.window(x, kh, kw, p.stride, p.padding);
    const shape = [x.shape[0], outChannels, h, wd];
    const attrs = {
      kernel_shape: [kh, kw],
      strides: [p.stride, p.stride],
      ...pads,
      dilations: [1, 1],
      group: p.depthwise ? cin : 1,
    };
    const wName = this.typedConstant(w.data, dims, 'wq');
    const wScale = this.constant(w.scales, [outChannels], 'w_scale');
    const wZero = this.typedConstant(new Int8Array(outChannels), [outChannels], 'w_zp');
    const bName = this.typedConstant(b, [outChannels], 'bq');
    if (this.form === 'qlinear') {
      const inputs = [x.name, this.scaleName(x.quant.scale), this.zeroPointName(x.quant.zeroPoint), wName, wScale, wZero];
      inputs.push(this.scaleName(p.output.scale), this.zeroPointName(p.output.zeroPoint), bName);
      return { ...this.op('QLinearConv', inputs, shape, attrs), quant: p.output };
    }
    // QDQ: the same integers, written as float ops between (de)quantize nodes for ORT to fuse.
    const xf = this.dequantize(x);
    const wf = this.op('DequantizeLinear', [wName, wScale, wZero], dims, { axis: 0 });
    const biasScale = Float32Array.from(w.scales, (s) => Math.fround(x.quant.scale) * s);
    const bZero = this.typedConstant(new Int32Array(outChannels), [outChannels], 'b_zp');
    const bf = this.op('DequantizeLinear', [bName, this.constant(biasScale, [outChannels], 'b_scale'), bZero], [outChannels], { axis: 0 });
    const y = this.op('Conv', [xf.name, wf.name, bf.name], shape, attrs);
    return this.quantize(y, p.output);
  }

  /**
   * The same layer as {@link conv8} with float32 weights and arithmetic between
   * a DequantizeLinear and a QuantizeLinear: for a layer kept float because
   * int8 weights hurt it. Written plainly (DequantizeLinear -> Conv ->
   * QuantizeLinear) it would not stay float: ONNX Runtime's QDQ optimisations
   * (level basic and up) quantize such a Conv's float weights themselves, per
   * tensor, which measured worse than the int8 layer (relative error after
   * the recogniser's first conv 0.024, against 0.018 int8 and 0.0145 float).
   */
  convFloat(x: QuantizedValue, p: Int8ConvParams): QuantizedValue {
    const [kh, kw, cin, cout] = p.filters.shape;
    if (p.depthwise) throw new Error('convFloat: depthwise layers are not needed');
    const oihw = p.oihw ?? hwioToOihw(p.filters);
    const { h, w: wd, pads } = this.window(x, kh, kw, p.stride, p.padding);
    // x * 2 into weights / 2: the Mul keeps the Conv's input from being a DequantizeLinear, without which
    // ONNX Runtime's QDQ weight quantization would turn this float Conv into a per-tensor int8 one.
    const doubled = this.op('Mul', [this.dequantize(x).name, this.constant(Float32Array.of(2), [], 'two')], x.shape);
    const y = this.op(
      'Conv',
      [
        doubled.name,
        this.constant(
          oihw.map((v) => v / 2),
          [cout, cin, kh, kw],
          'w',
        ),
        this.constant(p.bias, [cout], 'b'),
      ],
      [x.shape[0], cout, h, wd],
      {
        kernel_shape: [kh, kw],
        strides: [p.stride, p.stride],
        ...pads,
        dilations: [1, 1],
        group: 1,
      },
    );
    return this.quantize(y, p.output);
  }

  /**
   * a + b requantized to `output`, written as DequantizeLinear x 2 -> Add ->
   * QuantizeLinear, which ONNX Runtime fuses into one QLinearAdd (uint8 in,
   * uint8 out; `ms` domain, so it is not written directly). With a zero point
   * of 0 the output's saturation at 0 is a following ReLU.
   */
  add8(a: QuantizedValue, b: QuantizedValue, output: ActivationQuant): QuantizedValue {
    return this.quantize(this.add(this.dequantize(a), this.dequantize(b)), output);
  }

  /**
   * A 'valid' average pool at the input's quantization, written as a depthwise
   * conv with every weight 1 / (size * size) (exact in int8: 127 x scale),
   * so that it runs in the same NHWC QLinearConv kernels as its neighbours.
   */
  avgPool8(x: QuantizedValue, size: number, stride: number): QuantizedValue {
    const channels = x.shape[1];
    const filters = { shape: [size, size, channels, 1], data: new Float32Array(size * size * channels).fill(1 / (size * size)) };
    return this.conv8(x, { filters, bias: new Float32Array(channels), stride, padding: 'valid', depthwise: true, output: x.quant });
  }

  /** MaxPool on the uint8 values themselves: the order of the quantized values is that of the real ones. */
  maxPool8(x: QuantizedValue, size: number, stride: number): QuantizedValue {
    return { ...this.pool('max', x, size, stride, 'valid'), quant: x.quant };
  }

  /** Padding with real zeros, i.e. the zero point (see {@link OnnxGraphBuilder.padEnd}). */
  padEnd8(x: QuantizedValue, after: number[]): QuantizedValue {
    return { ...this.padEnd(x, after, this.zeroPointName(x.quant.zeroPoint)), quant: x.quant };
  }

  /** One shared float scalar initializer per scale. */
  private scaleName(scale: number): string {
    return this.shared(`s${scale}`, () => this.constant(Float32Array.of(scale), [], 'q_scale'));
  }

  /** One shared uint8 scalar initializer per zero point. */
  private zeroPointName(zeroPoint: number): string {
    if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) throw new Error(`uint8 zero point ${zeroPoint}`);
    return this.shared(`z${zeroPoint}`, () => this.typedConstant(Uint8Array.of(zeroPoint), [], 'q_zp'));
  }

  private shared(key: string, make: () => string): string {
    let name = this.quantScalars.get(key);
    if (!name) {
      name = make();
      this.quantScalars.set(key, name);
    }
    return name;
  }
}
