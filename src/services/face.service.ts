import type { FaceRow } from '../db/tables.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { FaceDistance, FaceRepository } from '../repositories/face.repository.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import type { FaceSource } from '../vision/types.js';
import type { Box } from '../vision/types.js';
import type { FaceAnalyzer } from './face-analyzer.js';
import type { OwnerAccess } from './owner-access.js';
import { checkRange, paginate, type Page, type PageArgs } from './pagination.js';

export interface SearchOptions {
  limit?: number | null;
  maxDistance?: number | null;
  albumId?: number | null;
}

export interface PhotoFaceMatches {
  box: Box;
  score: number;
  source: FaceSource;
  matches: FaceDistance[];
}

export interface FaceComparison {
  distance: number;
  threshold: number;
  samePerson: boolean;
}

export const DEFAULT_SEARCH_LIMIT = 10;

/**
 * Faces: lookup, paging, and the similarity questions users ask of them. Every
 * method takes the caller's owner id first: another owner's faces are neither
 * found by id nor ever returned by a search.
 */
export interface FaceServiceDeps {
  access: OwnerAccess;
  faces: FaceRepository;
  analyzer: FaceAnalyzer;
  maxPage: number;
  /** The same-person threshold of `compare` (default: the calibrated one). */
  threshold?: number;
}

export class FaceService {
  readonly threshold: number;
  private readonly access: OwnerAccess;
  private readonly faces: FaceRepository;
  private readonly analyzer: FaceAnalyzer;
  private readonly maxPage: number;

  constructor(deps: FaceServiceDeps) {
    this.access = deps.access;
    this.faces = deps.faces;
    this.analyzer = deps.analyzer;
    this.maxPage = deps.maxPage;
    this.threshold = deps.threshold ?? DEFAULT_SAME_PERSON_THRESHOLD;
  }

  async get(ownerId: number, id: number): Promise<FaceRow> {
    const face = await this.faces.findById(ownerId, id);
    if (!face) throw new NotFoundError('face', String(id));
    return face;
  }

  async embedding(ownerId: number, id: number): Promise<number[]> {
    const embedding = await this.faces.embedding(ownerId, id);
    if (!embedding) throw new NotFoundError('face', String(id));
    return embedding;
  }

  /** Faces of each image in the order asked (none for another owner's); for request-scoped batch loading. */
  async facesOfImages(ownerId: number, imageIds: readonly number[]): Promise<FaceRow[][]> {
    const owned = await this.access.owned(ownerId, 'image', imageIds);
    const rows = await this.faces.listByImageIds([...owned]);
    const byImage = new Map<number, FaceRow[]>(imageIds.map((id) => [id, []]));
    for (const row of rows) byImage.get(row.image_id)?.push(row);
    return imageIds.map((id) => byImage.get(id)!);
  }

  async listByAlbum(ownerId: number, albumId: number, args: PageArgs): Promise<Page<FaceRow>> {
    await this.access.require(ownerId, 'album', albumId);
    return paginate(args, this.maxPage, (after, limit) => this.faces.listByAlbumAfter(albumId, after, limit));
  }

  /** The faces nearest to a stored face, itself excluded. */
  async similar(ownerId: number, faceId: number, options: SearchOptions): Promise<FaceDistance[]> {
    const query = await this.checkSearch(ownerId, options);
    const embedding = await this.embedding(ownerId, faceId);
    return this.faces.nearest({ ...query, embedding, excludeFaceId: faceId });
  }

  /** Detects the faces of a photo that is not stored and finds the nearest stored faces for each. */
  async searchByPhoto(ownerId: number, bytes: Uint8Array, options: SearchOptions): Promise<PhotoFaceMatches[]> {
    const query = await this.checkSearch(ownerId, options);
    const photo = await this.analyzer.analyze(bytes);
    const out: PhotoFaceMatches[] = [];
    for (const face of photo.faces) {
      out.push({
        box: face.box,
        score: face.score,
        source: face.source,
        matches: await this.faces.nearest({ ...query, embedding: face.embedding }),
      });
    }
    return out;
  }

  async compare(ownerId: number, a: number, b: number): Promise<FaceComparison> {
    await this.access.require(ownerId, 'face', a, b);
    const distance = (await this.faces.distanceBetween(a, b))!;
    return { distance, threshold: this.threshold, samePerson: distance <= this.threshold };
  }

  private async checkSearch(
    ownerId: number,
    options: SearchOptions,
  ): Promise<{ ownerId: number; limit: number; maxDistance?: number; albumId?: number }> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    checkRange('limit', limit, 1, this.maxPage);
    const maxDistance = options.maxDistance ?? undefined;
    if (maxDistance !== undefined && !(maxDistance >= 0 && maxDistance <= 2)) {
      throw new InvalidInputError(`maxDistance must be between 0 and 2 (cosine distance), got ${maxDistance}`, { argument: 'maxDistance' });
    }
    const albumId = options.albumId ?? undefined;
    if (albumId !== undefined) await this.access.require(ownerId, 'album', albumId);
    return { ownerId, limit, maxDistance, albumId };
  }
}
