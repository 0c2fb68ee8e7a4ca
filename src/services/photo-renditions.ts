import { NotFoundError } from '../errors.js';
import type { PhotoRef, PhotoStore } from '../repositories/photo-store.js';
import type { RenditionStore } from '../repositories/rendition-store.js';
import { needsRendition } from '../vision/browser-rendition.js';
import type { FaceAnalyzer } from './face-analyzer.js';

/** Bump when renditions are made differently: every rendition URL and file changes, so no cache serves the old. */
export const RENDITION_VERSION = 1;

/** An image's photo, stored or indexed in place (PhotoStore.read reads either). */
type StoredPhoto = PhotoRef;

export interface PhotoRenditionsDeps {
  photos: PhotoStore;
  store: RenditionStore;
  /** Makes renditions in the analysis threads: the same decoding as analysis (HEIC, RAW previews). */
  analyzer: Pick<FaceAnalyzer, 'renderForBrowser'>;
}

/**
 * An image's photo as stored, and as browsers (and sharp) can read it: the stored file for JPEG, PNG, WebP,
 * GIF and AVIF, else a JPEG rendition made once and kept. The one read path of photo files for the photo
 * route, renditions and face thumbnails, so a photo whose file is gone is NOT_FOUND everywhere.
 */
export class PhotoRenditions {
  constructor(private readonly deps: PhotoRenditionsDeps) {}

  /**
   * The stored bytes of an image's photo; NOT_FOUND (not a crash) when the store's file is gone, PHOTO_MISSING
   * when an in-place photo is gone or changed (PhotoStore.read).
   */
  async original(image: StoredPhoto): Promise<Buffer> {
    try {
      return await this.deps.photos.read(image);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      console.error(`[photos] the file of image ${image.id} is missing from the photo store`);
      throw new NotFoundError('photo file of image', String(image.id));
    }
  }

  /** The JPEG rendition of an image that needs one (see {@link needsRendition}), made now if it was not before. */
  rendition(image: StoredPhoto): Promise<Buffer> {
    return this.deps.store.get(image.sha256, RENDITION_VERSION, async () =>
      this.deps.analyzer.renderForBrowser(await this.original(image)),
    );
  }

  /** What a browser or sharp can read: the rendition where the format needs one, else the stored file. */
  viewable(image: StoredPhoto): Promise<Buffer> {
    return needsRendition(image.format) ? this.rendition(image) : this.original(image);
  }

  /** Removes the rendition of a photo file that is gone. */
  remove(sha256: string): Promise<void> {
    return this.deps.store.remove(sha256, RENDITION_VERSION);
  }
}
