import type { ThumbnailCrop } from '../repositories/thumbnail-store.js';
import type { Box, Point } from '../vision/types.js';

/** Side of every face thumbnail, in pixels (square JPEG). */
export const FACE_THUMBNAIL_SIZE = 160;

/** Margin around the face box on each side, as a share of the box's longer side. */
const MARGIN = 0.3;

/**
 * A square around the face with a margin, moved (not cut) to stay inside the
 * photo, and shrunk only when the photo itself is smaller. Faces found in a
 * photo stored sideways are turned upright from their landmarks: the line
 * from the left to the right eye points right in an upright face.
 */
export function thumbnailCrop(box: Box, landmarks: readonly Point[], image: { width: number; height: number }): ThumbnailCrop {
  const side = Math.max(1, Math.min(Math.round(Math.max(box.width, box.height) * (1 + 2 * MARGIN)), image.width, image.height));
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const left = clamp(Math.round(cx - side / 2), 0, image.width - side);
  const top = clamp(Math.round(cy - side / 2), 0, image.height - side);
  return { left, top, side, rotate: uprightRotation(landmarks) };
}

/**
 * Quarter turns that bring the eyes level, from the iBUG 68-point landmarks
 * (36-41 one eye, 42-47 the other); 0 without landmarks.
 */
export function uprightRotation(landmarks: readonly Point[]): number {
  if (landmarks.length < 48) return 0;
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += landmarks[i].x;
      y += landmarks[i].y;
    }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  const a = mean(36, 41);
  const b = mean(42, 47);
  // Image y points down, so a positive angle is a clockwise turn of the face; undo it.
  const angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  const quarter = Math.round(angle / 90);
  return (((-quarter * 90) % 360) + 360) % 360;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
