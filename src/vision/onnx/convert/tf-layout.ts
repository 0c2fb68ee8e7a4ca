import type { WeightTensor } from './tfjs-weights.js';

/** TensorFlow's padding modes, which face-api's layers are written in. */
export type TfPadding = 'same' | 'valid';

/*
 * The TF-to-ONNX layout rules shared by the float and the int8 graph builders:
 * TF's "same" padding (asymmetric for stride 2) as explicit pads, and filters
 * from tfjs' HWIO to ONNX's OIHW.
 */

/** TF output size and (before, after) padding of one spatial axis. */
export function tfPad(size: number, kernel: number, stride: number, padding: TfPadding): [number, number, number] {
  if (padding === 'valid') return [Math.floor((size - kernel) / stride) + 1, 0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [out, before, total - before];
}

export function hwioToOihw(f: WeightTensor): Float32Array {
  const [kh, kw, cin, cout] = f.shape;
  const out = new Float32Array(f.data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = f.data[((h * kw + w) * cin + i) * cout + o];
  return out;
}

/** [kh, kw, C, M] -> [C * M, 1, kh, kw], TF's channel-major order of depthwise outputs. */
export function hwioToOihwDepthwise(f: WeightTensor): Float32Array {
  const [kh, kw, c, m] = f.shape;
  const out = new Float32Array(f.data.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < c; i++) for (let j = 0; j < m; j++) out[((i * m + j) * kh + h) * kw + w] = f.data[((h * kw + w) * c + i) * m + j];
  return out;
}
