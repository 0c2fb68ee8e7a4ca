import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomically } from './disk-space.js';

/** Where to cut a face thumbnail from the upright photo, and how to turn it upright. */
export interface ThumbnailCrop {
  left: number;
  top: number;
  side: number;
  /** Clockwise degrees (0, 90, 180, 270) that make the face upright. */
  rotate: number;
}

/**
 * Face thumbnails on disk, `<root>/ab/<key>.jpg`, made once and then read.
 * The key names the content (photo bytes, face box, rendering version), so a
 * file never needs to change and can be served as immutable. Concurrent
 * requests for a missing thumbnail share one rendering; the file is written
 * to a temporary name and renamed, so a reader never sees half a JPEG.
 */
export class ThumbnailStore {
  private readonly rendering = new Map<string, Promise<Buffer>>();

  constructor(readonly root: string) {}

  pathFor(key: string): string {
    if (!/^[0-9a-f]{16,64}$/.test(key)) throw new RangeError(`not a thumbnail key: ${key}`);
    return path.join(this.root, key.slice(0, 2), `${key}.jpg`);
  }

  /** The stored thumbnail, or one rendered from the photo now (and stored). */
  async get(key: string, photo: () => Promise<Buffer>, crop: ThumbnailCrop, size: number): Promise<Buffer> {
    const file = this.pathFor(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let pending = this.rendering.get(key);
    if (!pending) {
      pending = this.render(file, photo, crop, size).finally(() => this.rendering.delete(key));
      this.rendering.set(key, pending);
    }
    return pending;
  }

  private async render(file: string, photo: () => Promise<Buffer>, crop: ThumbnailCrop, size: number): Promise<Buffer> {
    // Boxes are in the upright photo: orient by EXIF first, as the decoder did.
    const face = await sharp(await photo(), { autoOrient: true, limitInputPixels: false })
      .extract({ left: crop.left, top: crop.top, width: crop.side, height: crop.side })
      .resize(size, size, { fit: 'fill' })
      .png()
      .toBuffer();
    const jpeg = await sharp(face).rotate(crop.rotate).jpeg({ quality: 85, mozjpeg: true }).toBuffer();
    await writeFileAtomically(file, jpeg, this.root);
    return jpeg;
  }
}
