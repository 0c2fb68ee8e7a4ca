import { createRequire } from 'node:module';
import path from 'node:path';
import type { Box, Detection, DetectOptions, FaceEngine, Point, RgbImage } from './types.js';

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js');
type Tfjs = FaceApi['tf'];
type Tensor3D = ReturnType<Tfjs['tensor3d']>;

const require = createRequire(import.meta.url);

/** P(male) of a box with no pixels in the image: no evidence either way. */
export const NO_GENDER_EVIDENCE = 0.5;

/** Folder holding the tfjs weight manifests shipped inside `@vladmandic/face-api`. */
export const FACE_API_MODEL_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

let faceApi: Promise<FaceApi> | undefined;

/**
 * face-api on tfjs' WebAssembly backend with the four networks facegraph uses
 * loaded from the npm package: once per process (the reference engine and the
 * benchmark's plain face-api baseline share it).
 */
export function loadFaceApi(): Promise<FaceApi> {
  faceApi ??= (async () => {
    // Loaded lazily: requiring tfjs costs a second and most processes (CLI, tests of storage) never need it.
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string, usePlatformFetch?: boolean): void };
    // Point tfjs at the .wasm files inside the npm package: never a CDN.
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    const tf = faceapi.tf as unknown as { setBackend(name: string): Promise<boolean>; ready(): Promise<void> };
    await tf.setBackend('wasm');
    await tf.ready();
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(FACE_API_MODEL_DIR);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(FACE_API_MODEL_DIR);
    await faceapi.nets.ageGenderNet.loadFromDisk(FACE_API_MODEL_DIR);
    return faceapi;
  })();
  return faceApi;
}

/**
 * The reference engine: face-api's own networks on tfjs' WebAssembly backend.
 * Slow (about 1 photo/s per core) but it is the definition of correct output
 * that any other engine is checked against.
 */
export class TfjsEngine implements FaceEngine {
  readonly name = 'tfjs';
  private api: FaceApi | undefined;
  private loading: Promise<FaceApi> | undefined;

  async load(): Promise<void> {
    await this.ready();
  }

  private ready(): Promise<FaceApi> {
    if (this.api) return Promise.resolve(this.api);
    this.loading ??= loadFaceApi().then((api) => (this.api = api));
    return this.loading;
  }

  private toTensor(api: FaceApi, image: RgbImage): Tensor3D {
    return api.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<Detection[]> {
    const api = await this.ready();
    const tensor = this.toTensor(api, image);
    try {
      const found = await api.nets.ssdMobilenetv1.locateFaces(
        tensor,
        new api.SsdMobilenetv1Options({ minConfidence: options.minScore, maxResults: options.maxFaces }),
      );
      return found.map((d) => ({
        box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height },
        score: d.score,
      }));
    } finally {
      tensor.dispose();
    }
  }

  async landmarks(image: RgbImage, boxes: Box[]): Promise<Point[][]> {
    const clipped = boxes.map((b) => clipBox(b, image));
    const out: Point[][] = boxes.map(() => []);
    const found = await this.onCrops(image, boxes, clipped, (api, input) => api.nets.faceLandmark68Net.detectLandmarks(input));
    for (const [i, lm] of found) {
      const b = clipped[i];
      out[i] = lm.relativePositions.map((p) => ({ x: b.x + p.x * b.width, y: b.y + p.y * b.height }));
    }
    return out;
  }

  async embed(image: RgbImage, crops: Box[]): Promise<Float32Array[]> {
    // An empty crop gets a zero descriptor, as face-api gives for a single empty crop.
    const out = crops.map(() => new Float32Array(128));
    const found = await this.onCrops(image, crops, crops, (api, input) => api.nets.faceRecognitionNet.computeFaceDescriptor(input));
    for (const [i, d] of found) out[i] = Float32Array.from(d);
    return out;
  }

  async gender(image: RgbImage, boxes: Box[]): Promise<number[]> {
    const out = boxes.map(() => NO_GENDER_EVIDENCE);
    const found = await this.onCrops(image, boxes, boxes, (api, input) => api.nets.ageGenderNet.predictAgeAndGender(input));
    // face-api reports the likelier gender and its probability; P(male) is read back from them.
    for (const [i, p] of found) out[i] = p.gender === 'male' ? p.genderProbability : 1 - p.genderProbability;
    return out;
  }

  /**
   * Runs one of face-api's per-face nets on the crops `rects` of the boxes that are not empty once clipped (face-api
   * silently drops those, so positions stay aligned with the input), in one batch; the result of each such box by
   * its index.
   */
  private async onCrops<R>(
    image: RgbImage,
    boxes: Box[],
    rects: Box[],
    run: (api: FaceApi, input: never) => Promise<R | R[]>,
  ): Promise<Map<number, R>> {
    const clipped = boxes.map((b) => clipBox(b, image));
    const live = clipped.map((_b, i) => i).filter((i) => clipped[i].width > 0 && clipped[i].height > 0);
    const found = new Map<number, R>();
    if (live.length === 0) return found;
    const api = await this.ready();
    const tensor = this.toTensor(api, image);
    const faces = await api.extractFaceTensors(
      tensor,
      live.map((i) => new api.Rect(rects[i].x, rects[i].y, rects[i].width, rects[i].height)),
    );
    try {
      const result = await run(api, (faces.length === 1 ? faces[0] : faces) as never);
      (Array.isArray(result) ? result : [result]).forEach((r, k) => found.set(live[k], r));
      return found;
    } finally {
      faces.forEach((f) => f.dispose());
      tensor.dispose();
    }
  }

  async dispose(): Promise<void> {
    // The networks live as long as the process; tfjs-wasm has no per-model native handle to free.
  }
}

/** Clips a box to the image and floors it, as face-api's `clipAtImageBorders` does. */
export function clipBox(box: Box, image: { width: number; height: number }): Box {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const width = Math.min(box.x + box.width - x, image.width - x);
  const height = Math.min(box.y + box.height - y, image.height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(width), height: Math.floor(height) };
}
