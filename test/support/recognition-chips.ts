/**
 * The face chips the recognition net sees, for calibrating and checking the
 * int8 recogniser on the project's photos: each photo goes through the
 * float32 pipeline (`FacePipeline`, default settings) and every chip handed to
 * `embed()` is kept, 150 x 150 RGB, three per face (FACE_CHIP_PADDINGS).
 * Used by scripts/calibrate-int8-recognition.ts and bench/measure/bench-int8-recognition.ts.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { pipelineOptions } from '../../src/vision/pipeline-pool.js';
import type { Box, FaceEngine, RgbImage } from '../../src/vision/types.js';
import { DEMO_DIR, DEMO_PHOTOS, NOFACE_DIR, datasetPath, groupsTightDir, lfw10TightDir, needsDatasets } from './datasets.js';

/**
 * Where a photo named as the calibration files name it (`<set>/<file>`) is: `groups/` the demo
 * photos in face-api's npm package, `noface/` the package photos of test/fixtures/photos,
 * `groups-tight/` and `lfw10-tight/` crops made on first use, anything else (lfw10, knn, edge) a set
 * of FACEGRAPH_DATASETS.
 */
export async function photoPath(photo: string): Promise<string> {
  const [set, ...rest] = photo.split('/');
  if (set === 'groups') return path.join(DEMO_DIR, ...rest);
  if (set === 'noface') return path.join(NOFACE_DIR, ...rest);
  if (set === 'groups-tight') return path.join(await groupsTightDir(), ...rest);
  if (set === 'lfw10-tight') return path.join(await lfw10TightDir(), ...rest);
  return datasetPath(set, ...rest);
}

/** Stops the script with one line where FACEGRAPH_DATASETS lacks one of `sets`. */
export function requireDatasets(...sets: string[]): void {
  const missing = needsDatasets(...sets);
  if (missing) {
    process.stderr.write(`${missing}\n`);
    process.exit(2);
  }
}

/** One chip: the photo (named as {@link photoPath} takes it), the face's index in it, and the pixels. */
export interface Chip {
  photo: string;
  face: number;
  image: RgbImage;
}

/**
 * The calibration photos, as the detector's calibration takes them: lfw10's
 * first five photos of each person, the six group photos and knn's training photos.
 * lfw10 and knn come from FACEGRAPH_DATASETS: without them the script stops, saying so.
 */
export async function calibrationPhotos(): Promise<string[]> {
  requireDatasets('lfw10', 'knn');
  const photos: string[] = [];
  for (const person of (await readdir(datasetPath('lfw10'))).sort()) {
    const files = (await readdir(datasetPath('lfw10', person))).filter((f) => f.endsWith('.jpg')).sort();
    photos.push(...files.slice(0, 5).map((f) => `lfw10/${person}/${f}`));
  }
  photos.push(...DEMO_PHOTOS.map((f) => `groups/${f}`));
  for (const person of (await readdir(datasetPath('knn', 'train'))).sort()) {
    photos.push(...(await readdir(datasetPath('knn', 'train', person))).sort().map((f) => `knn/train/${person}/${f}`));
  }
  return photos;
}

/**
 * Every photo of the evaluation's sets (lfw10, knn, edge, lfw10-tight, groups, groups-tight, noface);
 * lfw10, knn and edge from FACEGRAPH_DATASETS: without them the script stops, saying so.
 */
export async function evaluationPhotos(): Promise<string[]> {
  requireDatasets('lfw10', 'knn', 'edge');
  const photos: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const root = await photoPath(dir);
    for (const entry of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else if (/\.(jpe?g|png)$/i.test(entry.name)) photos.push(rel);
    }
  };
  for (const set of ['lfw10', 'knn', 'edge', 'lfw10-tight']) await walk(set);
  // face-api's demo folder also holds screenshots: its six sample photos only.
  photos.push(...DEMO_PHOTOS.map((f) => `groups/${f}`));
  for (const set of ['groups-tight', 'noface']) await walk(set);
  return photos;
}

/** The chips of every face the float32 pipeline finds in `photos`, in order (three per face). */
export async function collectChips(photos: string[], onPhoto?: (done: number, photo: string) => void): Promise<Chip[]> {
  const engine = new OnnxEngine({ precision: 'fp32', threads: 1 });
  const chips: Chip[] = [];
  let current = '';
  let faces = 0;
  // The pipeline's engine, recording what embed() is given: one call per photo, three crops per face.
  const recording: FaceEngine = {
    name: engine.name,
    load: () => engine.load(),
    detect: (image, options) => engine.detect(image, options),
    landmarks: (image, boxes) => engine.landmarks(image, boxes),
    gender: (image, boxes) => engine.gender(image, boxes),
    embed: (image: RgbImage, crops: Box[]) => {
      crops.forEach((crop, i) => chips.push({ photo: current, face: faces + Math.floor(i / 3), image: cropOf(image, crop) }));
      faces += crops.length / 3;
      return engine.embed(image, crops);
    },
    dispose: () => engine.dispose(),
  };
  const pipeline = new FacePipeline(recording, pipelineOptions(loadConfig({})));
  for (const [i, photo] of photos.entries()) {
    current = photo;
    faces = 0;
    await pipeline.analyze(await readFile(await photoPath(photo)));
    onPhoto?.(i + 1, photo);
  }
  await engine.dispose();
  return chips;
}

function cropOf(image: RgbImage, box: Box): RgbImage {
  const data = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const start = ((box.y + y) * image.width + box.x) * 3;
    data.set(image.data.subarray(start, start + box.width * 3), y * box.width * 3);
  }
  return { data, width: box.width, height: box.height };
}
