import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clusterEmbeddings } from '../clustering/cluster-faces.js';
import { loadConfig, type Config } from '../config.js';
import { euclideanDistance, FACE_API_MATCH_DISTANCE, openFaceApiBaseline } from '../eval/face-api-baseline.js';
import { comparePrecision, PARITY_FACE_SIDE, SAME_FACE_IOU, type ParityReport } from '../eval/precision-parity.js';
import { scoreSource, totalOf, type EvalSystem, type ScoredSource, type SourceScore } from '../eval/source-scores.js';
import { sourcesTable } from '../eval/source-table.js';
import { loadSourcesDir, repositorySources, type EvalSource } from '../eval/sources.js';
import type { ClusterFn } from '../eval/evaluator.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import { isPoorQuality } from '../vision/face-quality.js';
import { createEngine } from '../vision/engine-factory.js';
import { FacePipeline } from '../vision/face-pipeline.js';
import { describePrecision } from '../vision/onnx/run/int8-support.js';
import { OnnxEngine } from '../vision/onnx/run/onnx-engine.js';
import { pipelineOptions } from '../vision/pipeline-pool.js';
import type { FaceEngine } from '../vision/types.js';
import { cosineDistance } from '../vision/vector-math.js';

/** `--threshold`'s value, or the calibrated default; undefined (after saying why) when it is no cosine distance. */
export function parseThreshold(raw: string | undefined): number | undefined {
  const threshold = raw === undefined ? DEFAULT_SAME_PERSON_THRESHOLD : Number(raw);
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 2) {
    process.stderr.write(`--threshold must be a cosine distance in [0, 2], got "${raw}"\n`);
    return undefined;
  }
  return threshold;
}

/** People as facegraph makes them: average linkage at the threshold, poor faces left out (vision/face-quality.ts). */
export function facegraphClustering(threshold: number): ClusterFn {
  return async (embeddings, qualities) => clusterEmbeddings(embeddings, { threshold }, qualities.map(isPoorQuality));
}

/** The ingestion pipeline as the environment configures it, and a line that says which. */
export function openPipeline(config: Readonly<Config>): { engine: FaceEngine; pipeline: FacePipeline; precision: string } {
  const engine = createEngine(config);
  // The ONNX engine's networks' arithmetic (FACEGRAPH_PRECISION resolved on this CPU); tfjs is float32.
  const precision = engine instanceof OnnxEngine ? describePrecision(engine.precision) : 'fp32';
  return { engine, pipeline: new FacePipeline(engine, pipelineOptions(config)), precision };
}

/**
 * Every source of `dirs` (or, with none, every set of FACEGRAPH_DATASETS) scored by facegraph and,
 * with `baseline`, by plain face-api: the table on stdout, totals per family of sources and in all.
 */
export async function evaluateSources(
  dirs: string[],
  options: { baseline: boolean; parity?: boolean; threshold?: string; out?: string },
): Promise<number> {
  const threshold = parseThreshold(options.threshold);
  if (threshold === undefined) return 2;
  const config = loadConfig();
  if (dirs.length === 0 && !config.datasets) {
    process.stderr.write(
      'nothing to evaluate: set FACEGRAPH_DATASETS to a folder of labelled sets (README, "Recognition quality"), or give --sets DIR\n',
    );
    return 2;
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'facegraph-eval-'));
  const { engine, pipeline, precision } = openPipeline(config);
  try {
    const sources: EvalSource[] = [];
    if (dirs.length === 0) {
      sources.push(...(await repositorySources(config.datasets!, scratch)));
      const pub = path.join(config.datasets!, 'public');
      if (
        await stat(pub).then(
          (s) => s.isDirectory(),
          () => false,
        )
      )
        sources.push(...(await loadSourcesDir(pub)));
    }
    for (const dir of dirs) sources.push(...(await loadSourcesDir(path.resolve(dir))));

    const systems: EvalSystem[] = [
      { name: 'facegraph', analyzer: pipeline, distance: cosineDistance, threshold, cluster: facegraphClustering(threshold) },
    ];
    if (options.baseline) {
      systems.push({
        name: 'face-api',
        analyzer: await openFaceApiBaseline(),
        distance: euclideanDistance,
        threshold: FACE_API_MATCH_DISTANCE,
      });
    }
    process.stderr.write(
      `eval: ${sources.length} sources; facegraph ${engine.name} (${precision}) at cosine ${threshold}${options.baseline ? `, plain face-api at euclidean ${FACE_API_MATCH_DISTANCE}` : ''}\n`,
    );

    const scored = new Map<string, ScoredSource[]>(systems.map((s) => [s.name, []]));
    const rows: SourceScore[] = [];
    for (const source of sources) {
      for (const system of systems) {
        const result = await scoreSource(source, system);
        scored.get(system.name)!.push(result);
        rows.push(result.score);
        process.stderr.write(`  ${source.name} / ${system.name}: ${result.score.photos} photos in ${result.score.seconds.toFixed(1)} s\n`);
      }
    }
    const families = [...new Set(sources.map((s) => s.family))];
    const totals: SourceScore[] = [];
    for (const family of [...families, ...(families.length > 1 ? ['all'] : [])]) {
      for (const system of systems) {
        const mine = scored.get(system.name)!.filter((_, i) => family === 'all' || sources[i].family === family);
        totals.push(totalOf(`total ${family}`, system.name, mine));
      }
    }
    process.stdout.write(`${sourcesTable([...rows, ...totals])}\n`);
    const parity = options.parity ? await precisionParity(sources, pipeline, precision, config) : undefined;
    if (options.out) {
      const report = {
        model: pipeline.modelId,
        engine: engine.name,
        precision,
        threshold,
        ...(options.baseline
          ? { baseline: { name: 'face-api', version: '1.7.15', distance: 'euclidean', threshold: FACE_API_MATCH_DISTANCE } }
          : {}),
        sources: rows,
        totals,
        ...(parity ? { precisionParity: parity } : {}),
      };
      await writeFile(options.out, `${JSON.stringify(report, (_, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
    }
    return 0;
  } finally {
    await engine.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Every photo of `sources` through the configured pipeline and through float32 throughout: which faces differ. */
async function precisionParity(
  sources: readonly EvalSource[],
  pipeline: FacePipeline,
  precision: string,
  config: Readonly<Config>,
): Promise<ParityReport> {
  const files = [
    ...new Set(sources.flatMap((s) => [...(s.identity?.photos ?? []), ...(s.groups ?? []).map((g) => g.file), ...(s.noface ?? [])])),
  ];
  const float32 = openPipeline({ ...config, precision: 'fp32' });
  try {
    process.stderr.write(`precision parity: ${files.length} photos, ${precision} against fp32\n`);
    const report = await comparePrecision(files, pipeline, float32.pipeline);
    process.stdout.write(
      `\nprecision parity: ${report.differing} of ${report.photos} photos differ from fp32 in their faces (IoU ${SAME_FACE_IOU}), ` +
        `${report.differingAt60} by a face of ${PARITY_FACE_SIDE} px or more; ` +
        `${Math.round((1000 * report.fastSeconds) / report.photos)} ms a photo against fp32's ${Math.round((1000 * report.float32Seconds) / report.photos)}\n`,
    );
    for (const d of report.differences) {
      const faces = d.unmatched.map((u) => `${u.run} only: ${u.side} px at ${u.score.toFixed(2)}`).join('; ');
      process.stdout.write(`  ${path.relative(config.datasets ?? process.cwd(), d.file)}: ${d.fast} vs ${d.float32} faces (${faces})\n`);
    }
    return report;
  } finally {
    await float32.engine.dispose();
  }
}
