import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../errors.js';

/** Files the evaluation reads as photos; anything else in a dataset folder is ignored. */
const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

/** A labelled evaluation set: photos, and the pairs to verify between them. */
export interface EvalDataset {
  /** Absolute paths, one per photo, in a stable order. */
  photos: string[];
  /** Identity of each photo (same index), or `null` when only pairs are known. */
  identities: (string | null)[];
  /** Pairs as indices into `photos`, with the truth. */
  pairs: { a: number; b: number; same: boolean }[];
}

/** A set's own labels, when its photos are not in per-person folders: `file,identity` rows, paths relative to the set. */
export const LABELS_FILE = 'labels.csv';

/**
 * A labelled set: a folder per person, identity = folder name, or the rows of
 * a labels file (`file,identity`, paths relative to `root`): `options.labels`, else
 * the set's own `labels.csv` when it has one. Every photo is paired with every
 * other (n(n-1)/2 pairs), the protocol of issue 3 for lfw10. `options.only`
 * limits the person folders read (a source folder has groups/ and noface/ beside them).
 */
export async function loadIdentityFolders(root: string, options: { labels?: string; only?: string[] } = {}): Promise<EvalDataset> {
  const photos: string[] = [];
  const identities: string[] = [];
  const labels = await readLabels(root, options.labels);
  if (labels) {
    for (const { file, identity } of labels) {
      photos.push(path.join(root, file));
      identities.push(identity);
    }
  } else {
    for (const person of (options.only ?? (await entries(root, 'directory'))).sort()) {
      const files = (await entries(path.join(root, person), 'file')).filter(isPhoto).sort();
      for (const file of files) {
        photos.push(path.join(root, person, file));
        identities.push(person);
      }
    }
  }
  if (photos.length < 2) throw new InvalidInputError(`${root}: need at least two photos in per-person folders`, { root });
  const pairs: EvalDataset['pairs'] = [];
  for (let a = 0; a < photos.length; a++) {
    for (let b = a + 1; b < photos.length; b++) pairs.push({ a, b, same: identities[a] === identities[b] });
  }
  return { photos, identities, pairs };
}

async function readLabels(root: string, file?: string): Promise<{ file: string; identity: string }[] | undefined> {
  let text: Buffer;
  try {
    text = await readFile(file ?? path.join(root, LABELS_FILE));
  } catch (err) {
    if (file) throw new InvalidInputError(`${file}: ${(err as Error).message}`, { root });
    return undefined;
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const bad = rows.findIndex((r) => !r.file || !r.identity);
  if (bad >= 0) throw new InvalidInputError(`${root}/${LABELS_FILE}: line ${bad + 2}: file and identity are required`, { root });
  return rows.map((r) => ({ file: r.file, identity: r.identity }));
}

export function isPhoto(name: string): boolean {
  return PHOTO_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** Every photo below `dir`, at any depth, sorted (for sets without identities: `--noface`, `--groups`). */
export async function listPhotos(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await entries(dir, 'directory')).sort()) out.push(...(await listPhotos(path.join(dir, name))));
  for (const name of (await entries(dir, 'file')).filter(isPhoto).sort()) out.push(path.join(dir, name));
  return out.sort();
}

/** Names of the directories or files in `dir`, following symbolic links (a dataset may be a farm of links). */
export async function entries(dir: string, kind: 'directory' | 'file'): Promise<string[]> {
  const names: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const s = e.isSymbolicLink() ? await stat(path.join(dir, e.name)) : e;
    if (kind === 'directory' ? s.isDirectory() : s.isFile()) names.push(e.name);
  }
  return names;
}

/**
 * A CSV with header `file_x,file_y,decision` (`Yes` = same person, `No` =
 * different), file names relative to `imagesDir`. Each photo is analysed once
 * however many pairs name it.
 */
export async function loadPairsCsv(csvFile: string, imagesDir: string): Promise<EvalDataset> {
  const rows = parse(await readFile(csvFile), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const photos: string[] = [];
  const index = new Map<string, number>();
  const indexOf = (name: string) => {
    const file = path.resolve(imagesDir, name);
    let i = index.get(file);
    if (i === undefined) {
      i = photos.push(file) - 1;
      index.set(file, i);
    }
    return i;
  };
  const problems: string[] = [];
  const pairs: EvalDataset['pairs'] = [];
  rows.forEach((row, i) => {
    const line = i + 2;
    const decision = row.decision?.toLowerCase();
    if (!row.file_x || !row.file_y) problems.push(`line ${line}: file_x and file_y are required`);
    else if (decision !== 'yes' && decision !== 'no')
      problems.push(`line ${line}: decision must be Yes or No, got "${row.decision ?? ''}"`);
    else pairs.push({ a: indexOf(row.file_x), b: indexOf(row.file_y), same: decision === 'yes' });
  });
  if (problems.length > 0) {
    throw new InvalidInputError(`${csvFile}: ${problems.slice(0, 10).join('; ')}`, { csvFile, problems: problems.length });
  }
  if (pairs.length === 0) throw new InvalidInputError(`${csvFile}: no pairs (expected header file_x,file_y,decision)`, { csvFile });
  return { photos, identities: photos.map(() => null), pairs };
}
