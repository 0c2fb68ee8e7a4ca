import sharp from 'sharp';
import { loadFaceApi } from '../vision/tfjs-engine.js';
import type { AnalyzerResult, PhotoAnalyzer } from './evaluator.js';

/** FaceMatcher's default: face-api calls two descriptors the same person below this euclidean distance. */
export const FACE_API_MATCH_DISTANCE = 0.6;

/** Euclidean distance, face-api's measure between its descriptors. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/**
 * What a user would otherwise run: plain face-api 1.7.15 on tfjs-wasm with its documented defaults,
 * `detectAllFaces(input).withFaceLandmarks().withFaceDescriptors()` (SSD MobileNet v1 at minConfidence
 * 0.5, its own alignment), on the photo as facegraph decodes it (sharp, EXIF-rotated, sRGB).
 */
export async function openFaceApiBaseline(): Promise<PhotoAnalyzer & { name: string }> {
  const api = await loadFaceApi();
  return {
    name: 'face-api',
    async analyze(bytes): Promise<AnalyzerResult> {
      const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const tensor = api.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
      try {
        const found = await api
          .detectAllFaces(tensor as never, new api.SsdMobilenetv1Options({ minConfidence: 0.5 }))
          .withFaceLandmarks()
          .withFaceDescriptors();
        return {
          faces: found.map((f) => {
            const { x, y, width, height } = f.detection.box;
            return { box: { x, y, width, height }, score: f.detection.score, embedding: f.descriptor };
          }),
        };
      } finally {
        tensor.dispose();
      }
    },
  };
}
