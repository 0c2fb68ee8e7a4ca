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
import { openVanillaFaceApi } from './vanilla-face-api.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';

interface RoundResult {
  seconds: number;
  msPerPhoto: number[];
  stages: StageTimings & { store: number };
  faces: number;
  /** The ONNX engine's own split of its time (TypeScript around the networks vs ONNX Runtime). */
  profile?: EngineProfile;
}

type Photo = { name: string; bytes: Buffer };
type EngineName = 'onnx' | 'tfjs' | 'vanilla';
const STAGES = ['decode', 'detect', 'landmarks', 'encode', 'store'] as const;

/**
 * End-to-end ingestion (decode, detect, landmarks, encode, store on embedded
 * PGlite) of the demo photos + lfw10, with the ONNX engine and, as the baseline
 * in the same run, the tfjs-wasm engine. Each round ingests every photo into a
 * fresh album so nothing is deduplicated away.
 *
 * The speedup comes from paired rounds: both engines loaded, each photo
 * ingested by one engine then the other (the order alternating), so that a
 * machine shared with other work slows both alike (measured one engine after
 * the other, the load average here changed from 4.7 to 1.4 between the two
 * phases of one run). ONNX rounds beyond the baseline's run first, with only
 * the ONNX engine loaded; `rssMb` is that process.
 *
 * The paired rounds also run plain face-api with its defaults (see
 * vanilla-face-api.ts), photo by photo beside facegraph: `speedupVsVanilla`
 * is what a user comparing the two would see.
 */
export async function benchIngest(): Promise<Record<string, unknown>> {
  const photos = await benchPhotos();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const pairedRounds = Math.max(1, Number(process.env.BENCH_BASELINE_ROUNDS ?? Math.min(rounds, 2)));
  const loadAverage = [os.loadavg()[0]];
  const onnx = await openLane('onnx', photos);
  const onnxRounds: RoundResult[] = [];
  const tfjsRounds: RoundResult[] = [];
  const ratios: number[] = [];
  const vanillaRounds: RoundResult[] = [];
  const vanillaRatios: number[] = [];
  let tfjs: Lane | undefined;
  let vanilla: Lane | undefined;
  let rssMb = 0;
  try {
    for (let round = 0; round < rounds - pairedRounds; round++) onnxRounds.push((await runRound([onnx], photos, round))[0]);
    rssMb = process.memoryUsage().rss / 2 ** 20;
    tfjs = await openLane('tfjs', photos);
    vanilla = await openVanillaLane(photos);
    for (let round = 0; round < pairedRounds; round++) {
      const [o, t, v] = await runRound([onnx, tfjs, vanilla], photos, onnxRounds.length);
      onnxRounds.push(o);
      tfjsRounds.push(t);
      vanillaRounds.push(v);
      ratios.push(t.seconds / o.seconds);
      vanillaRatios.push(v.seconds / o.seconds);
      console.error(`  paired round ${round + 1}/${pairedRounds}: tfjs / onnx = ${(t.seconds / o.seconds).toFixed(2)}, plain face-api / onnx = ${(v.seconds / o.seconds).toFixed(2)}`);
    }
  } finally {
    await onnx.close();
    await tfjs?.close();
  }
  loadAverage.push(os.loadavg()[0]);
  const pick = (rs: RoundResult[]) => rs.slice().sort((a, b) => a.seconds - b.seconds)[rs.length >> 1];
  const o = pick(onnxRounds);
  const t = pick(tfjsRounds);
  const v = pick(vanillaRounds);
  // The six 1920-px demo group photos are the first six of every round.
  const groupMs = onnxRounds.flatMap((r) => r.msPerPhoto.slice(0, 6));
  const stageMedian = (rs: RoundResult[], k: (typeof STAGES)[number]) => median(rs.map((r) => r.stages[k]));
  return {
    engine: 'onnx',
    photos: photos.length,
    faces: o.faces,
    rounds: onnxRounds.length,
    baselineRounds: tfjsRounds.length,
    photosPerSec: photos.length / o.seconds,
    baselinePhotosPerSec: photos.length / t.seconds,
    // Median over the paired rounds of (tfjs time / ONNX time) for the same photos under the same load.
    speedup: median(ratios),
    pairedSpeedups: ratios,
    // Plain face-api with its defaults, paired photo by photo: what a user would otherwise run.
    vanillaPhotosPerSec: photos.length / v.seconds,
    speedupVsVanilla: median(vanillaRatios),
    vanillaFaces: v.faces,
    vanillaP50MsPerPhoto: median(vanillaRounds.flatMap((r) => r.msPerPhoto)),
    vanillaP95MsPerPhoto: percentile(vanillaRounds.flatMap((r) => r.msPerPhoto), 95),
    groupP95MsPerPhoto: percentile(groupMs, 95),
    p50MsPerPhoto: median(onnxRounds.flatMap((r) => r.msPerPhoto)),
    p95MsPerPhoto: percentile(onnxRounds.flatMap((r) => r.msPerPhoto), 95),
    stagesMs: Object.fromEntries(STAGES.map((k) => [k, stageMedian(onnxRounds, k) / photos.length])),
    baselineStagesMs: Object.fromEntries(STAGES.map((k) => [k, stageMedian(tfjsRounds, k) / photos.length])),
    rssMb,
    // Per photo, for the round above: how many inputs each network saw, and the milliseconds spent
    // building inputs in TypeScript (prepare), inside ONNX Runtime (infer) and reading outputs (finish).
    onnxNetworks: o.profile && perPhoto(o.profile, photos.length),
    modelLoadSeconds: { onnx: onnx.loadSeconds, tfjs: tfjs?.loadSeconds, vanilla: vanilla?.loadSeconds },
    // 1-minute load average before and after: the machine is shared, and this says how much.
    loadAverage,
  };
}

