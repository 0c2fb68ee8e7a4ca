import path from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrator.js';
import { AlbumRepository } from './repositories/album.repository.js';
import { FaceRepository } from './repositories/face.repository.js';
import { ImageRepository } from './repositories/image.repository.js';
import { IngestBatchRepository } from './repositories/ingest-batch.repository.js';
import { PhotoStore } from './repositories/photo-store.js';
import { AlbumService } from './services/album.service.js';
import { FaceAnalyzer } from './services/face-analyzer.js';
import { FaceService } from './services/face.service.js';
import { ImportRoot } from './services/import-root.js';
import { IngestService } from './services/ingest.service.js';
import type { Services } from './services/services.js';
import { createEngine } from './vision/engine-factory.js';
import { FacePipeline } from './vision/face-pipeline.js';
import type { FaceEngine } from './vision/types.js';

export interface Facegraph {
  config: Readonly<Config>;
  database: Database;
  photos: PhotoStore;
  pipeline: FacePipeline;
  /** The serialised vision pipeline every service shares; observe it for per-stage timings. */
  analyzer: FaceAnalyzer;
  services: Services;
  close(): Promise<void>;
}

export interface FacegraphOptions {
  /** Use this engine instead of the configured one (tests share one loaded engine). */
  engine?: FaceEngine;
  /** Run PGlite in memory instead of under the data folder (tests). */
  inMemoryDatabase?: boolean;
}

/**
 * The composition root: opens the database, runs migrations, and wires
 * repositories -> services. The only place that knows every concrete class.
 */
export async function createFacegraph(config: Readonly<Config>, options: FacegraphOptions = {}): Promise<Facegraph> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: options.inMemoryDatabase ? null : config.dataDir,
  });
  try {
    await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const { db } = database;
  const albums = new AlbumRepository(db);
  const images = new ImageRepository(db);
  const faces = new FaceRepository(db);
  const batches = new IngestBatchRepository(db);
  const photos = new PhotoStore(path.join(config.dataDir, 'photos'));
  const engine = options.engine ?? createEngine(config);
  const pipeline = new FacePipeline(engine, { ...config.vision, maxPixels: config.limits.maxPixels });
  const analyzer = new FaceAnalyzer(pipeline);

  const services: Services = {
    albums: new AlbumService(albums, images, photos, config.limits.maxPage),
    faces: new FaceService(faces, albums, analyzer, config.limits.maxPage),
    ingest: new IngestService(albums, images, batches, photos, analyzer),
    imports: new ImportRoot(config.importRoot, config.limits.maxFileBytes),
  };
  return {
    config,
    database,
    photos,
    pipeline,
    analyzer,
    services,
    close: async () => {
      await database.close();
      if (!options.engine) await engine.dispose();
    },
  };
}
