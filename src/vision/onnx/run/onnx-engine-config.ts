import os from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import type { EnginePrecision, NetworkPrecisions } from './int8-support.js';

/** How the ONNX engine runs; the defaults suit a server process that owns the machine. */
export interface OnnxEngineConfig {
  /**
   * Intra-op threads of each ONNX Runtime session (`FACEGRAPH_THREADS`).
   * Default: every core. The sessions run one after another, so they
   * share these threads rather than multiplying them.
   */
  threads?: number;
  /**
   * `fp32` (default): face-api's networks as they are, matching the tfjs reference.
   * `int8`: the detector and the recogniser quantized (`ssd-mobilenet-int8-graph.ts`,
   * `recognition-net-int8-graph.ts`), 2-3x faster each on CPUs with VNNI; the landmark net
   * stays float32 and descriptors stay within cosine distance 0.001 of float32's. Or each
   * network's own; `createEngine` resolves `FACEGRAPH_PRECISION` (see `resolvePrecision`).
   */
  precision?: EnginePrecision | NetworkPrecisions;
  /** Folder of face-api's tfjs weights; default: the one inside `@vladmandic/face-api`. */
  modelDir?: string;
  /** The committed manifest the converted models must match; default `models/face-api-onnx.json`. */
  manifestPath?: string;
}

/**
 * How every ONNX Runtime session of facegraph runs (the engine's, and the int8
 * benchmarks', so that they measure what the engine runs).
 */
export function sessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // No memory pattern: with it, ONNX Runtime plans one block per input shape and a photo of a new shape (a strip,
    // a batch of faces) ran slowly twice; without it, buffers come from the arena, which `OnnxEngine.warmUp` grows
    // once (docs/benchmarks.md, Earlier speed decisions).
    enableMemPattern: false,
    // 'all' enables the NCHWc (AVX2/AVX-512 blocked layout) kernels: 2x faster than 'basic' here.
    graphOptimizationLevel: 'all',
    // Idle pool threads sleep instead of spinning: on a shared 2-core machine spinning cost
    // ~60 % more CPU per detector run and slowed everything else (decode, database) down.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

/** The default thread count: all cores the process may use. */
export function defaultThreads(): number {
  return os.availableParallelism();
}
