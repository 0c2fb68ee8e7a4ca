import type { Box } from './types.js';

/** Intersection over union of two boxes, in [0, 1]. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * Pairs stored faces with faces found again in the same photo, best overlap
 * first, each face used once; pairs overlapping less than `minIou` are left
 * out. Re-encoding uses it to carry each stored face id over to its new
 * embedding, so that a face keeps its identity (and its person) across a
 * model change. Returns `[storedIndex, foundIndex]` pairs.
 */
export function matchFaces(stored: Box[], found: Box[], minIou = 0.3): [number, number][] {
  const candidates: { i: number; j: number; score: number }[] = [];
  stored.forEach((a, i) =>
    found.forEach((b, j) => {
      const score = iou(a, b);
      if (score >= minIou) candidates.push({ i, j, score });
    }),
  );
  candidates.sort((p, q) => q.score - p.score);
  const usedStored = new Set<number>();
  const usedFound = new Set<number>();
  const pairs: [number, number][] = [];
  for (const { i, j } of candidates) {
    if (usedStored.has(i) || usedFound.has(j)) continue;
    usedStored.add(i);
    usedFound.add(j);
    pairs.push([i, j]);
  }
  return pairs;
}
