import { matchFaces } from '../vision/box-matching.js';
import type { AnalyzedFace } from '../vision/face-encoding.js';
import type { Box } from '../vision/types.js';
import { readXmpRegions } from '../metadata/xmp.js';
import type { AnalysisResult, FaceAnalyzer } from './face-analyzer.js';
import { MIN_DRAWN_FACE_SIZE } from './face-correction.service.js';

/**
 * An XMP face region names the detected face it overlaps at least this much
 * (IoU, best pair first): tools draw a face's box looser or tighter than the
 * detector (whole head, forehead to chin), which still overlaps 0.4-0.8,
 * while a neighbour's face overlaps next to nothing.
 */
export const XMP_MATCH_IOU = 0.3;
/** Faces made from XMP regions that match no detected face, per photo at most: each costs a decode and a landmark pass. */
const MAX_XMP_MANUAL_FACES = 20;

/**
 * The photo's faces with the names its XMP face regions give them: a
 * region names the detected face it overlaps (XMP_MATCH_IOU), or else
 * becomes a manual face computed inside it (as addFace with force), one
 * region a face and one face a name. What cannot be read is skipped with a
 * warning in the log; the photo is stored either way. Nothing is written
 * here: the caller stores faces and names in one transaction.
 */
export async function nameFacesFromXmp(
  bytes: Uint8Array,
  analyzed: AnalysisResult,
  fileName: string,
  deps: { analyzer: Pick<FaceAnalyzer, 'analyzeBox'>; minFaceSize?: number },
): Promise<{ faces: AnalyzedFace[]; names: (string | null)[] }> {
  const faces = [...analyzed.faces];
  const names: (string | null)[] = faces.map(() => null);
  const { regions, warnings } = await readXmpRegions(bytes);
  const warn = (message: string) => warnings.push(message);
  try {
    if (regions.length === 0) return { faces, names };
    const { width, height } = analyzed;
    const boxes = regions.map(({ box }) => clampToPhoto(box, width, height));
    const given = new Set<string>();
    const placed = new Set<number>();
    for (const [r, f] of matchFaces(
      boxes,
      faces.map((face) => face.box),
      XMP_MATCH_IOU,
    )) {
      placed.add(r);
      if (given.has(regions[r].name)) warn(`XMP region "${regions[r].name}": the name is already on another face of the photo`);
      else {
        names[f] = regions[r].name;
        given.add(regions[r].name);
      }
    }
    const minSide = Math.max(deps.minFaceSize ?? 0, MIN_DRAWN_FACE_SIZE);
    let added = 0;
    for (const [r, region] of regions.entries()) {
      if (placed.has(r)) continue;
      const box = boxes[r];
      if (given.has(region.name)) warn(`XMP region "${region.name}": the name is already on another face of the photo`);
      else if (analyzed.faces.some((face) => matchFaces([box], [face.box], XMP_MATCH_IOU).length > 0)) {
        warn(`XMP region "${region.name}": its face is named by another region`);
      } else if (Math.min(box.width, box.height) < minSide) warn(`XMP region "${region.name}": smaller than ${minSide} pixels`);
      else if (added >= MAX_XMP_MANUAL_FACES)
        warn(`XMP region "${region.name}": more than ${MAX_XMP_MANUAL_FACES} regions without a detected face`);
      else {
        const analysis = await deps.analyzer.analyzeBox(bytes, box);
        faces.push({ ...analysis.face, score: 0, source: 'manual' });
        names.push(region.name);
        given.add(region.name);
        added++;
      }
    }
    return { faces, names };
  } finally {
    for (const message of warnings) console.warn(`[ingest] ${fileName}: ${message}`);
  }
}

/** A normalised box in the photo's pixels, inside it. */
function clampToPhoto(box: Box, width: number, height: number): Box {
  const x = Math.max(0, Math.round(box.x * width));
  const y = Math.max(0, Math.round(box.y * height));
  return {
    x,
    y,
    width: Math.min(width, Math.round((box.x + box.width) * width)) - x,
    height: Math.min(height, Math.round((box.y + box.height) * height)) - y,
  };
}
