/**
 * `npx tsx bench/measure/group-latency.ts [--rounds N]`
 *
 * Each of the six 1920-px demo group photos ingested into embedded PGlite
 * (a temporary data folder) the way the bench's facegraph lane does it, the
 * configuration from the environment, as many photos in flight as analysis
 * threads: each photo's own latency, for comparing two checkouts (copy the
 * script into the other one) run one after the other, alternating.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { createFacegraph } from '../../src/facegraph.js';
import { DEMO_DIR, DEMO_PHOTOS } from '../../src/eval/demo-photos.js';
import { LOCAL_OWNER } from '../../src/services/api-key.service.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-group-latency-'));
const { DATABASE_URL: _ignored, ...env } = process.env;
const config = loadConfig({ ...env, FACEGRAPH_DATA_DIR: dataDir });
const fg = await createFacegraph(config, { workers: 0 });
try {
  await fg.analyzer.load();
  const photos = await Promise.all(DEMO_PHOTOS.map((file) => fs.readFile(path.join(DEMO_DIR, file))));
  await Promise.all(Array.from({ length: config.analyzers }, () => fg.analyzer.analyze(photos[0])));
  const ms: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const album = (await fg.services.albums.create(LOCAL_OWNER.id, `group latency ${round}`)).id;
    const queue = photos.map((bytes, i) => ({ bytes, i }));
    const lane = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { bytes, i } = next;
        const t = performance.now();
        await fg.services.ingest.ingestOne(album, { fileName: `sample${i + 1}.jpg`, read: async () => bytes });
        ms.push(performance.now() - t);
        process.stdout.write(`round ${round + 1} sample${i + 1}.jpg ${Math.round(ms[ms.length - 1])} ms\n`);
      }
    };
    await Promise.all(Array.from({ length: config.analyzers }, lane));
  }
  const sorted = ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  process.stdout.write(`${sorted.length} photos, ${config.analyzers} in flight: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms\n`);
} finally {
  await fg.close();
  await fs.rm(dataDir, { recursive: true, force: true });
}
