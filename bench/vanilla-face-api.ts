import sharp from 'sharp';
import type { StageTimings } from '../src/vision/face-pipeline.js';
import { loadFaceApi } from '../src/vision/tfjs-engine.js';

/**
 * What a user would otherwise run: plain face-api 1.7.15 on tfjs-wasm with its
 * documented defaults, `detectAllFaces(input).withFaceLandmarks().withFaceDescriptors()`
 * (SSD MobileNet v1 at minConfidence 0.5), the decoded photo as input (sharp,
 * EXIF-rotated, as facegraph decodes). Nothing is stored: the baseline is the
 * recognition alone, which flatters it.
 */
export async function openVanillaFaceApi(): Promise<{
  loadSeconds: number;
  analyze(bytes: Uint8Array): Promise<StageTimings & { faces: number }>;
}> {
  const t0 = performance.now();
  const api = await loadFaceApi();
  const loadSeconds = (performance.now() - t0) / 1000;
  return {
    loadSeconds,
    async analyze(bytes) {
      let t = performance.now();
      const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const decode = performance.now() - t;
      t = performance.now();
      const tensor = api.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
      try {
        const faces = await api
          .detectAllFaces(tensor as never, new api.SsdMobilenetv1Options({ minConfidence: 0.5 }))
          .withFaceLandmarks()
          .withFaceDescriptors();
        // face-api runs the three networks in one call: its time is all "detect" here.
        return { decode, detect: performance.now() - t, landmarks: 0, encode: 0, faces: faces.length };
      } finally {
        tensor.dispose();
      }
    },
  };
}
