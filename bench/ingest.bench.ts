import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, photosInFlight } from '../src/config.js';
import { createFacegraph } from '../src/facegraph.js';
import { createEngine } from '../src/vision/engine-factory.js';
import type { StageTimings } from '../src/vision/face-pipeline.js';
import type { EngineProfile } from '../src/vision/onnx/run/engine-profile.js';
import { describePrecision, readCpuInfo, resolvePrecision } from '../src/vision/onnx/run/int8-support.js';
import { OnnxEngine } from '../src/vision/onnx/run/onnx-engine.js';
import { benchPhotos, median, percentile } from './photos.js';
import { openVanillaFaceApi } from './vanilla-face-api.js';
import { LOCAL_OWNER } from '../src/services/api-key.service.js';

interface RoundResult {
  seconds: number;
  msPerPhoto: number[];
  stages: StageTimings & { store: number };
  faces: number;
  /** SSD passes (whole photo, canvas, tiles, turns), summed over the round's photos (facegraph lanes). */
  passes: number;
  /** Photos with detector passes run again in float32 because the int8 detector's boxes left the face check in doubt. */
  redetected: number;
  /** The ONNX engine's own split of its time (TypeScript around the networks vs ONNX Runtime). */
  profile?: EngineProfile;
}

type Photo = { name: string; path: string; bytes: Buffer };
type EngineName = 'onnx' | 'tfjs' | 'vanilla';
const STAGES = ['decode', 'detect', 'landmarks', 'encode', 'store'] as const;

/**
 * End-to-end ingestion (decode, detect, landmarks, encode, store on embedded
 * PGlite) of the demo photos + lfw10, with the ONNX engine and, as the baseline
 * in the same run, the tfjs-wasm engine. Each round ingests every photo into a
 * fresh album so nothing is deduplicated away.
 *
 * The speedup comes from paired rounds: all lanes loaded, each chunk of ten
 * photos ingested by one lane then the others (the order alternating), so that
 * a machine shared with other work slows all alike (measured one engine after
 * the other, the load average here changed from 4.7 to 1.4 between the two
 * phases of one run). facegraph runs as configured (by default an analysis
 * thread per core, as many photos in flight); the baselines one photo at a
 * time, as they run. ONNX rounds beyond the baseline's run first, with only
 * facegraph loaded; `rssMb` is that process's peak.
 *
 * The paired rounds also run plain face-api with its defaults (see
 * vanilla-face-api.ts) beside facegraph: `speedupVsVanilla` is what a user
 * comparing the two would see.
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
  let unchunkedSeconds = 0;
  let batchSeconds = 0;
  // Peak resident memory of the process (main thread and analysis threads) while facegraph alone ingests.
  const peakRss = { mb: process.memoryUsage().rss / 2 ** 20 };
  try {
    for (let round = 0; round < rounds - pairedRounds; round++) onnxRounds.push((await runRound([onnx], photos, round, peakRss))[0]);
    // The same photos as one batch (a user's album): no chunk ends, where one analysis thread waits for the other.
    unchunkedSeconds = (await runRound([onnx], photos, rounds, peakRss, photos.length))[0].seconds;
    // And as `facegraph ingest` runs them: a batch's per-photo jobs, with the batch's bookkeeping.
    batchSeconds = await onnx.ingestBatch!(photos, peakRss);
    tfjs = await openLane('tfjs', photos);
    vanilla = await openVanillaLane(photos);
    for (let round = 0; round < pairedRounds; round++) {
      const [o, t, v] = await runRound([onnx, tfjs, vanilla], photos, onnxRounds.length);
      onnxRounds.push(o);
      tfjsRounds.push(t);
      vanillaRounds.push(v);
      ratios.push(t.seconds / o.seconds);
      vanillaRatios.push(v.seconds / o.seconds);
      console.error(
        `  paired round ${round + 1}/${pairedRounds}: tfjs / onnx = ${(t.seconds / o.seconds).toFixed(2)}, plain face-api / onnx = ${(v.seconds / o.seconds).toFixed(2)}`,
      );
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
    detectorPassesPerPhoto: o.passes / photos.length,
    redetectedPhotos: o.redetected,
    rounds: onnxRounds.length,
    baselineRounds: tfjsRounds.length,
    photosPerSec: photos.length / o.seconds,
    baselinePhotosPerSec: photos.length / t.seconds,
    // Median over the paired rounds of (tfjs time / ONNX time) for the same photos under the same load.
    speedup: median(ratios),
    pairedSpeedups: ratios,
    // facegraph alone, the photos in one batch (not paired: compare with vanillaPhotosPerSec only as an indication).
    unchunkedPhotosPerSec: photos.length / unchunkedSeconds,
    // facegraph alone, the photos as one batch through the per-photo job `facegraph ingest` and the job workers run
    // (reading each file, recording each item and the batch's counts besides storing the photo; not paired).
    batchPhotosPerSec: photos.length / batchSeconds,
    // Plain face-api with its defaults, paired photo by photo: what a user would otherwise run.
    vanillaPhotosPerSec: photos.length / v.seconds,
    speedupVsVanilla: median(vanillaRatios),
    vanillaFaces: v.faces,
    vanillaP50MsPerPhoto: median(vanillaRounds.flatMap((r) => r.msPerPhoto)),
    vanillaP95MsPerPhoto: percentile(
      vanillaRounds.flatMap((r) => r.msPerPhoto),
      95,
    ),
    groupP95MsPerPhoto: percentile(groupMs, 95),
    p50MsPerPhoto: median(onnxRounds.flatMap((r) => r.msPerPhoto)),
    p95MsPerPhoto: percentile(
      onnxRounds.flatMap((r) => r.msPerPhoto),
      95,
    ),
    stagesMs: Object.fromEntries(STAGES.map((k) => [k, stageMedian(onnxRounds, k) / photos.length])),
    baselineStagesMs: Object.fromEntries(STAGES.map((k) => [k, stageMedian(tfjsRounds, k) / photos.length])),
    // Measured only in rounds with facegraph alone (BENCH_ROUNDS > BENCH_BASELINE_ROUNDS).
    rssMb: rounds > pairedRounds ? peakRss.mb : undefined,
    analyzers: onnx.parallel,
    // Each network's arithmetic, FACEGRAPH_PRECISION resolved on this CPU.
    precision: describePrecision(resolvePrecision(loadConfig(process.env).precision, readCpuInfo())),
    // Per photo, for the round above: how many inputs each network saw, and the milliseconds spent
    // building inputs in TypeScript (prepare), inside ONNX Runtime (infer) and reading outputs (finish).
    onnxNetworks: o.profile && perPhoto(o.profile, photos.length),
    modelLoadSeconds: { onnx: onnx.loadSeconds, tfjs: tfjs?.loadSeconds, vanilla: vanilla?.loadSeconds },
    // 1-minute load average before and after: the machine is shared, and this says how much.
    loadAverage,
  };
}

/** Photos per paired chunk: each lane ingests a chunk (facegraph several photos at once), then the next lane the same chunk. */
const CHUNK = 10;

