import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './disk-space.js';

/**
 * Browser renditions of photos (JPEGs of HEIC, TIFF and RAW photos) on disk, `<root>/ab/<sha256>-v<N>.jpg`:
 * made once from the stored photo, then read. Named by the photo's bytes and the rendering version, so the
 * same photo in several albums has one rendition and a file never changes. Concurrent requests for a
 * missing one share its rendering; it is written to a temporary name and renamed, so no reader sees half.
 */
export class RenditionStore {
  private readonly rendering = new Map<string, Promise<Buffer>>();

  constructor(readonly root: string) {}

  pathFor(sha256: string, version: number): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`not a sha256: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), `${sha256}-v${version}.jpg`);
  }

  /** The stored rendition, or one made by `render` now (and stored). */
  async get(sha256: string, version: number, render: () => Promise<Uint8Array>): Promise<Buffer> {
    const file = this.pathFor(sha256, version);
    try {
      return await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let pending = this.rendering.get(file);
    if (!pending) {
      pending = this.make(file, render).finally(() => this.rendering.delete(file));
      this.rendering.set(file, pending);
    }
    return pending;
  }

  async remove(sha256: string, version: number): Promise<void> {
    await fs.rm(this.pathFor(sha256, version), { force: true });
  }

  private async make(file: string, render: () => Promise<Uint8Array>): Promise<Buffer> {
    const rendered = await render();
    const jpeg = Buffer.from(rendered.buffer, rendered.byteOffset, rendered.byteLength);
    await writeFileAtomically(file, jpeg, this.root);
    return jpeg;
  }
}
