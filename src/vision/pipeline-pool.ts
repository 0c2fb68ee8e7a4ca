import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import { AppError, UnsupportedImageError, type ErrorCode } from '../errors.js';
import type { AnalyzedPhoto, BoxAnalysis, PipelineOptions } from './face-pipeline.js';
import type { Box } from './types.js';

/** What services need of a pipeline: {@link FacePipeline} in this thread, or a {@link PipelinePool} of threads. */
export interface PhotoAnalysis {
  /** Identifies the networks and preprocessing, stored with every face. */
  readonly modelId: string;
  analyze(bytes: Uint8Array): Promise<AnalyzedPhoto>;
  analyzeBox(bytes: Uint8Array, box: Box): Promise<BoxAnalysis>;
  /** A JPEG of the photo for browsers (vision/browser-rendition.ts), decoded as for analysis. */
  renderForBrowser(bytes: Uint8Array): Promise<Uint8Array>;
}

/** The pipeline options a configuration gives; one place, for the server, its threads and the evaluation. */
export function pipelineOptions(config: Pick<Config, 'vision' | 'limits'>): PipelineOptions {
  return { ...config.vision, maxPixels: config.limits.maxPixels };
}

/** workerData of an analysis thread. */
export interface PoolStartup {
  config: Config;
  /** Intra-op threads of its ONNX Runtime sessions. */
  threads: number;
}

export type PoolRequest =
  | { id: number; kind: 'photo'; bytes: Uint8Array }
  | { id: number; kind: 'box'; bytes: Uint8Array; box: Box }
  | { id: number; kind: 'render'; bytes: Uint8Array };

/** What a request gives back: an analysis, a box's analysis, or a rendition's JPEG bytes. */
export type PoolValue = AnalyzedPhoto | BoxAnalysis | Uint8Array;

export type PoolReply = { id: number; ok: true; value: PoolValue } | { id: number; ok: false; error: SerializedError };

/** An error as it crosses threads: an AppError keeps its code (so GraphQL answers UNSUPPORTED_IMAGE, not INTERNAL). */
export interface SerializedError {
  name: string;
  message: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  stack?: string;
}

interface Job {
  request: PoolRequest;
  resolve: (value: PoolValue) => void;
  reject: (err: Error) => void;
}

interface Lane {
  worker: Worker;
  ready: Promise<void>;
  job?: Job;
  /** Ends the thread of a job that outlived {@link PipelinePool.jobTimeoutMs}. */
  timer?: NodeJS.Timeout;
}

/**
 * Analyses several photos at once, each in its own worker thread with its own
 * ONNX Runtime sessions. onnxruntime-node's `session.run` blocks the thread
 * that calls it, so in one thread nothing else runs during inference: not the
 * next photo's input preparation, not the previous photo's database write
 * (PGlite runs in this thread too), and an intra-op pool of two threads keeps
 * two cores only ~75 % busy on MobileNet. Threads with one intra-op thread
 * each, fed from one queue, overlap all of it; see docs/benchmarks.md, Ingest.
 *
 * A thread that dies (a native crash, out of memory) fails the photo it held
 * and is replaced; the rest of the queue goes on.
 */
