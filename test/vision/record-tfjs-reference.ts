/**
 * Records the tfjs-wasm reference engine's output on lfw10 into
 * `fixtures/lfw10-tfjs-reference.json`, the golden file the ONNX parity test
 * compares against. Run it when face-api, sharp or the dataset changes (the
 * parity test says so when the recording no longer matches), with
 * FACEGRAPH_DATASETS naming the folder that holds lfw10:
 *
 *   node --import tsx test/vision/record-tfjs-reference.ts
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodePhoto } from '../../src/vision/image-decoder.js';
import { TfjsEngine } from '../../src/vision/tfjs-engine.js';
import { needsDatasets } from '../support/datasets.js';
import {
  DECODE_LIMITS,
  LFW_DIR,
  LFW_RECORDING,
  listLfwPhotos,
  recordPhoto,
  runReference,
  type ReferenceRecording,
} from './tfjs-reference.js';

const missing = needsDatasets('lfw10');
if (missing) {
  console.error(missing);
  process.exit(2);
}

const engine = new TfjsEngine();
await engine.load();
const faceApi = JSON.parse(await readFile(new URL(import.meta.resolve('@vladmandic/face-api/package.json')), 'utf8')) as {
  version: string;
};
const recording: ReferenceRecording = {
  made: { engine: engine.name, faceApi: faceApi.version, note: 'written by test/vision/record-tfjs-reference.ts' },
  photos: [],
};
for (const file of await listLfwPhotos()) {
  const { image } = await decodePhoto(await readFile(path.join(LFW_DIR, file)), DECODE_LIMITS);
  recording.photos.push(recordPhoto(file, image, await runReference(engine, image)));
}
await mkdir(path.dirname(LFW_RECORDING), { recursive: true });
await writeFile(LFW_RECORDING, JSON.stringify(recording, null, 1) + '\n');
console.log(`recorded ${recording.photos.length} photos into ${LFW_RECORDING}`);