/** One engine with its own facegraph on its own embedded database. */
interface Lane {
  name: EngineName;
  loadSeconds: number;
  ingest(albumId: number, photo: Photo): Promise<{ ms: number; timings: StageTimings & { faces: number } }>;
  createAlbum(name: string): Promise<number>;
  resetProfile(): void;
  profile(): EngineProfile | undefined;
  close(): Promise<void>;
}

async function openLane(name: EngineName, photos: Photo[]): Promise<Lane> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `facegraph-bench-${name}-`));
  const config = loadConfig({ FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_ENGINE: name });
  const engine = createEngine(config);
  const loadStart = performance.now();
  await engine.load();
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const fg = await createFacegraph(config, { engine });
  let last: (StageTimings & { faces: number }) | undefined;
  fg.analyzer.observe((r) => (last = { ...r.timings, faces: r.faces.length }));
  // One warm-up photo per engine: first-call allocations are not steady-state speed.
  await fg.pipeline.analyze(photos[0].bytes);
  return {
    name,
    loadSeconds,
    async ingest(albumId, photo) {
      const t0 = performance.now();
      await fg.services.ingest.ingestOne(albumId, { fileName: photo.name, read: async () => photo.bytes });
      return { ms: performance.now() - t0, timings: last! };
    },
    async createAlbum(album) {
      return (await fg.services.albums.create(LOCAL_OWNER.id, album)).id;
    },
    resetProfile: () => (engine instanceof OnnxEngine ? engine.resetProfile() : undefined),
    profile: () => (engine instanceof OnnxEngine ? engine.profile() : undefined),
    async close() {
      await fg.close();
      await engine.dispose();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Plain face-api as a lane: analysis only, no database. */
async function openVanillaLane(photos: Photo[]): Promise<Lane> {
  const face = await openVanillaFaceApi();
  await face.analyze(photos[0].bytes);
  return {
    name: 'vanilla',
    loadSeconds: face.loadSeconds,
    async ingest(_albumId, photo) {
      const t0 = performance.now();
      const timings = await face.analyze(photo.bytes);
      return { ms: performance.now() - t0, timings };
    },
    createAlbum: async () => 0,
    resetProfile: () => undefined,
    profile: () => undefined,
    close: async () => undefined,
  };
}

/** One round of every photo through each lane, photo by photo, the lanes' order alternating. */
async function runRound(lanes: Lane[], photos: Photo[], round: number): Promise<RoundResult[]> {
  const albums = await Promise.all(lanes.map((lane) => lane.createAlbum(`bench ${lane.name} ${round}`)));
  const results: RoundResult[] = lanes.map(() => ({
    seconds: 0,
    msPerPhoto: [],
    stages: { decode: 0, detect: 0, landmarks: 0, encode: 0, store: 0 },
    faces: 0,
  }));
  for (const lane of lanes) lane.resetProfile();
  for (const [i, photo] of photos.entries()) {
    for (let k = 0; k < lanes.length; k++) {
      const l = (k + i + round) % lanes.length;
      const { ms, timings } = await lanes[l].ingest(albums[l], photo);
      const r = results[l];
      r.msPerPhoto.push(ms);
      r.seconds += ms / 1000;
      r.faces += timings.faces;
      r.stages.decode += timings.decode;
      r.stages.detect += timings.detect;
      r.stages.landmarks += timings.landmarks;
      r.stages.encode += timings.encode;
      // Everything that is not inference: hashing, the dedupe lookup, the photo file and the transaction.
      r.stages.store += ms - (timings.decode + timings.detect + timings.landmarks + timings.encode);
    }
  }
  lanes.forEach((lane, l) => {
    const r = results[l];
    r.profile = lane.profile();
    console.error(`  ${lane.name} round ${round + 1}: ${photos.length} photos in ${r.seconds.toFixed(1)} s (${(photos.length / r.seconds).toFixed(2)} photos/s), ${r.faces} faces`);
  });
  return results;
}

function perPhoto(profile: EngineProfile, photos: number): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(profile).map(([name, p]) => [
      name,
      { inputs: p.items / photos, runs: p.calls / photos, prepareMs: p.prepareMs / photos, inferMs: p.inferMs / photos, finishMs: p.finishMs / photos },
    ]),
  );
}
