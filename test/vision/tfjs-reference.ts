/**
 * What the reference engine (tfjs-wasm) says about one photo, stage by stage,
 * and how it is stored as a golden file. Running the reference live costs
 * about 0.6 s per photo on this 2-core machine, mostly the 512 x 512 detector
 * whatever the photo size, so the 100 lfw10 photos are compared against a
 * recording that the parity test re-validates live on a sample of them.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LFW10_DIR } from '../support/datasets.js';
import { dlibAlignedCrop } from '../../src/vision/alignment.js';
import type { Box, Detection, FaceEngine, Point, RgbImage } from '../../src/vision/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** lfw10, read from FACEGRAPH_DATASETS (test/support/datasets.ts); tests that read it skip without it. */
export const LFW_DIR = LFW10_DIR;
/** The recorded reference output on lfw10; regenerate with `node --import tsx test/vision/record-tfjs-reference.ts`. */
export const LFW_RECORDING = path.join(here, 'fixtures', 'lfw10-tfjs-reference.json');

/** lfw10's photos as `person/file.jpg`, sorted. */
export async function listLfwPhotos(): Promise<string[]> {
  const files: string[] = [];
  for (const person of (await readdir(LFW_DIR)).sort()) {
    for (const name of (await readdir(path.join(LFW_DIR, person))).sort()) files.push(`${person}/${name}`);
  }
  return files;
}

export const DETECT_OPTIONS = { minScore: 0.5, maxFaces: 100 };
export const DECODE_LIMITS = { maxPixels: 100_000_000, maxSide: 1920 };

/** The reference's output for one photo; later stages run on the reference's own earlier outputs. */
export interface ReferenceRun {
  detections: Detection[];
  /** Landmarks for `detections`' boxes. */
  landmarks: Point[][];
  /** The crops fed to the encoder (dlib-style alignment of `landmarks`). */
  crops: Box[];
  /** Raw descriptors of `crops`. */
  descriptors: Float32Array[];
}

/** Runs the three stages of `engine` on `image`, each stage on the previous stage's output. */
export async function runReference(engine: FaceEngine, image: RgbImage): Promise<ReferenceRun> {
  const detections = await engine.detect(image, DETECT_OPTIONS);
  const landmarks = await engine.landmarks(
    image,
    detections.map((d) => d.box),
  );
  const crops = landmarks.map((points) => dlibAlignedCrop(points, image));
  const descriptors = await engine.embed(image, crops);
  return { detections, landmarks, crops, descriptors };
}

/** SHA-256 of the decoded pixels: a recording is only valid for the exact pixels it was made from. */
export function imageDigest(image: RgbImage): string {
  return createHash('sha256').update(`${image.width}x${image.height}:`).update(image.data).digest('hex');
}

/** One photo of the golden file: numbers that people may want to read stay JSON, bulk arrays are base64. */
export interface RecordedPhoto {
  file: string;
  pixels: string;
  detections: Detection[];
  crops: Box[];
  /** Float64 x, y pairs, 68 per face, base64. */
  landmarks: string[];
  /** Float32 x 128 per face, base64. */
  descriptors: string[];
}

export interface ReferenceRecording {
  /** How the recording was made, so that a stale one is recognisable. */
  made: { engine: string; faceApi: string; note: string };
  photos: RecordedPhoto[];
}

export function recordPhoto(file: string, image: RgbImage, run: ReferenceRun): RecordedPhoto {
  return {
    file,
    pixels: imageDigest(image),
    detections: run.detections,
    crops: run.crops,
    landmarks: run.landmarks.map((points) => base64(Float64Array.from(points.flatMap((p) => [p.x, p.y])))),
    descriptors: run.descriptors.map((d) => base64(Float32Array.from(d))),
  };
}

export function replayPhoto(photo: RecordedPhoto): ReferenceRun {
  return {
    detections: photo.detections,
    crops: photo.crops,
    landmarks: photo.landmarks.map((b64) => {
      const xy = new Float64Array(bytes(b64).buffer);
      return Array.from({ length: xy.length / 2 }, (_, i) => ({ x: xy[2 * i], y: xy[2 * i + 1] }));
    }),
    descriptors: photo.descriptors.map((b64) => new Float32Array(bytes(b64).buffer)),
  };
}

function base64(values: Float32Array | Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function bytes(b64: string): Uint8Array {
  // Copied so the typed-array view starts on an aligned offset.
  return Uint8Array.from(Buffer.from(b64, 'base64'));
}
