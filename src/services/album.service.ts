import type { AlbumRow, ImageRow } from '../db/tables.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { AlbumRepository, AlbumStats } from '../repositories/album.repository.js';
import type { ImageRepository } from '../repositories/image.repository.js';
import type { PhotoStore } from '../repositories/photo-store.js';
import { needsRendition } from '../vision/browser-rendition.js';
import type { OwnerAccess } from './owner-access.js';
import { readPhotoFrame, writeXmpSidecar } from '../metadata/xmp.js';
import { RENDITION_VERSION, type PhotoRenditions } from './photo-renditions.js';
import { checkPageSize, paginate, type Page, type PageArgs } from './pagination.js';
import { decodeTakenAtCursor, encodeTakenAtCursor } from './taken-at-cursor.js';
import type { UrlSigner } from './url-signer.js';

/** Path prefix of the photo route (`src/server/photo-route.ts`). */
export const PHOTO_PATH = '/photos';

const MAX_NAME_LENGTH = 200;

/** How an album's images are listed: as they were added, or by when they were taken. */
export type ImageOrder = 'ADDED' | 'TAKEN_AT';

/**
 * Albums and their images: creation, listing, deletion with file clean-up.
 * Every method takes the caller's owner id first; another owner's ids are NOT_FOUND.
 */
export interface AlbumServiceDeps {
  access: OwnerAccess;
  albums: AlbumRepository;
  images: ImageRepository;
  photos: PhotoStore;
  /** The photo files as stored and as browsers can show them (HEIC, TIFF, RAW renditions). */
  renditions: PhotoRenditions;
  signer: UrlSigner;
  maxPage: number;
}

export class AlbumService {
  private readonly access: OwnerAccess;
  private readonly albums: AlbumRepository;
  private readonly images: ImageRepository;
  private readonly photos: PhotoStore;
  private readonly renditions: PhotoRenditions;
  private readonly signer: UrlSigner;
  private readonly maxPage: number;

  constructor(deps: AlbumServiceDeps) {
    this.access = deps.access;
    this.albums = deps.albums;
    this.images = deps.images;
    this.photos = deps.photos;
    this.renditions = deps.renditions;
    this.signer = deps.signer;
    this.maxPage = deps.maxPage;
  }

