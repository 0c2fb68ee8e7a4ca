import os from 'node:os';
import { loadConfig } from '../config.js';
import { createFacegraph } from '../facegraph.js';
import { startOpsServer } from '../server/app.js';

export interface WorkerCommandOptions {
  /** Job consumers in this process (default: FACEGRAPH_WORKERS, at least 1). */
  concurrency?: number;
  /** Serve /healthz and /metrics on this port. */
  port?: number;
}

/**
 * A process that only consumes jobs: run any number of them, on any number of
 * hosts, against one PostgreSQL (and one shared data folder). On the embedded
 * PGlite there is one process per data folder, so there this is the API's
 * in-process worker on its own. Stops cleanly on SIGTERM / SIGINT: running
 * jobs finish (or are retried elsewhere after their timeout), nothing is lost.
 */
export async function runWorker(options: WorkerCommandOptions): Promise<void> {
  const config = loadConfig();
  const concurrency = options.concurrency ?? Math.max(1, config.jobs.workers);
  const facegraph = await createFacegraph(config, { workers: concurrency, startWorkers: false, processMetrics: true });
  // Load the networks before taking jobs, so the first job does not run into its timeout.
  await facegraph.analyzer.load();
  const ops =
    options.port === undefined
      ? undefined
      : await startOpsServer({ checkDatabase: facegraph.checkDatabase, metrics: facegraph.metrics }, options.port, config.host);
  facegraph.workers.start();
  console.log(
    `facegraph worker: ready (pid ${process.pid} on ${os.hostname()}, ${facegraph.queue.kind} queue, ${concurrency} consumer(s), ` +
      `engine ${config.engine}${ops ? `, /healthz and /metrics at ${ops.url}` : ''})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`facegraph worker: ${signal}, finishing running jobs`);
    await ops?.stop();
    await facegraph.close(30_000);
    console.log(`facegraph worker: stopped ${JSON.stringify(facegraph.workers.stats)}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
