/**
 * `npx tsx bench/measure/batch-ingest.ts DIR [--rounds N] [--in-flight N] [--queries]`
 *
 * The photos under DIR ingested as `facegraph ingest` does it: one batch of
 * the files on disk, each photo through the per-photo job (`processItem`:
 * read the file, store the photo, its faces and the item's outcome), into
 * embedded PGlite (a temporary data folder), configuration from the
 * environment, `--in-flight` photos at once (default `photosInFlight`, one
 * more than analysis threads). Timed after the models load; per round a fresh
 * album: photos per second, CPU a photo in all threads, and how long the main
 * thread (database, files, messages) was busy a photo. For comparing settings
 * or two checkouts, run one after the other, alternating. `--queries` also
 * counts and times PGlite's queries (wall time, waits for the database
 * included) and prints, per round, the statements a photo cost.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig, photosInFlight } from '../../src/config.js';
import { createFacegraph } from '../../src/facegraph.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' }, 'in-flight': { type: 'string' }, queries: { type: 'boolean' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: npx tsx bench/measure/batch-ingest.ts DIR [--rounds N] [--in-flight N] [--queries]\n');
  process.exit(2);
}
const root = path.resolve(positionals[0]);
const files = (await fs.readdir(root, { recursive: true, withFileTypes: true }))
  .filter((e) => e.isFile() && /\.(jpe?g|png|webp)$/i.test(e.name))
  .map((e) => path.join(e.parentPath, e.name))
  .sort();
/** Statement (parameters and whitespace folded) -> calls and milliseconds, while `--queries` is on. */
const queries = new Map<string, { calls: number; ms: number }>();
if (values.queries) {
  const query = PGlite.prototype.query;
  PGlite.prototype.query = async function (this: PGlite, ...args: Parameters<typeof query>) {
    const t = performance.now();
    try {
      return await query.apply(this, args);
    } finally {
      const key = String(args[0]).replace(/\s+/g, ' ').slice(0, 100);
      const q = queries.get(key) ?? { calls: 0, ms: 0 };
      q.calls++;
      q.ms += performance.now() - t;
      queries.set(key, q);
    }
  } as typeof query;
}
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-batch-ingest-'));
const { DATABASE_URL: _ignored, ...env } = process.env;
const config = loadConfig({ ...env, FACEGRAPH_DATA_DIR: dataDir });
const inFlight = Number(values['in-flight'] ?? photosInFlight(config.analyzers));
const fg = await createFacegraph(config, { workers: 0 });
try {
  await fg.analyzer.load();
  process.stdout.write(`${files.length} photos, ${config.analyzers} analysis threads, ${inFlight} in flight\n`);
  for (let round = 0; round < Number(values.rounds); round++) {
    const album = await fg.services.albums.create(LOCAL_OWNER.id, `batch ingest ${round}`);
    const ingest = fg.services.ingest;
    const batch = await ingest.createLocalBatch(
      LOCAL_OWNER.id,
      album.id,
      files.map((f) => ({ fileName: path.relative(root, f), path: f })),
    );
    queries.clear();
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const t = performance.now();
    let next = 0;
    const consumer = async () => {
      while (next < files.length) await ingest.processItem(batch.id, next++);
    };
    await Promise.all(Array.from({ length: inFlight }, consumer));
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const main = performance.eventLoopUtilization(elu);
    const done = await ingest.getBatch(LOCAL_OWNER.id, batch.id);
    const n = files.length;
    process.stdout.write(
      `round ${round + 1}: ${(n / seconds).toFixed(1)} photos/s, CPU ${((used.user + used.system) / 1000 / n).toFixed(1)} ms a photo ` +
        `(all threads), main thread busy ${(main.active / n).toFixed(1)} ms a photo; batch ${done.status} ${done.done} done ` +
        `${done.failed} failed; load ${os.loadavg()[0].toFixed(2)}\n`,
    );
    if (values.queries) {
      const all = [...queries.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const sum = all.reduce((t, [, q]) => ({ calls: t.calls + q.calls, ms: t.ms + q.ms }), { calls: 0, ms: 0 });
      process.stdout.write(`  queries: ${(sum.calls / n).toFixed(1)} a photo, ${(sum.ms / n).toFixed(1)} ms a photo\n`);
      for (const [key, q] of all.slice(0, 12))
        process.stdout.write(`  ${(q.calls / n).toFixed(2)} x ${(q.ms / q.calls).toFixed(2)} ms  ${key}\n`);
    }
  }
} finally {
  await fg.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
