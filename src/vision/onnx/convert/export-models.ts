/**
 * Command line for the converter, for people rather than for the server (which
 * converts in memory at start-up):
 *
 *   node --import tsx src/vision/onnx/convert/export-models.ts --manifest
 *     rewrites models/face-api-onnx.json from the installed face-api weights;
 *     do it only after the ONNX parity tests pass on the new weights.
 *   node --import tsx src/vision/onnx/convert/export-models.ts --out models
 *     writes detector.onnx, landmarks.onnx, recognition.onnx and gender.onnx (git-ignored)
 *     to inspect the graphs with ONNX tools.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { convertFaceApiModels } from './convert-face-api.js';
import { defaultManifestPath, writeModelManifest } from './model-manifest.js';

/** Writes the converted models and/or the manifest; returns the paths written. */
export async function exportModels(options: { outDir?: string; manifest?: boolean }): Promise<string[]> {
  const models = await convertFaceApiModels();
  const written: string[] = [];
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true });
    for (const name of ['detector', 'landmarks', 'recognition', 'gender'] as const) {
      const file = path.join(options.outDir, `${name}.onnx`);
      await writeFile(file, models[name]);
      written.push(file);
    }
  }
  if (options.manifest) {
    await writeModelManifest(models.manifest);
    written.push(defaultManifestPath());
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, manifest: { type: 'boolean', default: false } } });
  if (!values.out && !values.manifest) {
    console.error('usage: export-models.ts [--out DIR] [--manifest]');
    process.exit(2);
  }
  for (const file of await exportModels({ outDir: values.out, manifest: values.manifest })) console.log(`wrote ${file}`);
}
