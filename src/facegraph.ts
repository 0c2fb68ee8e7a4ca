import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import { jobHandlers } from './jobs/job-handlers.js';
import type { JobQueue } from './jobs/job-queue.js';
import { JobWorkers } from './jobs/job-workers.js';
import { LocalQueue } from './jobs/local-queue.js';
import { PeriodicTasks } from './jobs/periodic-tasks.js';
import { PgBossQueue } from './jobs/pg-boss-queue.js';
import { FacegraphMetrics } from './metrics/facegraph-metrics.js';
import { AccessRepository } from './repositories/access.repository.js';
import { AlbumRepository } from './repositories/album.repository.js';
import { ClusteringRepository } from './repositories/clustering.repository.js';
import { FaceCorrectionRepository } from './repositories/face-correction.repository.js';
import { FaceReencodeRepository } from './repositories/face-reencode.repository.js';
import { FaceRepository } from './repositories/face.repository.js';
import { ImageRepository } from './repositories/image.repository.js';
import { IngestBatchRepository } from './repositories/ingest-batch.repository.js';
import { PersonDismissalRepository } from './repositories/person-dismissal.repository.js';
import { PersonMergeRepository } from './repositories/person-merge.repository.js';
import { PersonRepository } from './repositories/person.repository.js';
import { PeopleTogetherRepository } from './repositories/people-together.repository.js';
import { ReviewQueueRepository } from './repositories/review-queue.repository.js';
import { LocalEventBus, type EventBus } from './repositories/event-bus.js';
import { PgEventBus } from './repositories/pg-event-bus.js';
import { ImportRoot } from './repositories/import-root.js';
import { OwnershipRepository } from './repositories/ownership.repository.js';
import { PhotoStore } from './repositories/photo-store.js';
import { RenditionStore } from './repositories/rendition-store.js';
import { ThumbnailStore } from './repositories/thumbnail-store.js';
import { UploadSpool } from './repositories/upload-spool.js';
import { WatchedFolderRepository } from './repositories/watched-folder.repository.js';
import { AlbumService } from './services/album.service.js';
import { ApiKeyService } from './services/api-key.service.js';
import { ClusteringService } from './services/clustering.service.js';
import { FaceCorrectionService } from './services/face-correction.service.js';
import { FaceThumbnailService } from './services/face-thumbnail.service.js';
import { FaceAnalyzer } from './services/face-analyzer.js';
import { FaceService } from './services/face.service.js';
import { IngestService } from './services/ingest.service.js';
import { StorageService } from './services/storage.service.js';
import { PhotoRenditions } from './services/photo-renditions.js';
import { ReencodeService } from './services/reencode.service.js';
import { LiveEventsService } from './services/live-events.service.js';
import { OwnerAccess } from './services/owner-access.js';
import { MetadataBackfill } from './services/metadata-backfill.service.js';
import { PeopleService } from './services/people.service.js';
import { ReviewQueueService } from './services/review-queue.service.js';
import type { Services } from './services/services.js';
import { UrlSigner } from './services/url-signer.js';
import { WatchService } from './services/watch.service.js';
import { FolderWatchers } from './watch/folder-watchers.js';
import { createEngine } from './vision/engine-factory.js';
import { FacePipeline } from './vision/face-pipeline.js';
import { PipelinePool, pipelineOptions } from './vision/pipeline-pool.js';
import type { FaceEngine } from './vision/types.js';

export interface Facegraph {
  config: Readonly<Config>;
  database: Database;
  photos: PhotoStore;
  /**
   * The vision pipeline every service shares (in this thread, or `config.analyzers` analysis threads);
   * observe it for per-stage timings, `load()` it to load the models before the first photo.
   */
  analyzer: FaceAnalyzer;
  services: Services;
  /** pg-boss on PostgreSQL, the in-process table queue on PGlite. */
  queue: JobQueue;
  /** This process's job consumers (none running when `jobs.workers` is 0). */
  workers: JobWorkers;
  metrics: FacegraphMetrics;
  /** Resolves when the database answers a query; rejects otherwise. */
  checkDatabase(): Promise<void>;
  /** Stops the workers (letting running jobs finish for up to `graceMs`), the queue, the database and the engine. */
  close(graceMs?: number): Promise<void>;
}

