import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lfw10Missing } from './photos.js';

/**
 * `npm run bench [-- --only NAME] [--out FILE]`: runs the benchmark sections,
 * prints a table per section and writes one JSON document. Every speed figure
 * is reported next to a baseline measured in the same run, because machines
 * here are noisy; nothing in here is a pass/fail test.
 *
 * ingest, load and workers ingest lfw10's photos, read from FACEGRAPH_DATASETS
 * (the folder holding lfw10/, never part of the repository): where it is unset
 * those sections are skipped with one line saying so (and `{ "skipped": ... }`
 * in the JSON); search and clustering run on synthetic embeddings and always run.
 */
type Section = () => Promise<Record<string, unknown>>;

/** Section name -> [module beside this file, exported function]. */
const MODULES: Record<string, [string, string]> = {
  ingest: ['./ingest.bench.js', 'benchIngest'],
  search: ['./search.bench.js', 'benchSearch'],
  clustering: ['./clustering.bench.js', 'benchClustering'],
  load: ['./load.bench.js', 'benchLoad'],
  workers: ['./workers.bench.js', 'benchWorkers'],
  million: ['./million.bench.js', 'benchMillion'],
  embedded: ['./embedded.bench.js', 'benchEmbedded'],
  formats: ['./formats.bench.js', 'benchFormats'],
  together: ['./together.bench.js', 'benchTogether'],
};
/** The sections that read lfw10 from FACEGRAPH_DATASETS. */
const NEEDS_LFW10 = new Set(['ingest', 'load', 'workers']);
/** Sections that run only when named with --only: they take long (million: about an hour, embedded: half of one). */
const OPT_IN = new Set(['million', 'embedded']);
/** Sections that measure PostgreSQL itself and refuse the embedded database. */
const NEEDS_POSTGRES = new Set(['million']);
const SECTIONS: Record<string, () => Promise<Section>> = Object.fromEntries(
  Object.entries(MODULES).map(([name, [file, fn]]) => [name, async () => (await import(file))[fn] as Section]),
);

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: npm run bench [-- --only NAME[,NAME...]] [--out FILE]

sections: ${Object.keys(SECTIONS)
    .map((name) =>
      NEEDS_LFW10.has(name)
        ? `${name} (needs lfw10 from FACEGRAPH_DATASETS)`
        : NEEDS_POSTGRES.has(name)
          ? `${name} (only with --only; needs DATABASE_URL)`
          : name,
    )
    .join(', ')}
lfw10: ${lfw10Missing() || 'found in FACEGRAPH_DATASETS'}`);
  process.exit(0);
}

const names = values.only?.flatMap((o) => o.split(',')) ?? Object.keys(SECTIONS).filter((name) => !OPT_IN.has(name));
for (const name of names) {
  if (!SECTIONS[name]) {
    console.error(`unknown section "${name}"; sections: ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  if (NEEDS_POSTGRES.has(name) && !process.env.BENCH_DATABASE_URL && !process.env.DATABASE_URL) {
    console.error(
      `section ${name} measures PostgreSQL and refuses the embedded database (PGlite): set DATABASE_URL=postgres://... (a server with pgvector; the section makes and drops a database of its own)`,
    );
    process.exit(2);
  }
}

const report: Record<string, unknown> = {
  machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version, date: new Date().toISOString() },
};
for (const name of names) {
  console.error(`\n== ${name} ==`);
  const missing = NEEDS_LFW10.has(name) && lfw10Missing();
  if (missing) {
    console.error(`section ${name} skipped: ${missing}`);
    report[name] = { skipped: missing };
    continue;
  }
  let run: Section;
  try {
    run = await SECTIONS[name]();
  } catch (err) {
    console.error(`section ${name} is not available: ${(err as Error).message}`);
    report[name] = { error: (err as Error).message };
    continue;
  }
  const started = performance.now();
  report[name] = await run();
  console.error(`(${name} took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  printTable(name, report[name] as Record<string, unknown>);
}

if (values.out) {
  await fs.mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
  await fs.writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote ${values.out}`);
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(0);

function printTable(name: string, obj: Record<string, unknown>, prefix = ''): void {
  if (!prefix) console.log(`\n${name}`);
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) printTable(name, v as Record<string, unknown>, `${prefix}${k}.`);
    else console.log(`  ${(prefix + k).padEnd(32)} ${Array.isArray(v) ? JSON.stringify(v) : typeof v === 'number' ? round(v) : String(v)}`);
  }
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
