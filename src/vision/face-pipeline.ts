import { dlibAlignedCrop } from './alignment.js';
import { decodePhoto, type DecodeLimits, type DecodedPhoto } from './image-decoder.js';
import type { Box, FaceEngine, Point, RgbImage } from './types.js';
import { l2Normalize } from './vector-math.js';

/** One face as the rest of facegraph sees it: original-photo coordinates, unit-length embedding. */
export interface AnalyzedFace {
  box: Box;
  score: number;
  landmarks: Point[];
  embedding: Float32Array;
}

export interface AnalyzedPhoto {
  width: number;
  height: number;
  format: string;
  faces: AnalyzedFace[];
  /** Milliseconds spent in each stage, for benchmarks and metrics. */
  timings: StageTimings;
}

export interface StageTimings {
  decode: number;
  detect: number;
  landmarks: number;
  encode: number;
}

export interface PipelineOptions extends DecodeLimits {
  minScore: number;
  maxFaces: number;
  /** Faces whose box is smaller than this (shorter side, original pixels) are dropped. */
  minFaceSize: number;
}

/**
 * decode -> detect -> landmarks -> align -> embed -> normalise. The one path
 * every photo takes, for ingestion, search-by-photo and evaluation alike.
 */
export class FacePipeline {
  /** Identifies the networks and preprocessing; stored with every face so a model change can re-encode. */
  readonly modelId = 'face-api-1.7.15/ssd-mobilenetv1+landmark68+resnet128/dlib-align';

  constructor(
    readonly engine: FaceEngine,
    readonly options: PipelineOptions,
  ) {}

  async analyze(bytes: Uint8Array): Promise<AnalyzedPhoto> {
    let t = performance.now();
    const photo = await decodePhoto(bytes, this.options);
    const decode = performance.now() - t;
    const result = await this.analyzeDecoded(photo);
    result.timings.decode = decode;
    return result;
  }

  async analyzeDecoded(photo: DecodedPhoto): Promise<AnalyzedPhoto> {
    const { image, scale } = photo;
    const timings: StageTimings = { decode: 0, detect: 0, landmarks: 0, encode: 0 };
    let t = performance.now();
    const detections = (await this.engine.detect(image, this.options)).filter(
      (d) => Math.min(d.box.width, d.box.height) * scale >= this.options.minFaceSize,
    );
    timings.detect = performance.now() - t;

    t = performance.now();
    const landmarks = await this.engine.landmarks(image, detections.map((d) => d.box));
    timings.landmarks = performance.now() - t;

    t = performance.now();
    const crops = landmarks.map((points) => dlibAlignedCrop(points, image));
    const descriptors = await this.engine.embed(image, crops);
    timings.encode = performance.now() - t;

    const faces = detections.map((d, i) => ({
      box: scaleBox(clampBox(d.box, image), scale),
      score: d.score,
      landmarks: landmarks[i].map((p) => ({ x: p.x * scale, y: p.y * scale })),
      embedding: l2Normalize(descriptors[i]),
    }));
    return { width: photo.width, height: photo.height, format: photo.format, faces, timings };
  }
}

function clampBox(box: Box, image: RgbImage): Box {
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  return {
    x,
    y,
    width: Math.min(box.x + box.width, image.width) - x,
    height: Math.min(box.y + box.height, image.height) - y,
  };
}

function scaleBox(box: Box, scale: number): Box {
  return { x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale };
}
