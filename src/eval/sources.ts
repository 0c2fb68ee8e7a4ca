import { readFile, stat, symlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../errors.js';
import { DEMO_DIR, GROUP_FACES } from './demo-photos.js';
import { entries, isPhoto, listPhotos, loadIdentityFolders, type EvalDataset } from './eval-dataset.js';
import { writeGroupTightCrops, writeLfwTightCrops } from './tight-crops.js';

/**
 * One source of labelled photos, scored as a row of the evaluation's table: identity photos
 * (pairs of one person and of different people), group photos with their faces counted by eye,
 * photos with no face. A source has any of the three.
 */
export interface EvalSource {
  name: string;
  /** Which totals row it counts in: `repository` for the repository's own sets, else the `--sets` folder's name. */
  family: string;
  identity?: EvalDataset;
  /** Group photos of different people, each with the number of real faces counted by eye. */
  groups?: { file: string; expected: number }[];
  noface?: string[];
}

/** Names a source folder reserves; every other folder in it is a person. */
const GROUPS = 'groups';
const NOFACE = 'noface';
/** `file,faces` in a source's groups/ folder. */
export const EXPECTED_FILE = 'expected.csv';

/**
 * A source folder laid out as `public/<source>/`: `<person>/<photo>` identity folders,
 * `groups/*.jpg` with `groups/expected.csv` (`file,faces`), `noface/*`.
 */
export async function loadSourceFolder(dir: string, family: string): Promise<EvalSource> {
  const source: EvalSource = { name: path.basename(dir), family };
  const folders = await entries(dir, 'directory');
  const people = folders.filter((f) => f !== GROUPS && f !== NOFACE);
  if (people.length > 0) {
    const photos = (await Promise.all(people.map(async (p) => (await entries(path.join(dir, p), 'file')).filter(isPhoto)))).flat();
    if (photos.length >= 2) source.identity = await loadIdentityFolders(dir, { only: people });
  }
  if (folders.includes(GROUPS)) source.groups = await readExpected(path.join(dir, GROUPS));
  if (folders.includes(NOFACE)) source.noface = await listPhotos(path.join(dir, NOFACE));
  return source;
}

/** Every source folder of `dir` (the layout of `public/`), in name order. */
export async function loadSourcesDir(dir: string): Promise<EvalSource[]> {
  const family = path.basename(path.resolve(dir));
  const sources: EvalSource[] = [];
  for (const name of (await entries(dir, 'directory')).sort()) {
    const source = await loadSourceFolder(path.join(dir, name), family);
    if (source.identity || source.groups || source.noface) sources.push(source);
  }
  if (sources.length === 0) throw new InvalidInputError(`${dir}: no source folder (person folders, groups/ or noface/) in it`, { dir });
  return sources;
}

async function readExpected(dir: string): Promise<{ file: string; expected: number }[]> {
  const csv = path.join(dir, EXPECTED_FILE);
  let text: Buffer;
  try {
    text = await readFile(csv);
  } catch {
    throw new InvalidInputError(`${dir}: group photos need ${EXPECTED_FILE} (file,faces)`, { dir });
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  return rows.map((r, i) => {
    const expected = Number(r.faces);
    if (!r.file || !Number.isInteger(expected) || expected < 0) {
      throw new InvalidInputError(`${csv}: line ${i + 2}: file and a whole number of faces are required`, { csv });
    }
    return { file: path.join(dir, r.file), expected };
  });
}

/** Labels of the repository's sets whose photos are not in per-person folders (paths relative to the set). */
const LABELS_DIR = path.join(import.meta.dirname, 'labels');

/**
 * The repository's own evaluation sets, from a FACEGRAPH_DATASETS folder (whichever of them it has),
 * with the derived sets made into `scratch`: lfw10, knn, edge (identity), lfw10-tight (lfw10 as tight
 * crops), groups (face-api's demo photos, 22 faces counted by eye), groups-tight (their faces as tight
 * crops; each its own person, so its pairs are look-alikes), noface, oneface.
 */
export async function repositorySources(datasets: string, scratch: string): Promise<EvalSource[]> {
  const family = 'repository';
  const here = async (name: string) => ((await exists(path.join(datasets, name))) ? path.join(datasets, name) : undefined);
  const sources: EvalSource[] = [];
  const lfw10 = await here('lfw10');
  if (lfw10) sources.push({ name: 'lfw10', family, identity: await loadIdentityFolders(lfw10) });
  for (const name of ['knn', 'edge']) {
    const dir = await here(name);
    if (dir) sources.push({ name, family, identity: await loadIdentityFolders(dir, { labels: path.join(LABELS_DIR, `${name}.csv`) }) });
  }
  if (lfw10) {
    const tight = await writeLfwTightCrops(lfw10, path.join(scratch, 'lfw10-tight'));
    sources.push({ name: 'lfw10-tight', family, identity: await loadIdentityFolders(tight) });
  }
  // The demo photos through links, so that the set holds them alone (the package's demo/ has screenshots too).
  const groups = path.join(scratch, 'groups');
  await mkdir(groups, { recursive: true });
  for (const photo of Object.keys(GROUP_FACES)) await symlink(path.join(DEMO_DIR, `${photo}.jpg`), path.join(groups, `${photo}.jpg`));
  sources.push({
    name: 'groups',
    family,
    groups: Object.entries(GROUP_FACES).map(([p, faces]) => ({ file: path.join(groups, `${p}.jpg`), expected: faces.length })),
  });
  const crops = await listPhotos(await writeGroupTightCrops(path.join(scratch, 'groups-tight')));
  sources.push({ name: 'groups-tight', family, identity: ownPeople(crops) });
  const noface = await here('noface');
  if (noface) sources.push({ name: 'noface', family, noface: await listPhotos(noface) });
  const oneface = await here('oneface');
  if (oneface) sources.push({ name: 'oneface', family, groups: (await listPhotos(oneface)).map((file) => ({ file, expected: 1 })) });
  return sources;
}

/** Photos of as many different people: every pair is a different-person pair. */
function ownPeople(photos: string[]): EvalDataset {
  const pairs: EvalDataset['pairs'] = [];
  for (let a = 0; a < photos.length; a++) for (let b = a + 1; b < photos.length; b++) pairs.push({ a, b, same: false });
  return { photos, identities: photos.map((p) => path.basename(p)), pairs };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
