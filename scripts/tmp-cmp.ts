import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/vision/engine-factory.js';
import { FacePipeline } from '../src/vision/face-pipeline.js';
import { PipelinePool, pipelineOptions } from '../src/vision/pipeline-pool.js';
import { benchPhotos } from '../bench/photos.js';
const photos = await benchPhotos();
const config = loadConfig(process.env);
const local = new FacePipeline(createEngine(config), pipelineOptions(config));
await local.engine.load();
const pool = new PipelinePool(config, 2, 'x'); await pool.load();
await local.analyze(photos[0].bytes); await Promise.all([pool.analyze(photos[0].bytes), pool.analyze(photos[1].bytes)]);
let tl = 0, tp = 0;
for (let s = 0; s < photos.length; s += 10) {
  const chunk = photos.slice(s, s + 10);
  let t = performance.now();
  for (const p of chunk) await local.analyze(p.bytes);
  tl += performance.now() - t;
  t = performance.now();
  let next = 0;
  await Promise.all([0, 1].map(async () => { while (next < chunk.length) { const i = next++; await pool.analyze(chunk[i].bytes); } }));
  tp += performance.now() - t;
}
console.log(`in-thread ${(photos.length / tl * 1000).toFixed(2)} photos/s, pool(2x1) ${(photos.length / tp * 1000).toFixed(2)} photos/s, ratio ${(tl / tp).toFixed(2)}`);
process.exit(0);
