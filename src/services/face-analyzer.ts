import type { AnalyzedFace } from '../vision/face-encoding.js';
import type { BoxAnalysis, StageTimings } from '../vision/face-pipeline.js';
import type { PhotoAnalysis } from '../vision/pipeline-pool.js';
import type { Box } from '../vision/types.js';

export interface AnalysisResult {
  width: number;
  height: number;
  format: string;
  model: string;
  faces: AnalyzedFace[];
  /** SSD passes the photo took (see vision/face-detector.ts). */
  detectorPasses: number;
  /** Whether an int8 detector's boxes were set aside for float32's (see vision/face-pipeline.ts). */
  redetected: boolean;
  timings: StageTimings;
}

/**
 * The vision pipeline as services see it. At most `parallel` photos are in
 * analysis at once, the rest wait their turn in order: 1 for a pipeline in
 * this thread (the engine already uses every core for one photo, and a second
 * photo would only double the memory), the pool's size for a
 * {@link PipelinePool} of analysis threads.
 */
export class FaceAnalyzer {
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private readonly observers: ((result: AnalysisResult, bytes: Uint8Array) => void)[] = [];

  constructor(
    private readonly pipeline: PhotoAnalysis & { load?(): Promise<void> },
    private readonly parallel = 1,
  ) {}

  get model(): string {
    return this.pipeline.modelId;
  }

  /** Loads the models now rather than with the first photo (a server at start-up, a worker before it claims jobs). */
  async load(): Promise<void> {
    await this.pipeline.load?.();
  }

  /** Calls `observer` after every analysed photo, with the photo's bytes (metrics, benchmarks). */
  observe(observer: (result: AnalysisResult, bytes: Uint8Array) => void): void {
    this.observers.push(observer);
  }

  analyze(bytes: Uint8Array): Promise<AnalysisResult> {
    return this.inTurn(async () => {
      const photo = await this.pipeline.analyze(bytes);
      const result = { ...photo, model: this.pipeline.modelId };
      for (const observer of this.observers) observer(result, bytes);
      return result;
    });
  }

  /** The face inside a box drawn on the photo (original pixels), with the landmark check's verdict; see FacePipeline.analyzeBox. */
  analyzeBox(bytes: Uint8Array, box: Box): Promise<BoxAnalysis & { model: string }> {
    return this.inTurn(async () => ({ ...(await this.pipeline.analyzeBox(bytes, box)), model: this.pipeline.modelId }));
  }

  /**
   * A JPEG of the photo for browsers, decoded as for analysis (HEIC, TIFF, RAW previews). Not in turn with
   * the photos: an analysis thread takes it next (a pool), or it runs now (a pipeline in this thread).
   */
  renderForBrowser(bytes: Uint8Array): Promise<Uint8Array> {
    return this.pipeline.renderForBrowser(bytes);
  }

  /** Runs `work` once fewer than `parallel` others run, after every call queued before it. */
  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.parallel) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