export interface FacegraphOptions {
  /** Use this engine instead of the configured one (tests share one loaded engine). */
  engine?: FaceEngine;
  /** Run PGlite in memory instead of under the data folder (tests). */
  inMemoryDatabase?: boolean;
  /** Job consumers to run, instead of `config.jobs.workers` (the CLI runs none, `facegraph worker` at least one). */
  workers?: number;
  /** Start the job consumers now (default); false leaves it to `workers.start()` (after loading the models, say). */
  startWorkers?: boolean;
  /**
   * Watch the watched folders in this process (default: when it runs job consumers and FACEGRAPH_IMPORT_ROOT
   * is set); each folder is watched by one process at a time whichever processes run them.
   */
  watchFolders?: boolean;
  /** Also export Node process metrics (CPU, memory, event loop) on /metrics: for long-running processes. */
  processMetrics?: boolean;
}

/**
 * The composition root: opens the database, runs migrations, and wires
 * repositories -> services. The only place that knows every concrete class.
 */
export async function createFacegraph(config: Readonly<Config>, options: FacegraphOptions = {}): Promise<Facegraph> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: options.inMemoryDatabase ? null : config.dataDir,
    hnswEfSearch: config.hnswEfSearch,
  });
  try {
    await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const { db } = database;
  const policy = { retries: config.jobs.retries, retryDelaySeconds: config.jobs.retryDelaySeconds, leaseSeconds: config.jobs.leaseSeconds };
  const queue: JobQueue =
    database.kind === 'postgres' ? new PgBossQueue({ ...policy, connectionString: config.databaseUrl! }) : new LocalQueue(db, policy);
  try {
    await queue.start();
  } catch (err) {
    await database.close();
    throw err;
  }
  const metrics = new FacegraphMetrics(queue, { processMetrics: options.processMetrics });
  const keys = new AccessRepository(db);
  const signer = new UrlSigner(await keys.urlSigningSecret());
  const access = new OwnerAccess(new OwnershipRepository(db));
  const albums = new AlbumRepository(db);
  const images = new ImageRepository(db);
  const faces = new FaceRepository(db);
  const batches = new IngestBatchRepository(db);
  const imports = new ImportRoot(config.importRoot, config.limits.maxFileBytes);
  const photos = new PhotoStore(path.join(config.dataDir, 'photos'), imports);
  const maxPage = config.limits.maxPage;
  // Never loaded when analysis threads run the pipeline: then it only names the model they run.
  const engine = options.engine ?? createEngine(config);
  const pipeline = new FacePipeline(engine, pipelineOptions(config));
  // An engine handed in (tests, benchmarks) lives in this thread; threads build their own from the config.
  const pool = !options.engine && config.analyzers > 1 ? new PipelinePool(config, config.analyzers, pipeline.modelId) : undefined;
  const analyzer = pool ? new FaceAnalyzer(pool, pool.size) : new FaceAnalyzer(pipeline);

  // A plain copy of the stage timings: metrics/ takes any stage -> milliseconds record and knows no vision types.
  analyzer.observe((result) => metrics.analyzed({ ...result.timings }));
  // PostgreSQL's LISTEN/NOTIFY carries events between processes (workers publish, API processes follow);
  // PGlite is opened by one process only, so its events never leave it.
  const events: EventBus = database.kind === 'postgres' ? new PgEventBus(db, config.databaseUrl!) : new LocalEventBus();
  const ingest = new IngestService({
    access,
    images,
    batches,
    photos,
    analyzer,
    imports,
    spool: new UploadSpool(config.dataDir),
    queue,
    observer: metrics,
    events,
    waitSeconds: config.jobs.ingestWaitSeconds,
    minFaceSize: config.vision.minFaceSize,
    removeImages: (ids) => services.albums.removeImages(ids),
  });
  const reencode = new ReencodeService({ access, images, reencodes: new FaceReencodeRepository(db), photos, analyzer, queue });
  const clustering = new ClusteringService({ repository: new ClusteringRepository(db), albums, access });
  const live = new LiveEventsService({ bus: events, access, ingest });
  const watch = new WatchService({
    access,
    folders: new WatchedFolderRepository(db),
    images,
    imports,
    ingest,
    albums: { removeImages: (ids) => services.albums.removeImages(ids) },
    events,
    maxPage,
  });
  // A read that finds an in-place photo changed queues it for analysis again.
  photos.onStale((photo, reason) => void watch.recheck(photo, reason).catch((err) => console.error(`[watch] ${err.message}`)));
  const renditions = new PhotoRenditions({ photos, store: new RenditionStore(path.join(config.dataDir, 'renditions')), analyzer });
  const services: Services = {
    keys: new ApiKeyService(keys),
    albums: new AlbumService({
      access,
      albums,
      images,
      photos,
      renditions,
      signer,
      maxPage,
    }),
    faces: new FaceService({ access, faces, analyzer, maxPage }),
    corrections: new FaceCorrectionService({
      access,
      corrections: new FaceCorrectionRepository(db),
      faces,
      images,
      photos,
      analyzer,
      clustering,
      minFaceSize: config.vision.minFaceSize,
    }),
    ingest,
    reencode,
    live,
    people: new PeopleService({
      access,
      people: new PersonRepository(db),
      merges: new PersonMergeRepository(db),
      dismissals: new PersonDismissalRepository(db),
      faces,
      together: new PeopleTogetherRepository(db),
      maxPage,
      threshold: clustering.threshold,
    }),
    review: new ReviewQueueService({
      access,
      queue: new ReviewQueueRepository(db),
      faces,
      people: new PersonRepository(db),
      maxPage,
      threshold: clustering.threshold,
    }),
    clustering,
    thumbnails: new FaceThumbnailService({
      faces,
      images,
      renditions,
      store: new ThumbnailStore(path.join(config.dataDir, 'thumbnails')),
      signer,
    }),
    watch,
    storage: new StorageService({ dataDir: config.dataDir, minFreeBytes: config.minFreeMb * 1024 * 1024 }),
  };
  metrics.watchFreeSpace(async () => (await services.storage.status()).freeBytes);
  // New faces join existing people (or wait for enough similar ones) as soon as their batch is in; queued at
  // once, so that close() waits for the run through clustering.settled().
  ingest.onBatchFinished(({ albumId, batchId }) => clustering.assignNewFacesSoon(albumId, { batchIds: [batchId] }));
  clustering.observe((scope, summary) => live.peopleChanged(scope, summary));
  const workers = new JobWorkers(queue, jobHandlers(ingest, reencode), {
    concurrency: options.workers ?? config.jobs.workers,
    pollSeconds: config.jobs.pollSeconds,
    leaseSeconds: config.jobs.leaseSeconds,
    timeoutSeconds: config.jobs.timeoutSeconds,
    observer: metrics,
  });
  if (options.startWorkers ?? true) workers.start();
  const tasks = new PeriodicTasks();
  // Leftovers of crashes between an upload's move and its commit, or a job's record and its clean-up.
  const backfill = new MetadataBackfill(images, photos);
  if ((options.workers ?? config.jobs.workers) > 0) {
    tasks.every('spool sweep', 60 * 60 * 1000, () => ingest.sweepSpool());
    // Photos stored before their metadata was read (takenAt): read again in the background.
    backfill.start();
  }
  const watchers =
    (options.watchFolders ?? (options.workers ?? config.jobs.workers) > 0) && config.importRoot
      ? new FolderWatchers(watch, config.watch)
      : undefined;
  watchers?.start();

  let closed = false;
  return {
    config,
    database,
    photos,
    analyzer,
    services,
    queue,
    workers,
    metrics,
    checkDatabase: () => batches.ping(),
    close: async (graceMs?: number) => {
      if (closed) return;
      closed = true;
      tasks.stop();
      await watchers?.stop();
      await backfill.stop();
      await workers.stop(graceMs);
      await queue.stop();
      await services.clustering.settled();
      await events.close();
      await database.close();
      await pool?.close();
      if (!options.engine) await engine.dispose();
    },
  };
}
