import os from 'node:os';
import type { EnginePrecision } from './int8-support.js';

/** How the ONNX engine runs; the defaults suit a server process that owns the machine. */
export interface OnnxEngineConfig {
  /**
   * Intra-op threads of each ONNX Runtime session (`FACEGRAPH_THREADS`).
   * Default: every core. The three sessions run one after another, so they
   * share these threads rather than multiplying them.
   */
  threads?: number;
  /**
   * `fp32` (default): face-api's networks as they are, matching the tfjs reference.
   * `int8`: the detector and the recogniser quantized (`ssd-mobilenet-int8-graph.ts`,
   * `recognition-net-int8-graph.ts`), each 2-3x faster on CPUs with VNNI; the landmark net
   * stays float32. Descriptors stay in float32's space (within cosine distance 0.001 of
   * float32's), so the model id is the same. `createEngine` resolves
   * `FACEGRAPH_PRECISION=auto` to one of these.
   */
  precision?: EnginePrecision;
  /** Folder of face-api's tfjs weights; default: the one inside `@vladmandic/face-api`. */
  modelDir?: string;
  /** The committed manifest the converted models must match; default `models/face-api-onnx.json`. */
  manifestPath?: string;
}

/** The default thread count: all cores the process may use. */
export function defaultThreads(): number {
  return os.availableParallelism();
}
