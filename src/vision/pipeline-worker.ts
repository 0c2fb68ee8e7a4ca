/**
 * Entry point of one analysis thread of {@link PipelinePool}: its own engine
 * (ONNX Runtime sessions with `threads` intra-op threads) and its own
 * {@link FacePipeline}, analysing one photo at a time. The main thread keeps
 * the database, the GraphQL server and the file store; several of these
 * threads keep the cores busy with photos meanwhile.
 *
 * Messages in: {@link PoolRequest}. Messages out: one `ready` (or `failed`)
 * after the models are loaded, then one {@link PoolReply} per request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { createEngine } from './engine-factory.js';
import { FacePipeline } from './face-pipeline.js';
import {
  pipelineOptions,
  type PoolReply,
  type PoolRequest,
  type PoolStartup,
  type PoolValue,
  type SerializedError,
} from './pipeline-pool.js';

const port = parentPort;
if (!port) throw new Error('pipeline-worker.ts runs as a worker thread of PipelinePool');

const { config, threads } = workerData as PoolStartup;
const engine = createEngine({ ...config, threads });
const pipeline = new FacePipeline(engine, pipelineOptions(config));

function serialize(err: unknown): SerializedError {
  if (err instanceof AppError) return { name: err.name, message: err.message, code: err.code, details: err.details };
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack };
}

// Models loaded and warmed up; `ready` must be the thread's first message, so requests (a replaced thread gets one
// at once) wait for it.
const loaded = pipeline.load();
loaded.then(
  () => port.postMessage({ type: 'ready', modelId: pipeline.modelId }),
  (err: unknown) => port.postMessage({ type: 'failed', error: serialize(err) }),
);

port.on('message', (request: PoolRequest) => {
  const work = loaded.then((): Promise<PoolValue> => {
    if (request.kind === 'photo') return pipeline.analyze(request.bytes);
    if (request.kind === 'box') return pipeline.analyzeBox(request.bytes, request.box);
    return pipeline.renderForBrowser(request.bytes);
  });
  work.then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies PoolReply),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, error: serialize(err) } satisfies PoolReply),
  );
});
