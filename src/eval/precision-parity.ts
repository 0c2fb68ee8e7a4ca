import { readFile } from 'node:fs/promises';
import { matchFaces } from '../vision/box-matching.js';
import type { Box } from '../vision/types.js';
import type { PhotoAnalyzer } from './evaluator.js';

/** Boxes overlapping at least this much (intersection over union) are one face in both runs. */
export const SAME_FACE_IOU = 0.5;
/** The size from which a face must never depend on the precision (the goal). */
export const PARITY_FACE_SIDE = 60;

/** A photo whose faces the two runs disagree on, and the faces found by one run only. */
export interface ParityDifference {
  file: string;
  fast: number;
  float32: number;
  /** Faces of one run with no face of the other within {@link SAME_FACE_IOU}, and their shorter side in photo pixels. */
  unmatched: { run: 'fast' | 'float32'; box: Box; side: number; score: number }[];
}

export interface ParityReport {
  photos: number;
  /** Photos whose faces differ in count or in a box. */
  differing: number;
  /** Of those, photos where a face of at least {@link PARITY_FACE_SIDE} px is found by one run only. */
  differingAt60: number;
  fastSeconds: number;
  float32Seconds: number;
  differences: ParityDifference[];
}

/**
 * Whether the fast path (int8 where the CPU has it) finds the same faces as float32 throughout:
 * every photo through both, faces matched one to one by IoU, best overlaps first.
 */
export async function comparePrecision(files: readonly string[], fast: PhotoAnalyzer, float32: PhotoAnalyzer): Promise<ParityReport> {
  const report: ParityReport = { photos: files.length, differing: 0, differingAt60: 0, fastSeconds: 0, float32Seconds: 0, differences: [] };
  for (const file of files) {
    const bytes = await readFile(file);
    const run = async (analyzer: PhotoAnalyzer, key: 'fastSeconds' | 'float32Seconds') => {
      const t = performance.now();
      try {
        return (await analyzer.analyze(bytes)).faces;
      } catch {
        return [];
      } finally {
        report[key] += (performance.now() - t) / 1000;
      }
    };
    const a = await run(fast, 'fastSeconds');
    const b = await run(float32, 'float32Seconds');
    const unmatched = unmatchedFaces(a, b);
    if (unmatched.length === 0) continue;
    report.differing++;
    if (unmatched.some((u) => u.side >= PARITY_FACE_SIDE)) report.differingAt60++;
    report.differences.push({ file, fast: a.length, float32: b.length, unmatched });
  }
  return report;
}

function unmatchedFaces(
  fast: readonly { box: Box; score: number }[],
  float32: readonly { box: Box; score: number }[],
): ParityDifference['unmatched'] {
  const pairs = matchFaces(
    fast.map((f) => f.box),
    float32.map((g) => g.box),
    SAME_FACE_IOU,
  );
  const usedA = new Set(pairs.map(([i]) => i));
  const usedB = new Set(pairs.map(([, j]) => j));
  const side = (b: Box) => Math.round(Math.min(b.width, b.height));
  return [
    ...fast.flatMap((f, i) => (usedA.has(i) ? [] : [{ run: 'fast' as const, box: f.box, side: side(f.box), score: f.score }])),
    ...float32.flatMap((g, j) => (usedB.has(j) ? [] : [{ run: 'float32' as const, box: g.box, side: side(g.box), score: g.score }])),
  ];
}
