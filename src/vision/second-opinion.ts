import { cropImage } from './alignment.js';
import { detectorInputSize } from './detector-regions.js';
import type { Detection, FaceEngine, Point, RgbImage } from './types.js';

/** The crop is this many times the extent of the landmarks: the context SSD was trained to see a face in. */
const CONTEXT = 2;

/**
 * The detector's second look at a face whose box has no face's shape (a selfie's face cut by the frame, a
 * box stretched over a neck, an upper body): float32, on a crop around what the landmarks read. Returns its
 * detection there, in `image` coordinates, if one holds the landmarks' centre.
 */
export async function detectAroundLandmarks(
  engine: FaceEngine,
  image: RgbImage,
  points: readonly Point[],
  options: { minScore: number; minFaceSize: number },
): Promise<Detection | undefined> {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const side = CONTEXT * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const region = { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
  // cropImage keeps the part inside the image, from here.
  const x0 = Math.max(0, Math.floor(region.x));
  const y0 = Math.max(0, Math.floor(region.y));
  const crop = cropImage(image, region);
  if (crop.width < options.minFaceSize || crop.height < options.minFaceSize) return undefined;
  const inputSize = engine.scalableDetector ? detectorInputSize(crop) : undefined;
  const [found] = await engine.detect(crop, {
    minScore: options.minScore,
    maxFaces: 1,
    float32: true,
    ...(inputSize ? { inputSize: { width: inputSize, height: inputSize } } : {}),
  });
  if (!found) return undefined;
  const box = { ...found.box, x: found.box.x + x0, y: found.box.y + y0 };
  return cx >= box.x && cx <= box.x + box.width && cy >= box.y && cy <= box.y + box.height ? { box, score: found.score } : undefined;
}
