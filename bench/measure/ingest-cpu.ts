/**
 * `npx tsx bench/measure/ingest-cpu.ts [--rounds N] [--only groups|lfw10]`
 *
 * Where an ingest's CPU goes: the bench's photos (the six demo group photos +
 * lfw10, from FACEGRAPH_DATASETS) ingested into embedded PGlite (a temporary data folder) as one batch,
 * as many photos in flight as analysis threads, configuration from the
 * environment; per round, photos per second, CPU a photo in all threads
 * (`process.cpuUsage`: main and analysis threads) and how long the main thread
 * (database, files, messages) was busy a photo (event-loop utilisation); and
 * first how long the analysis threads took to be ready. The first round of a
 * process pays for JIT compilation and the database's first pages.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchPhotos } from '../photos.js';
import { loadConfig } from '../../src/config.js';
import { createFacegraph } from '../../src/facegraph.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, only: { type: 'string' } } });
// lfw10 comes from FACEGRAPH_DATASETS: without it, --only groups still runs, the others stop with one line saying so.
const all = await benchPhotos({ lfw10: values.only !== 'groups' }).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
});
const photos = values.only === 'groups' ? all.slice(0, 6) : values.only === 'lfw10' ? all.slice(6) : all;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-ingest-cpu-'));
const { DATABASE_URL: _ignored, ...env } = process.env;
const config = loadConfig({ ...env, FACEGRAPH_DATA_DIR: dataDir });
const fg = await createFacegraph(config, { workers: 0 });
try {
  const loading = performance.now();
  await fg.analyzer.load();
  process.stdout.write(
    `models loaded (and warmed up) in ${Math.round(performance.now() - loading)} ms, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB\n`,
  );
  for (let round = 0; round < Number(values.rounds); round++) {
    const album = (await fg.services.albums.create(LOCAL_OWNER.id, `ingest cpu ${round}`)).id;
    const queue = [...photos];
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    const t = performance.now();
    const lane = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const { name, bytes } = p;
        await fg.services.ingest.ingestOne(album, { fileName: name, read: async () => bytes });
      }
    };
    await Promise.all(Array.from({ length: config.analyzers }, lane));
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const main = performance.eventLoopUtilization(elu);
    const n = photos.length;
    process.stdout.write(
      `round ${round + 1}: ${(n / seconds).toFixed(1)} photos/s, CPU ${((used.user + used.system) / 1000 / n).toFixed(1)} ms a photo ` +
        `(all threads), main thread busy ${(main.active / n).toFixed(1)} ms a photo, load ${os.loadavg()[0].toFixed(2)}\n`,
    );
  }
} finally {
  await fg.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
