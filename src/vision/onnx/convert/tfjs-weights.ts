import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One weight tensor of a tfjs model, dequantized to float32 exactly as tfjs does it. */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A tfjs model's weights by name, plus the SHA-256 of every file they were read from. */
export interface TfjsWeights {
  readonly tensors: ReadonlyMap<string, WeightTensor>;
  /** File name (relative to the model folder) -> hex SHA-256, manifest first. */
  readonly sha256: Readonly<Record<string, string>>;
  /** Returns the named tensor, checking that it has the expected rank. */
  get(name: string, rank?: number): WeightTensor;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** The weights of a model do not match what the converter expects. */
export class TfjsWeightsError extends Error {
  constructor(
    message: string,
    readonly model: string,
  ) {
    super(`${model}: ${message}`);
    this.name = 'TfjsWeightsError';
  }
}

/**
 * Reads `<model>-weights_manifest.json` and its `.bin` shards from a tfjs model
 * folder. Dequantization is tfjs' own (`io.decodeWeights`): uint8/uint16 values
 * become `v * scale + min` computed in double and stored as float32, so the
 * ONNX graphs start from bit-identical weights. int32 entries (shape constants
 * of the original TF graph, unused by face-api) are kept as float32 for
 * completeness; float16 is refused since no face-api model uses it.
 */
export async function loadTfjsWeights(modelDir: string, model: string): Promise<TfjsWeights> {
  const manifestFile = `${model}-weights_manifest.json`;
  const manifestBytes = await readFile(path.join(modelDir, manifestFile));
  const sha256: Record<string, string> = { [manifestFile]: hash(manifestBytes) };
  const groups = JSON.parse(manifestBytes.toString('utf8')) as ManifestGroup[];
  const tensors = new Map<string, WeightTensor>();

  for (const group of groups) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(modelDir, p))));
    group.paths.forEach((p, i) => (sha256[p] = hash(shards[i])));
    const buffer = Buffer.concat(shards);
    let offset = 0;
    for (const entry of group.weights) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const q = entry.quantization;
      const values = new Float32Array(size);
      if (q) {
        if (q.dtype !== 'uint8' && q.dtype !== 'uint16') {
          throw new TfjsWeightsError(`${entry.name}: unsupported quantization ${q.dtype}`, model);
        }
        if (q.scale === undefined || q.min === undefined) {
          throw new TfjsWeightsError(`${entry.name}: quantization without scale/min`, model);
        }
        const bytesPer = q.dtype === 'uint8' ? 1 : 2;
        const quantized =
          bytesPer === 1
            ? buffer.subarray(offset, offset + size)
            : new Uint16Array(Uint8Array.from(buffer.subarray(offset, offset + 2 * size)).buffer);
        dequantize(quantized, q.scale, q.min, entry.dtype === 'int32', values);
        offset += size * bytesPer;
      } else {
        const raw = Uint8Array.from(buffer.subarray(offset, offset + 4 * size)).buffer;
        values.set(entry.dtype === 'float32' ? new Float32Array(raw) : new Int32Array(raw));
        offset += size * 4;
      }
      tensors.set(entry.name, { shape: entry.shape, data: values });
    }
    if (offset !== buffer.length) {
      throw new TfjsWeightsError(`manifest describes ${offset} bytes but the shards hold ${buffer.length}`, model);
    }
  }

  return {
    tensors,
    sha256,
    get(name: string, rank?: number): WeightTensor {
      const tensor = tensors.get(name);
      if (!tensor) throw new TfjsWeightsError(`missing weight ${name}`, model);
      if (rank !== undefined && tensor.shape.length !== rank) {
        throw new TfjsWeightsError(`weight ${name} has rank ${tensor.shape.length}, expected ${rank}`, model);
      }
      return tensor;
    },
  };
}

/** tfjs' `v * scale + min` (rounded for int32), in double, stored as float32. */
function dequantize(quantized: Uint8Array | Uint16Array, scale: number, min: number, round: boolean, out: Float32Array): void {
  if (round) {
    for (let i = 0; i < quantized.length; i++) out[i] = Math.round(quantized[i] * scale + min);
  } else {
    for (let i = 0; i < quantized.length; i++) out[i] = quantized[i] * scale + min;
  }
}

function hash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
