import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { DEMO_DIR, DEMO_PHOTOS } from '../src/eval/demo-photos.js';

export { DEMO_DIR } from '../src/eval/demo-photos.js';

/**
 * The folder of the labelled sets from public repositories (FACEGRAPH_DATASETS, lfw10 in it), never
 * part of the repository: undefined where it is unset, as in a fresh clone.
 */
export const DATASETS: string | undefined = loadConfig(process.env).datasets;

/** Why lfw10 cannot be read (one line naming FACEGRAPH_DATASETS), or false when it can. */
export function lfw10Missing(): string | false {
  if (!DATASETS) return 'FACEGRAPH_DATASETS is unset: needs the labelled set lfw10 (FACEGRAPH_DATASETS=<folder holding lfw10/>)';
  if (!existsSync(path.join(DATASETS, 'lfw10'))) return `FACEGRAPH_DATASETS (${DATASETS}) has no lfw10: needs the labelled set lfw10`;
  return false;
}

/** The folder holding lfw10/ (FACEGRAPH_DATASETS); throws the line of {@link lfw10Missing} without it. */
export function datasetsRoot(): string {
  const missing = lfw10Missing();
  if (missing) throw new Error(missing);
  return DATASETS!;
}

/** lfw10's 100 photos as paths relative to {@link datasetsRoot} (`lfw10/<Person>/<file>`), sorted. */
export async function lfw10Paths(): Promise<string[]> {
  const lfw = path.join(datasetsRoot(), 'lfw10');
  const out: string[] = [];
  for (const person of (await fs.readdir(lfw)).sort()) {
    for (const f of (await fs.readdir(path.join(lfw, person))).sort()) out.push(`lfw10/${person}/${f}`);
  }
  return out;
}

/**
 * The benchmark photo set: the six 1920-px face-api demo photos (from its npm package) plus, unless
 * `lfw10` is false, the 100 lfw10 photos from FACEGRAPH_DATASETS (an error naming it where it is unset).
 */
export async function benchPhotos({ lfw10 = true } = {}): Promise<{ name: string; path: string; bytes: Buffer }[]> {
  const files = DEMO_PHOTOS.map((f) => path.join(DEMO_DIR, f));
  if (lfw10) files.push(...(await lfw10Paths()).map((p) => path.join(datasetsRoot(), p)));
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
