import { deadLetterOf, QUEUES, type ClaimedJob, type JobHandler, type JobOutcome } from './job-queue.js';

/**
 * What the `ingest-photo` jobs need done (the services layer's `IngestService`
 * provides it; `createFacegraph` hands it in). Declared here so that jobs/
 * knows the work it drives, not the layer above that does it.
 */
export interface IngestJobs {
  processItem(batchId: number, position: number): Promise<JobOutcome>;
  giveUpItem(batchId: number, position: number, reason: string | undefined): Promise<JobOutcome>;
}

/** What the `reencode-image` jobs need done (`ReencodeService`). */
export interface ReencodeJobs {
  reencodeImage(imageId: number, model: string): Promise<JobOutcome>;
}

/**
 * What each queue's jobs do, in the order workers look at the queues:
 * ingestion first (someone may be waiting), re-encoding next, dead letters last.
 * Handlers are thin: they read the job's data and call the service.
 */
export function jobHandlers(ingest: IngestJobs, reencode: ReencodeJobs): Map<string, JobHandler> {
  return new Map<string, JobHandler>([
    [QUEUES.ingestPhoto, (job) => ingest.processItem(int(job, 'batchId'), int(job, 'position'))],
    [QUEUES.reencodeImage, (job) => reencode.reencodeImage(int(job, 'imageId'), str(job, 'model'))],
    [deadLetterOf(QUEUES.ingestPhoto), (job) => ingest.giveUpItem(int(job, 'batchId'), int(job, 'position'), job.lastError)],
    [
      deadLetterOf(QUEUES.reencodeImage),
      async (job) => {
        // Nothing to record: the image keeps its old embeddings and a later reencodeFaces picks it up again.
        console.error(`[reencode] image ${String(job.data.imageId)} gave up: ${job.lastError ?? 'unknown error'}`);
        return 'failed';
      },
    ],
  ]);
}

function int(job: ClaimedJob, key: string): number {
  const value = job.data[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(`job ${job.id}: ${key} is not an integer`);
  return value;
}

function str(job: ClaimedJob, key: string): string {
  const value = job.data[key];
  if (typeof value !== 'string') throw new Error(`job ${job.id}: ${key} is not a string`);
  return value;
}