interface Ingested {
  ms: number;
  timings: StageTimings & { faces: number; passes?: number; redetected?: boolean };
}

/** One engine with its own facegraph on its own embedded database. */
interface Lane {
  name: EngineName;
  loadSeconds: number;
  /** Photos in analysis at once: facegraph's analysis threads (`FACEGRAPH_ANALYZERS`), 1 for the baselines. */
  parallel: number;
  ingest(albumId: number, photo: Photo): Promise<Ingested>;
  /** facegraph lanes: the photos as one batch of a fresh album, `photosInFlight` at once, as `facegraph ingest`; seconds taken. */
  ingestBatch?(photos: Photo[], peakRss: { mb: number }): Promise<number>;
  createAlbum(name: string): Promise<number>;
  resetProfile(): void;
  profile(): EngineProfile | undefined;
  close(): Promise<void>;
}

/**
 * A lane as a user runs it: the configuration from the environment (FACEGRAPH_PRECISION,
 * FACEGRAPH_ANALYZERS, FACEGRAPH_THREADS...), always on a fresh embedded database. With one
 * analyzer the engine runs in this thread and its profile (`onnxNetworks`) is reported; with
 * several, each analysis thread has its own engine and only stage timings come back.
 */
async function openLane(name: EngineName, photos: Photo[]): Promise<Lane> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `facegraph-bench-${name}-`));
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const config = loadConfig({ ...env, FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_ENGINE: name });
  const engine = config.analyzers === 1 ? createEngine(config) : undefined;
  const loadStart = performance.now();
  const fg = await createFacegraph(config, { engine, workers: 0 });
  await fg.analyzer.load();
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const timings = new Map<Uint8Array, StageTimings & { faces: number; passes: number; redetected: boolean }>();
  fg.analyzer.observe((r, bytes) =>
    timings.set(bytes, { ...r.timings, faces: r.faces.length, passes: r.detectorPasses, redetected: r.redetected }),
  );
  // One warm-up photo per analysis thread: first-call allocations are not steady-state speed.
  await Promise.all(Array.from({ length: config.analyzers }, () => fg.analyzer.analyze(photos[0].bytes)));
  return {
    name,
    loadSeconds,
    parallel: config.analyzers,
    async ingest(albumId, photo) {
      const t0 = performance.now();
      await fg.services.ingest.ingestOne(albumId, { fileName: photo.name, read: async () => photo.bytes });
      const ms = performance.now() - t0;
      const seen = timings.get(photo.bytes);
      if (!seen) throw new Error(`${photo.name} was not analysed (a duplicate in the round?)`);
      timings.delete(photo.bytes);
      return { ms, timings: seen };
    },
    async ingestBatch(batchPhotos, peakRss) {
      const album = await fg.services.albums.create(LOCAL_OWNER.id, `bench ${name} batch`);
      const ingest = fg.services.ingest;
      const batch = await ingest.createLocalBatch(
        LOCAL_OWNER.id,
        album.id,
        batchPhotos.map((p) => ({ fileName: p.name, path: p.path })),
      );
      const t0 = performance.now();
      let next = 0;
      const consumer = async () => {
        while (next < batchPhotos.length) {
          await ingest.processItem(batch.id, next++);
          peakRss.mb = Math.max(peakRss.mb, process.memoryUsage().rss / 2 ** 20);
        }
      };
      await Promise.all(Array.from({ length: photosInFlight(config.analyzers) }, consumer));
      const seconds = (performance.now() - t0) / 1000;
      timings.clear(); // the batch's files were read afresh: their timings are keyed by buffers nobody asks for
      const done = await ingest.getBatch(LOCAL_OWNER.id, batch.id);
      if (done.status !== 'DONE' || done.done !== batchPhotos.length)
        throw new Error(`bench batch ended ${done.status} with ${done.done} of ${batchPhotos.length}`);
      return seconds;
    },
    async createAlbum(album) {
      return (await fg.services.albums.create(LOCAL_OWNER.id, album)).id;
    },
    resetProfile: () => (engine instanceof OnnxEngine ? engine.resetProfile() : undefined),
    profile: () => (engine instanceof OnnxEngine ? engine.profile() : undefined),
    async close() {
      await fg.close();
      await engine?.dispose();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
/** Plain face-api as a lane: analysis only, no database, one photo at a time (tfjs-wasm uses one core). */
async function openVanillaLane(photos: Photo[]): Promise<Lane> {
  const face = await openVanillaFaceApi();
  await face.analyze(photos[0].bytes);
  return {
    name: 'vanilla',
    loadSeconds: face.loadSeconds,
    parallel: 1,
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

/**
 * One round of every photo through each lane, chunk by chunk: a lane ingests a chunk of
 * `chunkSize` ({@link CHUNK}) photos (`parallel` of them in flight at once, as a batch's job consumers
 * would), then the next lane the same chunk, the lanes' order alternating, so all see the same
 * load. `seconds` is the sum of the chunks' wall times; `msPerPhoto` each photo's own latency.
 */
async function runRound(
  lanes: Lane[],
  photos: Photo[],
  round: number,
  peakRss?: { mb: number },
  chunkSize = CHUNK,
): Promise<RoundResult[]> {
  const albums = await Promise.all(lanes.map((lane) => lane.createAlbum(`bench ${lane.name} ${round}`)));
  const results: RoundResult[] = lanes.map(() => ({
    seconds: 0,
    msPerPhoto: [],
    stages: { decode: 0, detect: 0, landmarks: 0, encode: 0, store: 0 },
    faces: 0,
    passes: 0,
    redetected: 0,
  }));
  for (const lane of lanes) lane.resetProfile();
  for (let start = 0, c = 0; start < photos.length; start += chunkSize, c++) {
    const chunk = photos.slice(start, start + chunkSize);
    for (let k = 0; k < lanes.length; k++) {
      const l = (k + c + round) % lanes.length;
      const r = results[l];
      const t0 = performance.now();
      const done = await inParallel(chunk, lanes[l].parallel, (photo) => lanes[l].ingest(albums[l], photo));
      r.seconds += (performance.now() - t0) / 1000;
      if (peakRss) peakRss.mb = Math.max(peakRss.mb, process.memoryUsage().rss / 2 ** 20);
      for (const { ms, timings } of done) {
        r.msPerPhoto.push(ms);
        r.faces += timings.faces;
        r.passes += timings.passes ?? 0;
        if (timings.redetected) r.redetected++;
        r.stages.decode += timings.decode;
        r.stages.detect += timings.detect;
        r.stages.landmarks += timings.landmarks;
        r.stages.encode += timings.encode;
        // Everything that is not analysis: hashing, the dedupe lookup, the photo file, the transaction (and, with
        // several photos in flight, waiting for the main thread).
        r.stages.store += ms - (timings.decode + timings.detect + timings.landmarks + timings.encode);
      }
    }
  }
  lanes.forEach((lane, l) => {
    const r = results[l];
    r.profile = lane.profile();
    console.error(
      `  ${lane.name} round ${round + 1}: ${photos.length} photos in ${r.seconds.toFixed(1)} s (${(photos.length / r.seconds).toFixed(2)} photos/s), ${r.faces} faces`,
    );
  });
  return results;
}

/** Runs `work` on every item, at most `limit` at once; results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

function perPhoto(profile: EngineProfile, photos: number): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(profile).map(([name, p]) => [
      name,
      {
        inputs: p.items / photos,
        runs: p.calls / photos,
        prepareMs: p.prepareMs / photos,
        inferMs: p.inferMs / photos,
        finishMs: p.finishMs / photos,
      },
    ]),
  );
}
