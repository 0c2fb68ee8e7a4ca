import fs from 'node:fs/promises';
import path from 'node:path';
import { DEMO_DIR, LFW10_DIR } from '../test/helpers/datasets.js';

export { DATASETS, DEMO_DIR } from '../test/helpers/datasets.js';

/** The benchmark photo set: the six 1920-px face-api demo photos plus the 100 lfw10 photos. */
export async function benchPhotos(): Promise<{ name: string; path: string; bytes: Buffer }[]> {
  const files: string[] = [];
  for (let i = 1; i <= 6; i++) files.push(path.join(DEMO_DIR, `sample${i}.jpg`));
  for (const person of (await fs.readdir(LFW10_DIR)).sort()) {
    for (const f of (await fs.readdir(path.join(LFW10_DIR, person))).sort()) files.push(path.join(LFW10_DIR, person, f));
  }
  return Promise.all(files.map(async (f) => ({ name: path.basename(f), path: f, bytes: await fs.readFile(f) })));
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
