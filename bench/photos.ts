import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_DIR = path.join(ROOT, 'node_modules/@vladmandic/face-api/demo');
export const DATASETS = path.resolve(ROOT, '../shared/datasets');

/** The benchmark photo set: the six 1920-px face-api demo photos plus the 100 lfw10 photos. */
export async function benchPhotos(): Promise<{ name: string; bytes: Buffer }[]> {
  const files: string[] = [];
  for (let i = 1; i <= 6; i++) files.push(path.join(DEMO_DIR, `sample${i}.jpg`));
  const lfw = path.join(DATASETS, 'lfw10');
  for (const person of (await fs.readdir(lfw)).sort()) {
    for (const f of (await fs.readdir(path.join(lfw, person))).sort()) files.push(path.join(lfw, person, f));
  }
  return Promise.all(files.map(async (f) => ({ name: path.basename(f), bytes: await fs.readFile(f) })));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
