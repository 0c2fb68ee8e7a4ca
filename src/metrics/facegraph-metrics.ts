import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where queue depth is read from (the `JobQueue`; any object with `depth()` will do). */
export interface QueueDepthSource {
  /** Jobs waiting per queue. */
  depth(): Promise<Record<string, number>>;
}

/**
 * The Prometheus metrics of one facegraph instance, on its own registry (tests
 * run several instances in one process). Each process reports what it did
 * itself; queue depth is read from the queue, so every process shows the same.
 *
 * A module of its own that imports nothing of facegraph: its methods match the
 * observer interfaces of the layers that report (`IngestObserver` in
 * `services/ingest.service.ts`, `JobObserver` in `jobs/job-workers.ts`,
 * `FaceAnalyzer.observe`'s listener), and `createFacegraph` hands it to them.
 * `src/server/` only calls `render()`.
 */
export class FacegraphMetrics {
  readonly registry = new Registry();
  private readonly photos: Counter<'result'>;
  private readonly faces: Counter;
  private readonly jobs: Histogram<'queue' | 'outcome'>;
  private readonly stages: Histogram<'stage'>;

  constructor(queue: QueueDepthSource, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'facegraph_' });
    this.photos = new Counter({
      name: 'facegraph_photos_ingested_total',
      help: 'Photos processed, by result: created (stored with its faces), existing (same bytes already in the album), failed.',
      labelNames: ['result'],
      registers,
    });
    this.faces = new Counter({ name: 'facegraph_faces_found_total', help: 'Faces stored by newly ingested photos.', registers });
    this.jobs = new Histogram({
      name: 'facegraph_job_duration_seconds',
      help: 'Time to run one job, by queue and outcome (success, skipped, failed, error = thrown and retried).',
      labelNames: ['queue', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.stages = new Histogram({
      name: 'facegraph_inference_stage_seconds',
      help: 'Time per photo in each stage of the vision pipeline.',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    new Gauge({
      name: 'facegraph_queue_depth',
      help: 'Jobs waiting (queued or due for retry), by queue; shared by all processes on one database.',
      labelNames: ['queue'],
      registers,
      async collect() {
        try {
          for (const [name, n] of Object.entries(await queue.depth())) this.set({ queue: name }, n);
        } catch {
          // Database unreachable: keep the last values; /healthz tells the rest.
        }
      },
    });
  }

  /** One photo's time per pipeline stage, in milliseconds (`StageTimings`). */
  analyzed(timings: Readonly<Record<string, number>>): void {
    for (const [stage, ms] of Object.entries(timings)) this.stages.observe({ stage }, ms / 1000);
  }

  photoStored(created: boolean, faces: number): void {
    this.photos.inc({ result: created ? 'created' : 'existing' });
    if (faces > 0) this.faces.inc(faces);
  }

  photoFailed(_code?: string): void {
    this.photos.inc({ result: 'failed' });
  }

  jobFinished(queue: string, outcome: string, seconds: number): void {
    this.jobs.observe({ queue, outcome }, seconds);
  }

  /** Reports the data folder's free bytes (`read`, at every scrape) as `facegraph_data_dir_free_bytes`. */
  watchFreeSpace(read: () => Promise<number>): void {
    new Gauge({
      name: 'facegraph_data_dir_free_bytes',
      help: "Bytes free on the data folder's disk; uploads are refused under FACEGRAPH_MIN_FREE_MB.",
      registers: [this.registry],
      async collect() {
        try {
          this.set(await read());
        } catch {
          // The folder unreadable: no value rather than a wrong one.
          this.reset();
        }
      },
    });
  }

  /** The text exposition format, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
