import { faceBox } from '../repositories/face-columns.js';
import { NotFoundError } from '../errors.js';
import type { FaceRepository } from '../repositories/face.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { ThumbnailStore } from '../repositories/thumbnail-store.js';
import { needsRendition, renditionSize } from '../vision/browser-rendition.js';
import type { Box } from '../vision/types.js';
import type { PhotoRenditions } from './photo-renditions.js';
import { FACE_THUMBNAIL_SIZE, thumbnailCrop } from './thumbnail-crop.js';
import type { UrlSigner } from './url-signer.js';

/** Bump when the rendering changes: every thumbnail gets a new key, so a new URL, and no cache serves the old one. */
const RENDERING_VERSION = 1;

/** Path prefix of the thumbnail route; URLs are `/thumbnails/faces/<faceId>-<key>.jpg`. */
export const FACE_THUMBNAIL_PATH = '/thumbnails/faces';

export interface FaceThumbnail {
  bytes: Buffer;
  /** The content key, also the ETag. */
  key: string;
}

/**
 * Face thumbnails: a JPEG of the face with a margin, rendered once from the
 * stored photo and kept under the data folder. Each URL carries a key signed
 * over the face's owner, the photo's hash, the face box and the rendering
 * version (see UrlSigner), so what a URL names never changes: it can be cached
 * forever, and a stale, guessed or forged URL is a 404, not another face.
 */
export interface FaceThumbnailServiceDeps {
  faces: FaceRepository;
  images: ImageRepository;
  /** The photo as sharp can read it: HEIC and RAW through their renditions. */
  renditions: PhotoRenditions;
  store: ThumbnailStore;
  signer: UrlSigner;
}

export class FaceThumbnailService {
  private readonly faces: FaceRepository;
  private readonly images: ImageRepository;
  private readonly renditions: PhotoRenditions;
  private readonly store: ThumbnailStore;
  private readonly signer: UrlSigner;

  constructor(deps: FaceThumbnailServiceDeps) {
    this.faces = deps.faces;
    this.images = deps.images;
    this.renditions = deps.renditions;
    this.store = deps.store;
    this.signer = deps.signer;
  }

  /** The thumbnail URL of a face, given its photo's hash (from a request's loader). */
  url(ownerId: number, face: { id: number; box: Box }, imageSha256: string): string {
    return `${FACE_THUMBNAIL_PATH}/${face.id}-${this.key(ownerId, face.id, imageSha256, face.box)}.jpg`;
  }

  /** The JPEG of the owner's face for a URL's face id and key; NOT_FOUND unless the key is the face's current one. */
  async get(ownerId: number, faceId: number, key: string): Promise<FaceThumbnail> {
    const face = await this.faces.findById(ownerId, faceId);
    const image = face && (await this.images.findById(ownerId, face.image_id));
    const box = face && faceBox(face);
    if (!face || !image || !box || this.key(ownerId, face.id, image.sha256, box) !== key) {
      throw new NotFoundError('thumbnail', `${faceId}-${key}`);
    }
    // Cut from what sharp can read: the stored photo, or its rendition (HEIC, RAW), whose frame is the upright
    // photo's at most RENDITION_MAX_SIDE: boxes and landmarks scale onto it.
    const rendition = needsRendition(image.format);
    const frame = rendition ? renditionSize(image) : image;
    const s = frame.width / image.width;
    const crop = thumbnailCrop(
      { x: box.x * s, y: box.y * s, width: box.width * s, height: box.height * s },
      face.landmarks.map(([x, y]) => ({ x: x * s, y: y * s })),
      frame,
    );
    const photo = () => (rendition ? this.renditions.rendition(image) : this.renditions.original(image));
    const bytes = await this.store.get(key, photo, crop, FACE_THUMBNAIL_SIZE);
    return { bytes, key };
  }

  private key(ownerId: number, faceId: number, imageSha256: string, box: Box): string {
    return this.signer.sign('face', RENDERING_VERSION, ownerId, faceId, imageSha256, box.x, box.y, box.width, box.height);
  }
}
