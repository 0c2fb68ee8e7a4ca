import { faceBox } from '../repositories/face-columns.js';
import type { FaceRow } from '../db/tables.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { FaceCorrectionRepository } from '../repositories/face-correction.repository.js';
import type { FaceRepository } from '../repositories/face.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import { iou } from '../vision/box-matching.js';
import type { Box } from '../vision/types.js';
import type { ClusteringService } from './clustering.service.js';
import type { FaceAnalyzer } from './face-analyzer.js';
import type { OwnerAccess } from './owner-access.js';

/**
 * Smallest side of a drawn box whatever FACEGRAPH_MIN_FACE_SIZE says (it may
 * be 0): the landmark net reads a 112-px input, and below this a face has too
 * few pixels to give landmarks worth checking.
 */
export const MIN_DRAWN_FACE_SIZE = 20;
/** A drawn box overlapping a stored face this much is that face again, not a missed one. */
const SAME_FACE_IOU = 0.5;

/**
 * Corrections of what the detector got wrong: a face that is not one is
 * deleted, a face it missed is added in a box the user draws. Every method
 * takes the caller's owner id first; another owner's image or face is
 * NOT_FOUND.
 */
export interface FaceCorrectionServiceDeps {
  access: OwnerAccess;
  corrections: FaceCorrectionRepository;
  faces: FaceRepository;
  images: ImageRepository;
  photos: PhotoStore;
  analyzer: FaceAnalyzer;
  clustering: Pick<ClusteringService, 'assignNewFacesSoon'>;
  /** FACEGRAPH_MIN_FACE_SIZE: the smallest face the detector keeps, in original pixels. */
  minFaceSize: number;
}

export class FaceCorrectionService {
  private readonly access: OwnerAccess;
  private readonly corrections: FaceCorrectionRepository;
  private readonly faces: FaceRepository;
  private readonly images: ImageRepository;
  private readonly photos: PhotoStore;
  private readonly analyzer: FaceAnalyzer;
  private readonly clustering: Pick<ClusteringService, 'assignNewFacesSoon'>;
  private readonly minFaceSize: number;

  constructor(deps: FaceCorrectionServiceDeps) {
    this.access = deps.access;
    this.corrections = deps.corrections;
    this.faces = deps.faces;
    this.images = deps.images;
    this.photos = deps.photos;
    this.analyzer = deps.analyzer;
    this.clustering = deps.clustering;
    this.minFaceSize = deps.minFaceSize;
  }

  /**
   * Deletes a face: it leaves searches, counts, its person and clustering at
   * once, and for good (a photo is never analysed again, so it cannot come
   * back). Returns the person it was in, if any.
   */
  async deleteFace(ownerId: number, faceId: number): Promise<number | null> {
    await this.access.require(ownerId, 'face', faceId);
    return this.corrections.deleteFace(faceId);
  }

  /**
   * Adds the face inside a box a user drew on a stored photo (original
   * pixels): landmarks, chips and embedding by the same pipeline and model as
   * every face, stored as `manual`, then placed in a person like a new
   * photo's faces. BAD_USER_INPUT for a box outside the photo, too small, on
   * a stored face, or — unless `force` — where the landmark check finds no
   * face (the reason is in `extensions.rejection`).
   */
  async addFace(ownerId: number, imageId: number, box: Box, force = false): Promise<FaceRow> {
    const image = await this.images.findById(ownerId, imageId);
    if (!image) throw new NotFoundError('image', String(imageId));
    const values = [box.x, box.y, box.width, box.height];
    if (!values.every(Number.isFinite) || box.x < 0 || box.y < 0 || box.x + box.width > image.width || box.y + box.height > image.height) {
      throw new InvalidInputError(`box must lie inside the photo (${image.width} x ${image.height} pixels)`, { argument: 'box' });
    }
    const minSide = Math.max(this.minFaceSize, MIN_DRAWN_FACE_SIZE);
    if (Math.min(box.width, box.height) < minSide) {
      throw new InvalidInputError(`box is too small to hold a face: both sides must be at least ${minSide} pixels`, {
        argument: 'box',
        minSide,
      });
    }
    for (const other of await this.faces.listByImageIds([imageId])) {
      const stored = faceBox(other);
      if (iou(stored, box) >= SAME_FACE_IOU) {
        throw new InvalidInputError(`face ${other.id} is already in this box`, { argument: 'box', faceId: other.id });
      }
    }
    const analysis = await this.analyzer.analyzeBox(await this.photos.read(image), box);
    if (!analysis.check.isFace && !force) {
      throw new InvalidInputError(`no face found in this box (${analysis.check.rejection}); add it with force: true if there is one`, {
        argument: 'box',
        rejection: analysis.check.rejection,
      });
    }
    const { landmarks, embedding, quality, maleProbability } = analysis.face;
    const face = await this.corrections.addFace(image, {
      box,
      score: 0,
      landmarks,
      embedding,
      quality,
      maleProbability,
      model: analysis.model,
      source: 'manual',
    });
    this.clustering.assignNewFacesSoon(image.album_id, { imageIds: [image.id] });
    return face;
  }
}
