import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createFacegraph } from '../src/facegraph.js';
import { createEngine } from '../src/vision/engine-factory.js';
import type { StageTimings } from '../src/vision/face-pipeline.js';
import type { EngineProfile } from '../src/vision/onnx/engine-profile.js';
import { OnnxEngine } from '../src/vision/onnx/onnx-engine.js';
import { benchPhotos, median, percentile } from './photos.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';

interface RoundResult {
  seconds: number;
  msPerPhoto: number[];
  stages: StageTimings & { store: number };
  faces: number;
  /** The ONNX engine's own split of its time (TypeScript around the networks vs ONNX Runtime). */
  profile?: EngineProfile;
}

/**
 * End-to-end ingestion (decode, detect, landmarks, encode, store on embedded
 * PGlite) of the demo photos + lfw10, with the ONNX engine and, as the baseline
 * in the same run, the tfjs-wasm engine. Median of several rounds, each into a
 * fresh album so nothing is deduplicated away.
 */
export async function benchIngest(): Promise<Record<string, unknown>> {
  const photos = await benchPhotos();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const onnx = await measureEngine('onnx', photos, rounds);
  const tfjs = await measureEngine('tfjs', photos, Number(process.env.BENCH_BASELINE_ROUNDS ?? Math.min(rounds, 2)));
  const pick = (rs: RoundResult[]) => rs.slice().sort((a, b) => a.seconds - b.seconds)[rs.length >> 1];
  const o = pick(onnx.rounds);
  const t = pick(tfjs.rounds);
  const stageMedian = (rs: RoundResult[], k: keyof RoundResult['stages']) => median(rs.map((r) => r.stages[k]));
  return {
    engine: 'onnx',
    photos: photos.length,
    faces: o.faces,
    rounds,
    photosPerSec: photos.length / o.seconds,
    baselinePhotosPerSec: photos.length / t.seconds,
    speedup: t.seconds / o.seconds,
    p50MsPerPhoto: median(onnx.rounds.flatMap((r) => r.msPerPhoto)),
    p95MsPerPhoto: percentile(onnx.rounds.flatMap((r) => r.msPerPhoto), 95),
    stagesMs: Object.fromEntries((['decode', 'detect', 'landmarks', 'encode', 'store'] as const).map((k) => [k, stageMedian(onnx.rounds, k) / photos.length])),
    baselineStagesMs: Object.fromEntries((['decode', 'detect', 'landmarks', 'encode', 'store'] as const).map((k) => [k, stageMedian(tfjs.rounds, k) / photos.length])),
    rssMb: onnx.rssMb,
    // Per photo, for the round above: how many inputs each network saw, and the milliseconds spent
    // building inputs in TypeScript (prepare), inside ONNX Runtime (infer) and reading outputs (finish).
    onnxNetworks: o.profile && perPhoto(o.profile, photos.length),
    modelLoadSeconds: { onnx: onnx.loadSeconds, tfjs: tfjs.loadSeconds },
  };
}

async function measureEngine(name: 'onnx' | 'tfjs', photos: { name: string; bytes: Buffer }[], rounds: number) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `facegraph-bench-${name}-`));
  const config = loadConfig({ FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_ENGINE: name });
  const engine = createEngine(config);
  const loadStart = performance.now();
  await engine.load();
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const fg = await createFacegraph(config, { engine });
  let last: (StageTimings & { faces: number }) | undefined;
  fg.analyzer.observe((r) => (last = { ...r.timings, faces: r.faces.length }));
  const results: RoundResult[] = [];
  let rssMb = 0;
  try {
    // One warm-up photo per engine: first-call allocations are not steady-state speed.
    await fg.pipeline.analyze(photos[0].bytes);
    for (let round = 0; round < rounds; round++) {
      const album = await fg.services.albums.create(LOCAL_OWNER.id, `bench ${name} ${round}`);
      const stages = { decode: 0, detect: 0, landmarks: 0, encode: 0, store: 0 };
      const msPerPhoto: number[] = [];
      let faces = 0;
      if (engine instanceof OnnxEngine) engine.resetProfile();
      const started = performance.now();
      for (const photo of photos) {
        const t0 = performance.now();
        await fg.services.ingest.ingestOne(album.id, { fileName: photo.name, read: async () => photo.bytes });
        const total = performance.now() - t0;
        msPerPhoto.push(total);
        const timings = last!;
        faces += timings.faces;
        stages.decode += timings.decode;
        stages.detect += timings.detect;
        stages.landmarks += timings.landmarks;
        stages.encode += timings.encode;
        // Everything that is not inference: hashing, the dedupe lookup, the photo file and the transaction.
        stages.store += total - (timings.decode + timings.detect + timings.landmarks + timings.encode);
      }
      const seconds = (performance.now() - started) / 1000;
      results.push({ seconds, msPerPhoto, stages, faces, profile: engine instanceof OnnxEngine ? engine.profile() : undefined });
      rssMb = Math.max(rssMb, process.memoryUsage().rss / 2 ** 20);
      console.error(`  ${name} round ${round + 1}/${rounds}: ${photos.length} photos in ${seconds.toFixed(1)} s (${(photos.length / seconds).toFixed(2)} photos/s), ${faces} faces`);
    }
  } finally {
    await fg.close();
    await engine.dispose();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  return { rounds: results, rssMb, loadSeconds };
}

function perPhoto(profile: EngineProfile, photos: number): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(profile).map(([name, p]) => [
      name,
      { inputs: p.items / photos, runs: p.calls / photos, prepareMs: p.prepareMs / photos, inferMs: p.inferMs / photos, finishMs: p.finishMs / photos },
    ]),
  );
}
