import type { NetworkName } from '../network-specs.js';

/**
 * Where one network's time went, cumulative since the engine was created or
 * its profile was reset: what a benchmark needs to say whether the native
 * kernels or the TypeScript around them dominate.
 */
export interface NetworkProfile {
  /** Engine calls that ran the network, and images (photos or faces) it saw. */
  calls: number;
  items: number;
  /** Building the input tensor in TypeScript: pad to square, resize, normalise. */
  prepareMs: number;
  /** ONNX Runtime's `session.run`. */
  inferMs: number;
  /** Reading the outputs in TypeScript: SSD box decoding and NMS, landmark mapping, descriptor copies. */
  finishMs: number;
}

export type EngineProfile = Record<NetworkName, NetworkProfile>;

/** A zeroed profile. */
export function emptyProfile(): EngineProfile {
  const zero = (): NetworkProfile => ({ calls: 0, items: 0, prepareMs: 0, inferMs: 0, finishMs: 0 });
  return { detector: zero(), landmarks: zero(), recognition: zero(), gender: zero() };
}