export class PipelinePool implements PhotoAnalysis {
  private readonly lanes: Lane[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Intra-op threads of each analysis thread's ONNX Runtime sessions: the configured threads shared out. */
  private readonly threadsEach: number;
  /** A job (decode and analysis of one photo) taking longer than this ends its thread. */
  jobTimeoutMs = 120_000;

  constructor(
    private readonly config: Config,
    readonly size: number,
    /** The model id this configuration's pipeline has (computed in this thread, without loading anything). */
    readonly modelId: string,
  ) {
    this.threadsEach = Math.max(1, Math.floor(config.threads / size));
    for (let i = 0; i < size; i++) this.lanes.push(this.startLane());
  }

  /** Resolves when every thread has its models loaded; rejects with the first load error. */
  async load(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.ready));
  }

  analyze(bytes: Uint8Array): Promise<AnalyzedPhoto> {
    return this.submit({ id: this.nextId++, kind: 'photo', bytes }) as Promise<AnalyzedPhoto>;
  }

  analyzeBox(bytes: Uint8Array, box: Box): Promise<BoxAnalysis> {
    return this.submit({ id: this.nextId++, kind: 'box', bytes, box }) as Promise<BoxAnalysis>;
  }

  /**
   * Goes ahead of the photos waiting: someone's browser waits for it, and it is one decode and one encode.
   * (FaceAnalyzer lets in only as many photos as there are threads, so at most a photo each is ahead.)
   */
  renderForBrowser(bytes: Uint8Array): Promise<Uint8Array> {
    return this.submit({ id: this.nextId++, kind: 'render', bytes }, true) as Promise<Uint8Array>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('the analysis pool is closed'));
    await Promise.all(this.lanes.map((lane) => lane.worker.terminate()));
  }

  private submit(request: PoolRequest, first = false): Promise<PoolValue> {
    if (this.closed) return Promise.reject(new Error('the analysis pool is closed'));
    return new Promise((resolve, reject) => {
      if (first) this.queue.unshift({ request, resolve, reject });
      else this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const lane of this.lanes) {
      if (lane.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      lane.job = job;
      lane.timer = setTimeout(() => this.timedOut(lane, job), this.jobTimeoutMs);
      lane.timer.unref();
      lane.worker.postMessage(job.request);
    }
  }

  private startLane(): Lane {
    const worker = startWorker({ config: this.config, threads: this.threadsEach });
    // Idle analysis threads must not keep a finished process alive.
    worker.unref();
    const lane: Lane = { worker, ready: Promise.resolve() };
    lane.ready = new Promise((resolve, reject) => {
      worker.once('message', (first: { type: 'ready' } | { type: 'failed'; error: SerializedError }) => {
        if (first.type === 'ready') resolve();
        else reject(revive(first.error));
        worker.on('message', (reply: PoolReply) => this.settle(lane, reply));
      });
      worker.once('error', reject);
    });
    // An unhandled rejection here would end the process; load() reports the error to whoever waits.
    lane.ready.catch(() => undefined);
    worker.on('error', (err) => this.lost(lane, err));
    worker.on('exit', (code) => this.lost(lane, new Error(`an analysis thread stopped (exit code ${code})`)));
    return lane;
  }

  /**
   * A photo that keeps its thread past the limit (a decoder looping on a hostile file: WebAssembly
   * cannot be interrupted from inside) is refused, and its thread ended and replaced.
   */
  private timedOut(lane: Lane, job: Job): void {
    if (lane.job !== job) return;
    lane.job = undefined;
    job.reject(
      new UnsupportedImageError(
        `analysing this photo took over ${Math.round(this.jobTimeoutMs / 1000)} s; its analysis thread was restarted`,
      ),
    );
    // Replaced before it ends, so that no job is handed to the thread being stopped.
    const index = this.lanes.indexOf(lane);
    if (index >= 0 && !this.closed) this.lanes[index] = this.startLane();
    void lane.worker.terminate();
    this.dispatch();
  }

  private settle(lane: Lane, reply: PoolReply): void {
    const job = lane.job;
    if (!job || job.request.id !== reply.id) return;
    clearTimeout(lane.timer);
    lane.job = undefined;
    if (reply.ok) job.resolve(reply.value);
    else job.reject(revive(reply.error));
    this.dispatch();
  }

  /** A thread died: its photo fails, and a fresh thread takes its place. */
  private lost(lane: Lane, err: Error): void {
    const index = this.lanes.indexOf(lane);
    if (index < 0 || this.closed) return;
    clearTimeout(lane.timer);
    lane.job?.reject(err);
    lane.job = undefined;
    this.lanes[index] = this.startLane();
    this.dispatch();
  }
}

/**
 * Starts the thread's entry, next to this module: JavaScript from dist/ as it is; from source the
 * TypeScript file, after registering tsx's loader in the new thread (Node 20 does not apply the
 * parent's `--import tsx` hooks to a worker's own entry).
 */
function startWorker(workerData: PoolStartup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pipeline-worker.js', import.meta.url), { workerData });
  const entry = new URL('./pipeline-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(boot, { eval: true, workerData, execArgv: [] });
}

function revive(error: SerializedError): Error {
  if (error.code) {
    const err = new AppError(error.code, error.message, error.details);
    err.name = error.name;
    return err;
  }
  const err = new Error(error.message);
  err.name = error.name;
  if (error.stack) err.stack = error.stack;
  return err;
}
