import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { DEMO_DIR, GROUP_FACES } from '../../src/eval/demo-photos.js';
import { writeGroupTightCrops, writeLfwTightCrops } from '../../src/eval/tight-crops.js';

export { DEMO_DIR, DEMO_PHOTOS, GROUP_FACES } from '../../src/eval/demo-photos.js';

/**
 * Photos from packages, committed with source and licence (test/fixtures/photos/README.md):
 * `noface/` (13 photos without a person) and `oneface/` (astronaut, camera), from Debian's python3-skimage.
 * With face-api's demo photos (DEMO_DIR) they are what a fresh clone's tests run on.
 */
export const PACKAGE_PHOTOS = path.resolve(import.meta.dirname, '../fixtures/photos');
export const NOFACE_DIR = path.join(PACKAGE_PHOTOS, 'noface');
export const ONEFACE_DIR = path.join(PACKAGE_PHOTOS, 'oneface');

/**
 * The labelled sets from public repositories (lfw10, knn, edge, public/...), never committed:
 * read from `FACEGRAPH_DATASETS` (CI sets it), unset in a fresh clone.
 */
export const DATASETS: string | undefined = loadConfig(process.env).datasets;

/**
 * `{ skip: needsDatasets('lfw10') }` on a test that needs labelled photos: false when every named set
 * is there, else the one line the runner prints for the skip. For a suite, {@link describeWithDatasets}.
 */
export function needsDatasets(...sets: string[]): string | false {
  const what = `the labelled set${sets.length > 1 ? 's' : ''} ${sets.join(', ')}`;
  if (!DATASETS) return `FACEGRAPH_DATASETS is unset: needs ${what}`;
  const missing = sets.filter((s) => !existsSync(path.join(DATASETS!, s)));
  return missing.length > 0 ? `FACEGRAPH_DATASETS (${DATASETS}) has no ${missing.join(', ')}: needs ${what}` : false;
}

/**
 * `describe` for a suite that needs labelled photos. Without them the suite holds one skipped test
 * that says what is missing: node's runner counts skipped tests, not skipped suites, so a skipped
 * suite would vanish from the counts.
 */
export function describeWithDatasets(sets: string[], name: string, fn: () => void): void {
  const missing = needsDatasets(...sets);
  if (missing) describe(name, () => it('runs on labelled photos', { skip: missing }, () => {}));
  else describe(name, fn);
}

/**
 * Where set `name` is (a path that does not exist when FACEGRAPH_DATASETS is unset): safe at module
 * level; read it only in tests guarded by {@link needsDatasets}.
 */
export function datasetPath(name: string, ...rest: string[]): string {
  return path.join(DATASETS ?? path.join(os.tmpdir(), 'FACEGRAPH_DATASETS-unset'), name, ...rest);
}

export const LFW10_DIR = datasetPath('lfw10');

let derived: string | undefined;
const made = new Map<string, Promise<string>>();
/** A folder of this process's, removed when it exits, for the derived sets. */
function derivedDir(name: string): string {
  if (!derived) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-derived-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    derived = dir;
  }
  return path.join(derived, name);
}

/** lfw10's photos as tight grey crops (`<Person>/<file>`), made on first use; needs lfw10. */
export function lfw10TightDir(): Promise<string> {
  return once('lfw10-tight', () => writeLfwTightCrops(LFW10_DIR, derivedDir('lfw10-tight')));
}

/** The 22 demo group faces as tight grey crops (`sampleN-faceK.jpg`), made on first use from the npm package's photos. */
export function groupsTightDir(): Promise<string> {
  return once('groups-tight', () => writeGroupTightCrops(derivedDir('groups-tight')));
}

function once(key: string, make: () => Promise<string>): Promise<string> {
  let p = made.get(key);
  if (!p) made.set(key, (p = make()));
  return p;
}

/**
 * A small portrait cut from a demo group photo, as LFW's are (250 x 250 JPEG, one face in the middle):
 * the square `factor` times the width of face `face` of `photo` (GROUP_FACES, 0-based), centred on it
 * and moved inside the photo where it would leave it, resized to `side`. At the default 2.8 the face's
 * box is about 90 px wide (LFW's about 100). Photos smaller than the detector's 512 px for a fresh
 * clone, made from the npm package's photos.
 */
export async function demoPortrait(photo: string, face: number, factor = 2.8, side = 250): Promise<Buffer> {
  const file = path.join(DEMO_DIR, `${photo}.jpg`);
  const { width = 0, height = 0 } = await sharp(file).metadata();
  const [x, y, w, h] = GROUP_FACES[photo][face];
  const square = Math.min(width, height, Math.round(factor * w));
  const left = Math.max(0, Math.min(width - square, Math.round(x + w / 2 - square / 2)));
  const top = Math.max(0, Math.min(height - square, Math.round(y + h / 2 - square / 2)));
  return sharp(file).extract({ left, top, width: square, height: square }).resize(side, side).jpeg({ quality: 90 }).toBuffer();
}

/** The first `count` demo portraits ({@link demoPortrait}), one per group-photo face in GROUP_FACES order, named `sampleN-faceK`. */
export async function demoPortraits(count = 22, factor = 2.8): Promise<{ name: string; bytes: Buffer }[]> {
  const faces = Object.entries(GROUP_FACES).flatMap(([photo, boxes]) => boxes.map((_, k) => [photo, k] as const));
  if (count > faces.length) throw new RangeError(`there are ${faces.length} demo faces, not ${count}`);
  return Promise.all(
    faces.slice(0, count).map(async ([photo, k]) => ({ name: `${photo}-face${k + 1}`, bytes: await demoPortrait(photo, k, factor) })),
  );
}
