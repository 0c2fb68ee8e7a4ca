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
   * `int8`: the detector quantized (`ssd-mobilenet-int8-graph.ts`), 2-3x faster on CPUs
   * with VNNI; the landmark and recognition nets stay float32, so descriptors live in
   * the same space. `createEngine` resolves `FACEGRAPH_PRECISION=auto` to one of these.
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
