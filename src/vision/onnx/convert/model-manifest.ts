import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORK_SPECS, type NetworkName, RESIZE_METHOD } from '../network-specs.js';
import { ONNX_OPSET } from './onnx-graph-builder.js';

/**
 * Bumped whenever a graph builder changes what it emits, so that a committed
 * manifest written by an older converter is refused until parity is re-checked.
 */
export const CONVERTER_VERSION = 2;

/** What the committed `models/face-api-onnx.json` pins about one network. */
export interface NetworkManifest {
  /** Source weight files (manifest and shards) -> SHA-256. */
  weights: Record<string, string>;
  input: { name: 'input'; layout: 'NCHW'; shape: [number, number, number, number] };
  preprocessing: {
    padToSquare: 'end' | 'center';
    resize: string;
    mean: number[];
    divisor: number;
    offset: number;
  };
}

/**
 * The source and recipe of the ONNX graphs. The graphs are built in memory
 * from face-api's tfjs weights at start-up; this manifest is what makes that
 * reproducible: a different face-api version, a changed weight file, or a
 * changed preprocessing constant no longer matches and the engine refuses to
 * start instead of silently producing different embeddings.
 */
export interface ModelManifest {
  source: { package: '@vladmandic/face-api'; version: string };
  converter: { version: number; opset: number };
  networks: Record<NetworkName, NetworkManifest>;
}

/** The committed manifest and the weights / code found at start-up disagree. */
export class ModelManifestMismatchError extends Error {
  constructor(
    readonly manifestPath: string,
    readonly differences: string[],
  ) {
    super(
      `the ONNX model manifest ${manifestPath} does not match the installed face-api weights or the converter:\n  - ` +
        `${differences.join('\n  - ')}\n` +
        'Re-run the ONNX parity tests against the tfjs engine, then regenerate the manifest ' +
        '(node --import tsx src/vision/onnx/convert/export-models.ts --manifest).',
    );
    this.name = 'ModelManifestMismatchError';
  }
}

/** Default location: `models/face-api-onnx.json` at the package root. */
export function defaultManifestPath(): string {
  // Walk up from this module (src/… or dist/src/…) to the folder holding package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return path.join(dir, 'models', 'face-api-onnx.json');
}

/** The manifest describing the given source package version and weight hashes with the current code. */
export function describeModels(version: string, weights: Record<NetworkName, Record<string, string>>): ModelManifest {
  const networks = {} as Record<NetworkName, NetworkManifest>;
  for (const name of Object.keys(NETWORK_SPECS) as NetworkName[]) {
    const spec = NETWORK_SPECS[name];
    networks[name] = {
      weights: weights[name],
      input: { name: 'input', layout: 'NCHW', shape: [-1, 3, spec.inputSize, spec.inputSize] },
      preprocessing: {
        padToSquare: spec.padding,
        resize: RESIZE_METHOD,
        mean: [...spec.mean],
        divisor: spec.divisor,
        offset: spec.offset,
      },
    };
  }
  return {
    source: { package: '@vladmandic/face-api', version },
    converter: { version: CONVERTER_VERSION, opset: ONNX_OPSET },
    networks,
  };
}

/** Throws {@link ModelManifestMismatchError} listing every field where `actual` differs from the committed file. */
export async function verifyModelManifest(actual: ModelManifest, manifestPath = defaultManifestPath()): Promise<void> {
  let committed: unknown;
  try {
    committed = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelManifestMismatchError(manifestPath, [`cannot read it: ${(err as Error).message}`]);
  }
  const differences = diff(committed, actual, '');
  if (differences.length > 0) throw new ModelManifestMismatchError(manifestPath, differences);
}

/** Writes `manifest` as the committed manifest (after a successful parity run). */
export async function writeModelManifest(manifest: ModelManifest, manifestPath = defaultManifestPath()): Promise<void> {
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
}

function diff(expected: unknown, actual: unknown, at: string): string[] {
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((k) =>
      diff((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
  }
  return expected === actual ? [] : [`${at}: manifest has ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`];
}
