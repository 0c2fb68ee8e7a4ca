import type { Config } from '../config.js';
import { OnnxEngine } from './onnx/onnx-engine.js';
import { TfjsEngine } from './tfjs-engine.js';
import type { FaceEngine } from './types.js';

/**
 * Builds the engine named by the configuration: `onnx` (the default, native
 * ONNX Runtime kernels on `threads` cores) or `tfjs`, the slower reference
 * engine that defines correct output and serves as the fallback. Neither loads
 * its runtime or weights until its first use.
 */
export function createEngine(config: Pick<Config, 'engine' | 'threads'>): FaceEngine {
  switch (config.engine) {
    case 'tfjs':
      return new TfjsEngine();
    case 'onnx':
      return new OnnxEngine({ threads: config.threads });
  }
}
