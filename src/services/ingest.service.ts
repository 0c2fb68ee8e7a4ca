import type { ImageRow, IngestBatchRow, IngestItemRow } from '../db/tables.js';
import { AppError, NotFoundError } from '../errors.js';
import type { AlbumRepository } from '../repositories/album.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { IngestBatchRepository, ItemOutcome } from '../repositories/ingest-batch.repository.js';
import { sha256Hex, type PhotoStore } from '../repositories/photo-store.js';
import type { FaceAnalyzer } from './face-analyzer.js';

/** One file to ingest: a name for the client, and a way to get its bytes that may fail on its own. */
export interface IngestSource {
  fileName: string;
  read(): Promise<Uint8Array>;
}

export interface PhotoOutcome {
  image: ImageRow;
  created: boolean;
}

/**
 * Turns files into stored images with faces. Each photo is independent: one
 * that fails is recorded as an item error and the others go on. Each photo is
 * idempotent: the same bytes in the same album give back the existing image.
 */
export class IngestService {
  constructor(
    private readonly albums: AlbumRepository,
    private readonly images: ImageRepository,
    private readonly batches: IngestBatchRepository,
    private readonly photos: PhotoStore,
    private readonly analyzer: FaceAnalyzer,
  ) {}

  async getBatch(id: number): Promise<IngestBatchRow> {
    const batch = await this.batches.findById(id);
    if (!batch) throw new NotFoundError('ingest batch', String(id));
    return batch;
  }

  findBatch(id: number): Promise<IngestBatchRow | undefined> {
    return this.batches.findById(id);
  }

  batchItems(id: number): Promise<IngestItemRow[]> {
    return this.batches.items(id);
  }

  listBatches(albumId: number, limit: number): Promise<IngestBatchRow[]> {
    return this.batches.listByAlbum(albumId, limit);
  }

  /** Ingests the sources in order and returns the finished batch. */
  async ingest(albumId: number, sources: IngestSource[]): Promise<IngestBatchRow> {
    if (!(await this.albums.findById(albumId))) throw new NotFoundError('album', String(albumId));
    const batch = await this.batches.create(albumId, sources.map((s) => s.fileName), 'RUNNING');
    for (const [position, source] of sources.entries()) {
      const outcome = await this.ingestOne(albumId, source).then(
        (r): ItemOutcome => ({ position, fileName: source.fileName, imageId: r.image.id, error: null }),
        (err): ItemOutcome => ({ position, fileName: source.fileName, imageId: null, error: toItemError(err) }),
      );
      await this.batches.recordItem(batch.id, outcome);
    }
    await this.batches.setStatus(batch.id, 'DONE');
    return (await this.batches.findById(batch.id))!;
  }

  /** Stores one photo with its faces, or returns the album's existing copy of the same bytes. */
  async ingestOne(albumId: number, source: IngestSource): Promise<PhotoOutcome> {
    const bytes = await source.read();
    const sha256 = sha256Hex(bytes);
    const existing = await this.images.findInAlbum(albumId, sha256);
    if (existing) return { image: existing, created: false };

    const analyzed = await this.analyzer.analyze(bytes);
    // File first, rows second: a row never points at a missing file. If the rows
    // fail, the file is removed again unless another image uses the same bytes.
    await this.photos.put(sha256, analyzed.format, bytes);
    let result: PhotoOutcome;
    try {
      result = await this.images.insertWithFaces(
        {
          albumId,
          sha256,
          fileName: source.fileName,
          format: analyzed.format,
          width: analyzed.width,
          height: analyzed.height,
          byteSize: bytes.length,
        },
        analyzed.faces.map((f) => ({ ...f, model: analyzed.model })),
      );
    } catch (err) {
      if ((await this.images.countBySha(sha256)) === 0) await this.photos.remove(sha256, analyzed.format);
      throw err;
    }
    // A concurrent delete of another album holding these bytes may have removed the file between our put and commit.
    await this.photos.put(sha256, analyzed.format, bytes);
    return result;
  }
}

function toItemError(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  console.error('[ingest] unexpected error:', err);
  return { code: 'INTERNAL_SERVER_ERROR', message: 'the photo could not be processed' };
}
