import { contains, SSD_INPUT, tileRegions } from './detector-regions.js';
import type { Box, Detection } from './types.js';

/**
 * Which SSD passes an orientation runs after its whole-image pass, decided from what that pass found, and the
 * scores and sizes the decision rests on. Pure; the passes themselves run in face-detector.ts.
 */

/**
 * A face scoring at least this is confidently found: upright, the photo's orientation is taken without
 * trying the others, and the whole-image pass may settle a photo alone (docs/quality.md, Detector passes).
 */
export const CONFIDENT_SCORE = 0.95;
/**
 * The whole-image pass is read down to this score (only faces above `minScore` are kept): a candidate
 * between it and {@link CONFIDENT_SCORE} is a face the canvas may find (docs/quality.md, Detector passes).
 */
export const HINT_SCORE = 0.07;
/** A box this close to the edge (fraction of the longer side) may be a face cut by it, which the canvas finds whole (docs/quality.md, Detector passes). */
const BORDER_MARGIN = 0.03;
/** A box wider or taller than this fraction of the frame is a face filling it, which SSD scores unreliably (docs/quality.md, Detector passes). */
const BIG_FACE = 0.7;
/** Smallest face, in pixels of SSD's 512 x 512 input, that it finds reliably (docs/quality.md, Detector passes). */
const SSD_RELIABLE_FACE = 20;

/** The passes after an orientation's whole-image pass that can still add a face. */
export interface ExtraPasses {
  /** Search the image on a padded canvas too. */
  canvas: boolean;
  /** Tiles of the image to search too. */
  tiles: Box[];
}

/**
 * Which passes can still add a face, decided from what the whole-image pass
 * found (`found`: every candidate down to {@link HINT_SCORE}, in `image`
 * coordinates). Pure, for tests.
 *
 * - The padded canvas, unless the pass is sure of everything it saw: some face
 *   of at least `minFaceSize` scores {@link CONFIDENT_SCORE}, every candidate
 *   does, and none comes within {@link BORDER_MARGIN} of the edge (a face cut
 *   by it) or spans more than {@link BIG_FACE} of the frame (SSD scores those
 *   low or misses them, and finds them on the canvas).
 * - tiles, if the image is larger than `tileSize` and the whole-image pass,
 *   which shrinks it (longer side / 512) times, cannot see faces down to
 *   `minFaceSize` ({@link SSD_RELIABLE_FACE}); a tile that lies wholly inside
 *   a face already found cannot hold another.
 */
export function planExtraPasses(
  found: readonly Detection[],
  image: { width: number; height: number },
  options: { minFaceSize: number; tileSize: number },
): ExtraPasses {
  const confident = found.some((d) => d.score >= CONFIDENT_SCORE && Math.min(d.box.width, d.box.height) >= options.minFaceSize);
  const canvas = !confident || found.some((d) => d.score < CONFIDENT_SCORE || nearBorder(d.box, image) || fillsFrame(d.box, image));
  const reach = (SSD_RELIABLE_FACE * Math.max(image.width, image.height)) / SSD_INPUT;
  const tiles = options.minFaceSize >= reach ? [] : tileRegions(image, options.tileSize).slice(1);
  return { canvas, tiles: tiles.filter((tile) => !found.some((d) => contains(d.box, tile))) };
}

function nearBorder(box: Box, image: { width: number; height: number }): boolean {
  const margin = BORDER_MARGIN * Math.max(image.width, image.height);
  return box.x < margin || box.y < margin || box.x + box.width > image.width - margin || box.y + box.height > image.height - margin;
}

function fillsFrame(box: Box, image: { width: number; height: number }): boolean {
  return box.width > BIG_FACE * image.width || box.height > BIG_FACE * image.height;
}