  async create(ownerId: number, name: string): Promise<AlbumRow> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(`album name must be 1 to ${MAX_NAME_LENGTH} characters`, { argument: 'name' });
    }
    return this.albums.create(ownerId, trimmed);
  }

  async get(ownerId: number, id: number): Promise<AlbumRow> {
    const album = await this.albums.findById(ownerId, id);
    if (!album) throw new NotFoundError('album', String(id));
    return album;
  }

  find(ownerId: number, id: number): Promise<AlbumRow | undefined> {
    return this.albums.findById(ownerId, id);
  }

  list(ownerId: number, args: PageArgs): Promise<Page<AlbumRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.albums.listAfter(ownerId, after, limit));
  }

  async stats(ownerId: number, id: number): Promise<AlbumStats> {
    await this.access.require(ownerId, 'album', id);
    return this.albums.stats(id);
  }

  /**
   * Images of an album: in the order they were added,
   * or by when they were taken (the undated last, each kept in order by id).
   */
  async listImages(ownerId: number, albumId: number, args: PageArgs, order: ImageOrder = 'ADDED'): Promise<Page<ImageRow>> {
    await this.access.require(ownerId, 'album', albumId);
    if (order === 'ADDED') return paginate(args, this.maxPage, (after, limit) => this.images.listByAlbumAfter(albumId, after, limit));
    const size = checkPageSize(args.first, this.maxPage);
    const rows = await this.images.listByAlbumTakenAfter(albumId, decodeTakenAtCursor(args.after), size + 1);
    const nodes = rows.slice(0, size);
    const last = nodes[nodes.length - 1];
    return {
      nodes,
      hasNextPage: rows.length > size,
      endCursor: last ? encodeTakenAtCursor(last) : null,
      cursorOf: encodeTakenAtCursor,
    };
  }

  /** Images by id, in the order asked (undefined where missing); for request-scoped batch loading. */
  async imagesByIds(ownerId: number, ids: readonly number[]): Promise<(ImageRow | undefined)[]> {
    const rows = await this.images.findByIds(ownerId, ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  async getImage(ownerId: number, id: number): Promise<ImageRow> {
    const image = await this.images.findById(ownerId, id);
    if (!image) throw new NotFoundError('image', String(id));
    return image;
  }

  /**
   * The URL a browser shows the image by: the stored photo when browsers display its format (JPEG, PNG, WebP,
   * GIF, AVIF), else its JPEG rendition, `/photos/<id>-<signature>.jpg` (HEIC, TIFF, RAW), made on first request.
   */
  photoUrl(ownerId: number, image: Pick<ImageRow, 'id' | 'sha256' | 'format'>): string {
    if (!needsRendition(image.format)) return this.originalUrl(ownerId, image);
    return `${PHOTO_PATH}/${image.id}-${this.renditionSignature(ownerId, image)}.jpg`;
  }

  /** The URL of an image's stored photo, `/photos/<id>-<signature>`, signed for its owner (see UrlSigner). */
  originalUrl(ownerId: number, image: Pick<ImageRow, 'id' | 'sha256'>): string {
    return `${PHOTO_PATH}/${image.id}-${this.signer.sign('photo', ownerId, image.id, image.sha256)}`;
  }

  /**
   * The owner's stored photo of an image, for `GET /photos/<id>-<signature>`.
   * The signature binds the image id, its bytes and its owner to this
   * installation's secret: a URL can be neither enumerated by id nor forged.
   */
  async readPhoto(ownerId: number, id: number, signature: string): Promise<{ bytes: Buffer; format: string }> {
    const image = await this.images.findById(ownerId, id);
    if (!image || !this.signer.verify(signature, 'photo', ownerId, image.id, image.sha256)) {
      throw new NotFoundError('photo', String(id));
    }
    return { bytes: await this.readOriginal(image), format: image.format };
  }

  /**
   * The JPEG rendition of an image, for `GET /photos/<id>-<signature>.jpg`: read when made before, else made
   * now from the stored photo in an analysis thread (the decoding analysis used, so HEIC and RAW previews
   * too) and kept. INSUFFICIENT_STORAGE when it cannot be kept.
   */
  async readRendition(ownerId: number, id: number, signature: string): Promise<Buffer> {
    const image = await this.images.findById(ownerId, id);
    if (
      !image ||
      !needsRendition(image.format) ||
      !this.signer.verify(signature, 'rendition', RENDITION_VERSION, ownerId, image.id, image.sha256)
    ) {
      throw new NotFoundError('photo', String(id));
    }
    return this.renditions.rendition(image);
  }

  /** The stored bytes of an image's photo (through PhotoRenditions: NOT_FOUND when the file is gone). */
  private readOriginal(image: Pick<ImageRow, 'id' | 'sha256' | 'format' | 'source_kind' | 'source_path'>): Promise<Buffer> {
    return this.renditions.original(image);
  }

  private renditionSignature(ownerId: number, image: Pick<ImageRow, 'id' | 'sha256'>): string {
    return this.signer.sign('rendition', RENDITION_VERSION, ownerId, image.id, image.sha256);
  }

  /**
   * An XMP sidecar naming the image's faces (MWG regions, for digiKam,
   * Lightroom and the like), or null when no face of it has a named person:
   * an empty packet put beside a photo could clear names another tool holds.
   * Regions are in the stored file's pixels, as MWG says (metadata/xmp.ts).
   */
  async xmpSidecar(ownerId: number, imageId: number): Promise<string | null> {
    const image = await this.images.findById(ownerId, imageId);
    if (!image) throw new NotFoundError('image', String(imageId));
    const named = await this.images.namedFaces(imageId);
    if (named.length === 0) return null;
    const frame = await readPhotoFrame(await this.readOriginal(image));
    const regions = named.map(({ name, box }) => ({
      name,
      box: { x: box.x / image.width, y: box.y / image.height, width: box.width / image.width, height: box.height / image.height },
    }));
    return writeXmpSidecar(regions, frame);
  }

  /** Deletes an album, its images and faces; photo files no other album uses are removed after the commit. */
  async delete(ownerId: number, id: number): Promise<void> {
    await this.access.require(ownerId, 'album', id);
    const files = await this.images.filesOfAlbum(id);
    if (!(await this.albums.delete(ownerId, id))) throw new NotFoundError('album', String(id));
    await this.releaseFiles(files);
  }

  async deleteImage(ownerId: number, id: number): Promise<void> {
    const deleted = await this.images.delete(ownerId, id);
    if (!deleted) throw new NotFoundError('image', String(id));
    await this.releaseFiles([deleted]);
  }

  /**
   * Deletes images for work outside any request (a watched folder's photos gone, an older reading of a changed
   * one): the same path as `deleteImage` — faces go, their people are refreshed, files and renditions no image
   * needs any more are removed.
   */
  async removeImages(ids: readonly number[]): Promise<number> {
    const deleted = await this.images.deleteMany(ids);
    await this.releaseFiles(deleted);
    return deleted.length;
  }

  /** Removes photo files that no image row references any more. */
  private async releaseFiles(files: { sha256: string; format: string }[]): Promise<void> {
    for (const file of files) {
      if ((await this.images.countBySha(file.sha256)) === 0) {
        await this.photos.remove(file.sha256, file.format);
        await this.renditions.remove(file.sha256);
      }
    }
  }
}
