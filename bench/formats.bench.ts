import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig, photosInFlight } from '../src/config.js';
import { createEngine } from '../src/vision/engine-factory.js';
import { FacePipeline } from '../src/vision/face-pipeline.js';
import { PipelinePool, pipelineOptions } from '../src/vision/pipeline-pool.js';
import { DEMO_DIR, median } from './photos.js';
import { DEMO_PHOTOS } from '../src/eval/demo-photos.js';

const run = promisify(execFile);

/** 12.0 megapixels at the demo photos' 3:2. */
const WIDTH = 4242;
const HEIGHT = 2828;

/**
 * HEIC against JPEG: the six face-api demo photos enlarged to 12 MP (4242x2828, a phone's
 * pixel count) and written both as JPEG (sharp, quality 90) and as HEIC (libheif's `heif-enc
 * -q 80`, Debian's libheif-examples, run here at bench time: one HEVC image per photo, as
 * heif-enc writes it, not an iPhone's grid of tiles), then analysed through the analysis threads
 * as the server runs them (`FACEGRAPH_ANALYZERS` threads, as many photos in flight as ingestion
 * keeps), HEIC with the default WebAssembly decoder and, where `heif-convert` is installed, with
 * FACEGRAPH_HEIF_DECODER=native. Rounds alternate the order so that other work on the machine slows
 * all alike; `heicToJpeg` is the median over rounds of HEIC photos/s over JPEG photos/s of the same round.
 */
export async function benchFormats(): Promise<Record<string, unknown>> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-bench-formats-'));
  try {
    const jpeg: Buffer[] = [];
    const heic: Buffer[] = [];
    for (const name of DEMO_PHOTOS) {
      const big = await sharp(path.join(DEMO_DIR, name))
        .resize(WIDTH, HEIGHT, { fit: 'fill', kernel: 'lanczos3' })
        .jpeg({ quality: 90 })
        .toBuffer();
      jpeg.push(big);
      const source = path.join(dir, name);
      const target = source.replace(/\.jpg$/, '.heic');
      await fs.writeFile(source, big);
      try {
        await run('heif-enc', ['-q', '80', '-o', target, source]);
      } catch (err) {
        return {
          skipped: `heif-enc (Debian libheif-examples) is needed to make the HEIC photos: ${(err as Error).message.split('\n')[0]}`,
        };
      }
      heic.push(await fs.readFile(target));
    }
    console.error(`  ${jpeg.length} photos of ${WIDTH}x${HEIGHT}: JPEG ${mb(jpeg)} MB, HEIC ${mb(heic)} MB`);
    const config = loadConfig(process.env);
    const modelId = new FacePipeline(createEngine({ ...config, threads: 1 }), pipelineOptions(config)).modelId;
    const wasm = new PipelinePool(loadConfig({ ...process.env, FACEGRAPH_HEIF_DECODER: 'wasm' }), config.analyzers, modelId);
    // The native option where heif-convert is installed, in the same rounds.
    const hasNative = await run('heif-convert', ['--help']).then(
      () => true,
      (err: { code?: unknown; stdout?: string }) => typeof err.stdout === 'string' && err.stdout.includes('heif-convert'),
    );
    const native = hasNative
      ? new PipelinePool(loadConfig({ ...process.env, FACEGRAPH_HEIF_DECODER: 'native' }), config.analyzers, modelId)
      : undefined;
    const lanes: { kind: string; pool: PipelinePool; photos: Buffer[] }[] = [
      { kind: 'jpeg', pool: wasm, photos: jpeg },
      { kind: 'heic', pool: wasm, photos: heic },
      ...(native ? [{ kind: 'heicNative', pool: native, photos: heic }] : []),
    ];
    try {
      await wasm.load();
      await native?.load();
      const inFlight = photosInFlight(config.analyzers);
      // One warm-up pass of each: libheif's WebAssembly is compiled on a thread's first HEIC.
      for (const lane of lanes) await analyseAll(lane.pool, lane.photos.slice(0, config.analyzers), inFlight);
      const rates: Record<string, number[]> = Object.fromEntries(lanes.map((l) => [l.kind, []]));
      const ratios: Record<string, number[]> = Object.fromEntries(lanes.map((l) => [l.kind, []]));
      const faces: Record<string, number> = {};
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? lanes : [...lanes].reverse();
        const rate: Record<string, number> = {};
        for (const lane of order) {
          const started = performance.now();
          faces[lane.kind] = await analyseAll(lane.pool, lane.photos, inFlight);
          rate[lane.kind] = lane.photos.length / ((performance.now() - started) / 1000);
        }
        for (const lane of lanes) {
          rates[lane.kind].push(rate[lane.kind]);
          ratios[lane.kind].push(rate[lane.kind] / rate.jpeg);
        }
        console.error(`  round ${round + 1}/${rounds}: ${lanes.map((l) => `${l.kind} ${rate[l.kind].toFixed(2)}`).join(', ')} photos/s`);
      }
      return {
        photos: jpeg.length,
        megapixels: (WIDTH * HEIGHT) / 1e6,
        analyzers: config.analyzers,
        rounds,
        jpegPhotosPerSec: median(rates.jpeg),
        heicPhotosPerSec: median(rates.heic),
        // HEIC photos/s over JPEG photos/s in the same round, the median over rounds.
        heicToJpeg: median(ratios.heic),
        ...(native
          ? { heicNativePhotosPerSec: median(rates.heicNative), heicNativeToJpeg: median(ratios.heicNative) }
          : { heicNative: 'skipped: heif-convert (Debian libheif-examples) is not installed' }),
        faces,
        loadAverage: os.loadavg()[0],
      };
    } finally {
      await wasm.close();
      await native?.close();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Analyses the photos with `inFlight` at a time; the number of faces found. */
async function analyseAll(pool: PipelinePool, photos: Buffer[], inFlight: number): Promise<number> {
  let next = 0;
  let faces = 0;
  const lane = async () => {
    while (next < photos.length) {
      const photo = await pool.analyze(photos[next++]);
      faces += photo.faces.length;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return faces;
}

function mb(files: Buffer[]): string {
  return (files.reduce((n, f) => n + f.length, 0) / 2 ** 20).toFixed(1);
}
