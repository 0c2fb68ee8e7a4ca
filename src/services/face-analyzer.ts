import type { AnalyzedFace, FacePipeline, StageTimings } from '../vision/face-pipeline.js';

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
    const run = this.tail.then(async () => {
      const photo = await this.pipeline.analyze(bytes);
      const result = { ...photo, model: this.pipeline.modelId };
      for (const observer of this.observers) observer(result);
      return result;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
