import os from 'node:os';

/** How the ONNX engine runs; the defaults suit a server process that owns the machine. */
export interface OnnxEngineConfig {
  /**
   * Intra-op threads of each ONNX Runtime session (`FACEGRAPH_THREADS`).
   * Default: every core. The three sessions run one after another, so they
   * share these threads rather than multiplying them.
   */
  threads?: number;
  /** Folder of face-api's tfjs weights; default: the one inside `@vladmandic/face-api`. */
  modelDir?: string;
  /** The committed manifest the converted models must match; default `models/face-api-onnx.json`. */
  manifestPath?: string;
}

/** The default thread count: all cores the process may use. */
export function defaultThreads(): number {
  return os.availableParallelism();
}
