import type { Config } from '../config.js';
import { readCpuInfo, resolvePrecision } from './onnx/run/int8-support.js';
import { OnnxEngine } from './onnx/run/onnx-engine.js';
import { TfjsEngine } from './tfjs-engine.js';
import type { FaceEngine } from './types.js';

/**
 * Builds the engine named by the configuration: `onnx` (the default, native
 * ONNX Runtime kernels on `threads` cores) or `tfjs`, the slower reference
 * engine that defines correct output and serves as the fallback. Neither loads
 * its runtime or weights until its first use.
 *
 * `precision` (absent = `fp32`; the configuration's default is `auto`) is resolved here, the one place that looks at
 * the CPU (`cpuinfo`, default this machine's `/proc/cpuinfo`), so the ONNX
 * engine is told `fp32` or `int8` and never guesses. The tfjs engine is float32.
 */
export function createEngine(
  config: Pick<Config, 'engine' | 'threads'> & Partial<Pick<Config, 'precision'>>,
  cpuinfo: () => string | undefined = readCpuInfo,
): FaceEngine {
  switch (config.engine) {
    case 'tfjs':
      return new TfjsEngine();
    case 'onnx':
      return new OnnxEngine({ threads: config.threads, precision: resolvePrecision(config.precision ?? 'fp32', cpuinfo()) });
  }
}
