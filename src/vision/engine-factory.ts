import type { Config } from '../config.js';
import { TfjsEngine } from './tfjs-engine.js';
import type { FaceEngine } from './types.js';

/** Builds the engine named by the configuration. */
export function createEngine(config: Pick<Config, 'engine' | 'threads'>): FaceEngine {
  switch (config.engine) {
    case 'tfjs':
      return new TfjsEngine();
    case 'onnx':
      // The ONNX engine lands with issue 4; until then the reference engine serves.
      return new TfjsEngine();
  }
}
