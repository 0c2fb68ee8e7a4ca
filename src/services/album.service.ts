import type { AlbumRow, ImageRow } from '../db/tables.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { AlbumRepository, AlbumStats } from '../repositories/album.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import { paginate, type Page, type PageArgs } from './pagination.js';

const MAX_NAME_LENGTH = 200;

/** Albums and their images: creation, listing, deletion with file clean-up. */
export class AlbumService {
  constructor(
    private readonly albums: AlbumRepository,
    private readonly images: ImageRepository,
    private readonly photos: PhotoStore,
    private readonly maxPage: number,
  ) {}

  async create(name: string): Promise<AlbumRow> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(`album name must be 1 to ${MAX_NAME_LENGTH} characters`, { argument: 'name' });
    }
    return this.albums.create(trimmed);
  }

  async get(id: number): Promise<AlbumRow> {
    const album = await this.albums.findById(id);
    if (!album) throw new NotFoundError('album', String(id));
    return album;
  }

  find(id: number): Promise<AlbumRow | undefined> {
    return this.albums.findById(id);
  }

  list(args: PageArgs): Promise<Page<AlbumRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.albums.listAfter(after, limit));
  }

  stats(id: number): Promise<AlbumStats> {
    return this.albums.stats(id);
  }

  listImages(albumId: number, args: PageArgs): Promise<Page<ImageRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.images.listByAlbumAfter(albumId, after, limit));
  }

  /** Images by id, in the order asked (undefined where missing); for request-scoped batch loading. */
  async imagesByIds(ids: readonly number[]): Promise<(ImageRow | undefined)[]> {
    const rows = await this.images.findByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  async getImage(id: number): Promise<ImageRow> {
    const image = await this.images.findById(id);
    if (!image) throw new NotFoundError('image', String(id));
    return image;
  }

  /**
   * The stored photo of an image, for `GET /photos/<id>-<key>.<ext>`. The key
   * (a prefix of the content hash) must match, so URLs cannot be enumerated by id.
   */
  async readPhoto(id: number, key: string): Promise<{ bytes: Buffer; format: string }> {
    const image = await this.images.findById(id);
    if (!image || !image.sha256.startsWith(key)) throw new NotFoundError('photo', String(id));
    return { bytes: await this.photos.read(image.sha256, image.format), format: image.format };
  }

  /** Deletes an album, its images and faces; photo files no other album uses are removed after the commit. */
  async delete(id: number): Promise<void> {
    const files = await this.images.filesOfAlbum(id);
    if (!(await this.albums.delete(id))) throw new NotFoundError('album', String(id));
    await this.releaseFiles(files);
  }

  async deleteImage(id: number): Promise<void> {
    const deleted = await this.images.delete(id);
    if (!deleted) throw new NotFoundError('image', String(id));
    await this.releaseFiles([deleted]);
  }

  /** Removes photo files that no image row references any more. */
  private async releaseFiles(files: { sha256: string; format: string }[]): Promise<void> {
    for (const file of files) {
      if ((await this.images.countBySha(file.sha256)) === 0) await this.photos.remove(file.sha256, file.format);
    }
  }
}
