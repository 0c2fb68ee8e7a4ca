import type { AnalyzedFace, BoxAnalysis, FacePipeline, StageTimings } from '../vision/face-pipeline.js';
import type { Box } from '../vision/types.js';

export interface AnalysisResult {
  width: number;
  height: number;
  format: string;
  model: string;
  faces: AnalyzedFace[];
  timings: StageTimings;
}

/**
 * The vision pipeline as services see it. Photos are analysed one at a time:
 * the engine already uses every core for one photo, and running two at once
 * would only double the memory.
 */
export class FaceAnalyzer {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly observers: ((result: AnalysisResult) => void)[] = [];

  constructor(private readonly pipeline: FacePipeline) {}

  get model(): string {
    return this.pipeline.modelId;
  }

  /** Calls `observer` after every analysed photo (metrics, benchmarks). */
  observe(observer: (result: AnalysisResult) => void): void {
    this.observers.push(observer);
  }

  analyze(bytes: Uint8Array): Promise<AnalysisResult> {
    return this.inTurn(async () => {
      const photo = await this.pipeline.analyze(bytes);
      const result = { ...photo, model: this.pipeline.modelId };
      for (const observer of this.observers) observer(result);
      return result;
    });
  }

  /** The face inside a box drawn on the photo (original pixels), with the landmark check's verdict; see FacePipeline.analyzeBox. */
  analyzeBox(bytes: Uint8Array, box: Box): Promise<BoxAnalysis & { model: string }> {
    return this.inTurn(async () => ({ ...(await this.pipeline.analyzeBox(bytes, box)), model: this.pipeline.modelId }));
  }

  /** Runs `work` after every photo queued before it. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
