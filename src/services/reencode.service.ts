import { AppError } from '../errors.js';
import { faceBox } from '../repositories/face-columns.js';
import { jobId } from '../jobs/job-id.js';
import { QUEUES, type JobOutcome, type JobQueue } from '../jobs/job-queue.js';
import type { FaceReencodeRepository } from '../repositories/face-reencode.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import { matchFaces } from '../vision/box-matching.js';
import type { FaceAnalyzer } from './face-analyzer.js';
import type { OwnerAccess } from './owner-access.js';

export interface ReencodeServiceDeps {
  access: OwnerAccess;
  images: ImageRepository;
  reencodes: FaceReencodeRepository;
  photos: PhotoStore;
  analyzer: FaceAnalyzer;
  queue: JobQueue;
}

/**
 * Brings stored faces to the running model: every face records the model
 * that embedded it, and after a model change the faces of another model are
 * embedded again from the stored photos, through durable jobs (one per image),
 * keeping their ids so that people, corrections and links stay.
 */
export class ReencodeService {
  constructor(private readonly deps: ReencodeServiceDeps) {}

  /**
   * Queues a re-encode of every image of the owner (in one album, or all) that has a face
   * embedded by another model than the running one. Returns how many faces
   * that concerns. Asking again queues the images again (say, after some gave
   * up); a job that finds its image already re-encoded is skipped, cheaply.
   */
  async reencodeFaces(ownerId: number, albumId?: number): Promise<number> {
    const { access, reencodes, queue, analyzer } = this.deps;
    if (albumId !== undefined) await access.require(ownerId, 'album', albumId);
    const model = analyzer.model;
    const request = `${Date.now()}-${Math.random()}`;
    const faces = await reencodes.countOtherModel(ownerId, model, albumId);
    for (let after = 0; ; ) {
      const ids = await reencodes.imagesWithOtherModel(ownerId, model, albumId, after, 1000);
      if (ids.length === 0) break;
      await queue.enqueue(
        ids.map((imageId) => ({ queue: QUEUES.reencodeImage, id: jobId(`reencode\u0000${request}`, imageId), data: { imageId, model } })),
      );
      after = ids[ids.length - 1];
    }
    queue.notify();
    return faces;
  }

  /**
   * The job of one image's re-encode: run the current pipeline on the stored
   * photo and carry each stale face over to the face found again at the same
   * place (by box overlap), keeping its id. A stale face the current detector
   * no longer finds is left as it was, and reported.
   */
  async reencodeImage(imageId: number, model: string): Promise<JobOutcome> {
    const { images, reencodes, photos, analyzer } = this.deps;
    // Queued by a process running another model: leave it to a worker that runs that one.
    if (model !== analyzer.model) throw new Error(`re-encode to ${model} asked of a worker running ${analyzer.model}`);
    const image = await images.findAnyById(imageId);
    if (!image) return 'skipped';
    const stale = await reencodes.facesWithOtherModel(imageId, model);
    if (stale.length === 0) return 'skipped';
    let bytes: Buffer;
    try {
      bytes = await photos.read(image);
    } catch (err) {
      // An in-place photo gone or changed: its folder's watcher removes or re-analyses it; nothing to retry here.
      if (err instanceof AppError && err.code === 'PHOTO_MISSING') {
        console.error(`[reencode] image ${imageId}: ${err.message}`);
        return 'failed';
      }
      throw err;
    }
    const analyzed = await analyzer.analyze(bytes);
    const boxes = stale.map(faceBox);
    const pairs = matchFaces(
      boxes,
      analyzed.faces.map((f) => f.box),
    );
    await reencodes.reencode(
      pairs.map(([i, j]) => ({ id: stale[i].id, ...analyzed.faces[j] })),
      model,
    );
    if (pairs.length < stale.length) {
      console.error(
        `[reencode] image ${imageId}: ${stale.length - pairs.length} of ${stale.length} faces not found again; left on their old model`,
      );
    }
    return 'success';
  }
}
