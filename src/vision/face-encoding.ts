import { ageGenderBox, extractChip, faceChipTransform, FACE_CHIP_PADDINGS, FACE_CHIP_SIZE } from './alignment.js';
import type { FaceSource } from './face-check.js';
import { faceQuality, faceSignals, type FaceSignals } from './face-quality.js';
import type { DecodedPhoto } from './image-decoder.js';
import { boxToSource, clampBox, scaleBox, type ImageView } from './image-transforms.js';
import type { LandmarkFit } from './landmark-averaging.js';
import type { Box, Detection, FaceEngine, Point, RgbImage } from './types.js';
import { l2Normalize } from './vector-math.js';

/** One face as the rest of facegraph sees it: original-photo coordinates, unit-length embedding. */
export interface AnalyzedFace {
  box: Box;
  /** Detector confidence; 0 for a face found as the whole image. */
  score: number;
  /** How the face was found. */
  source: FaceSource;
  landmarks: Point[];
  embedding: Float32Array;
  /** How far the embedding can be trusted, 0..1 (see face-quality.ts): below {@link POOR_QUALITY} a face never makes or joins a person. */
  quality: number;
  /** What the quality was judged from. */
  signals: FaceSignals;
  /**
   * The probability, in [0, 1], that the face is a man's: face-api's age/gender
   * net on face-api's crop around the landmarks ({@link ageGenderBox}); 0.5 when
   * that crop has no pixels in the image.
   */
  maleProbability: number;
}

/** A face whose landmarks are known, in the coordinates of the view it was found in. */
export interface FoundFace extends Detection {
  source: FaceSource;
  fit: LandmarkFit;
}

/**
 * Chips, embeddings and photo coordinates of faces whose landmarks are
 * known (`view` coordinates): the one encoding step every face takes,
 * detected, whole-image or drawn. Each face is encoded from chips at a few
 * margins and the unit descriptors averaged; all faces' gender is read in
 * one batch beside.
 */
export async function encodeFaces(engine: FaceEngine, view: ImageView, found: FoundFace[], photo: DecodedPhoto): Promise<AnalyzedFace[]> {
  const { image, scale } = photo;
  const chips = found.flatMap(({ fit }) =>
    FACE_CHIP_PADDINGS.map((padding) => extractChip(view.image, faceChipTransform(fit.points, FACE_CHIP_SIZE, padding))),
  );
  const raw = chips.length === 0 ? [] : await engine.embed(...sideBySide(chips));
  const genderBoxes = found.map(({ fit }) => ageGenderBox(fit.points, view.image));
  const male = found.length === 0 ? [] : await engine.gender(view.image, genderBoxes);
  const n = FACE_CHIP_PADDINGS.length;
  const toPhoto = (p: Point): Point => {
    const q = view.toSource(p);
    return { x: q.x * scale, y: q.y * scale };
  };
  return found.map((d, i) => {
    const mine = raw.slice(i * n, (i + 1) * n);
    const signals = faceSignals(d.fit, chips[i * n + Math.floor(n / 2)]);
    return {
      box: scaleBox(clampBox(boxToSource(view, d.box), image), scale),
      score: d.score,
      source: d.source,
      landmarks: d.fit.points.map(toPhoto),
      embedding: l2Normalize(meanOfUnit(mine)),
      quality: faceQuality(signals),
      signals,
      maleProbability: male[i],
    };
  });
}

/** The mean of the unit-length versions of `vectors` (not normalised itself). */
function meanOfUnit(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0].length);
  for (const v of vectors) {
    const unit = l2Normalize(v);
    for (let i = 0; i < out.length; i++) out[i] += unit[i] / vectors.length;
  }
  return out;
}

/** Lays the chips side by side in one image, so the engine can embed them in one batch. */
function sideBySide(chips: RgbImage[]): [RgbImage, Box[]] {
  const size = FACE_CHIP_SIZE;
  const width = size * chips.length;
  const data = new Uint8Array(width * size * 3);
  chips.forEach((chip, i) => {
    for (let y = 0; y < size; y++) data.set(chip.data.subarray(y * size * 3, (y + 1) * size * 3), (y * width + i * size) * 3);
  });
  return [{ data, width, height: size }, chips.map((_, i) => ({ x: i * size, y: 0, width: size, height: size }))];
}
