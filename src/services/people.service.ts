import type { FaceRow, PersonMergeRow, PersonRow } from '../db/tables.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { AlbumRepository } from '../repositories/album.repository.js';
import type { FaceRepository } from '../repositories/face.repository.js';
import type { MergeRefusal, PersonMergeRepository } from '../repositories/person-merge.repository.js';
import type { FaceAssignment, PersonRepository } from '../repositories/person.repository.js';
import { checkRange, paginate, type Page, type PageArgs } from './pagination.js';

const MAX_NAME_LENGTH = 200;
/** Most people one merge may fold in. */
const MAX_MERGE = 100;

export interface PersonFilter {
  search?: string | null;
  includeHidden?: boolean | null;
}

/**
 * People as users manage them: listing and search, naming, hiding, merging
 * with undo, moving faces by hand, thumbnails and suggestions. Every user edit
 * is marked as such, so that re-clustering keeps it (see ClusteringService).
 */
export class PeopleService {
  constructor(
    private readonly people: PersonRepository,
    private readonly merges: PersonMergeRepository,
    private readonly faces: FaceRepository,
    private readonly albums: AlbumRepository,
    private readonly maxPage: number,
  ) {}

  /** An active person (not merged away); NOT_FOUND otherwise. */
  async get(id: number): Promise<PersonRow> {
    const person = await this.people.findById(id);
    if (!person || person.merged_into_id !== null) throw new NotFoundError('person', String(id));
    return person;
  }

  async find(id: number): Promise<PersonRow | undefined> {
    const person = await this.people.findById(id);
    return person && person.merged_into_id === null ? person : undefined;
  }

  /** People by id in the order asked, merged ones included (a merge's history shows them). */
  async byIds(ids: readonly number[]): Promise<(PersonRow | undefined)[]> {
    const rows = await this.people.findByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  /** Each face's assignment, in the order asked; for request-scoped batch loading. */
  async assignmentsOf(faceIds: readonly number[]): Promise<(FaceAssignment | undefined)[]> {
    const rows = await this.people.assignmentsOf(faceIds);
    const byFace = new Map(rows.map((r) => [r.faceId, r]));
    return faceIds.map((id) => byFace.get(id));
  }

  /** Faces by id in the order asked; for request-scoped batch loading of thumbnails. */
  async facesByIds(ids: readonly number[]): Promise<(FaceRow | undefined)[]> {
    const rows = await this.faces.findByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  async listByAlbum(albumId: number, includeHidden = false): Promise<PersonRow[]> {
    return this.people.listByAlbum(albumId, includeHidden);
  }

  search(filter: PersonFilter, args: PageArgs): Promise<Page<PersonRow>> {
    const name = filter.search?.trim() || undefined;
    return paginate(args, this.maxPage, (after, limit) =>
      this.people.searchAfter({ name, includeHidden: filter.includeHidden ?? false }, after, limit),
    );
  }

  facesOf(personId: number, args: PageArgs): Promise<Page<FaceRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.people.facesOfPersonAfter(personId, after, limit));
  }

  async unassignedFaces(albumId: number, args: PageArgs): Promise<Page<FaceRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.people.unassignedFacesAfter(albumId, after, limit));
  }

  /** Names a person (null or blank takes the name away). Naming confirms its faces. */
  async rename(id: number, name: string | null): Promise<PersonRow> {
    await this.get(id);
    const trimmed = name?.trim() || null;
    if (trimmed !== null && trimmed.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(`a name is at most ${MAX_NAME_LENGTH} characters`, { argument: 'name' });
    }
    await this.people.rename(id, trimmed);
    return this.get(id);
  }

  async setHidden(id: number, hidden: boolean): Promise<PersonRow> {
    await this.get(id);
    await this.people.setHidden(id, hidden);
    return this.get(id);
  }

  /** Makes a face of a person its thumbnail. BAD_USER_INPUT if the face is in no person. */
  async setThumbnail(faceId: number): Promise<PersonRow> {
    await this.requireFace(faceId);
    const [assignment] = await this.people.assignmentsOf([faceId]);
    if (!assignment || assignment.personId === null) {
      throw new InvalidInputError(`face ${faceId} is in no person`, { argument: 'faceId' });
    }
    await this.people.setThumbnail(assignment.personId, faceId);
    return this.get(assignment.personId);
  }

  /**
   * Puts a face in a person, or in nobody (null). Refused when the person
   * already has another face from the same photo: two faces in one photo are
   * two people.
   */
  async moveFace(faceId: number, personId: number | null): Promise<FaceRow> {
    const face = await this.requireFace(faceId);
    if (personId !== null) {
      await this.get(personId);
      const other = await this.people.faceInSamePhoto(personId, faceId);
      if (other !== undefined) {
        throw new InvalidInputError(`person ${personId} already has face ${other} in the same photo`, {
          argument: 'personId',
          faceId: other,
          imageId: face.image_id,
        });
      }
    }
    await this.people.moveFace(faceId, personId);
    return face;
  }

  /** Folds `from` into `into`; the returned merge can be undone with `undoMerge`. */
  async merge(into: number, from: readonly number[]): Promise<PersonMergeRow> {
    const others = [...new Set(from)];
    if (others.length === 0) throw new InvalidInputError('from must name at least one person', { argument: 'from' });
    if (others.length > MAX_MERGE) throw new InvalidInputError(`at most ${MAX_MERGE} people per merge`, { argument: 'from' });
    if (others.includes(into)) throw new InvalidInputError('a person cannot be merged into itself', { argument: 'from' });
    return unwrap(await this.merges.merge(into, others));
  }

  async undoMerge(mergeId: number): Promise<PersonMergeRow> {
    const result = await this.merges.undo(mergeId);
    if (!result) throw new NotFoundError('merge', String(mergeId));
    return unwrap(result);
  }

  /** Unassigned faces nearest to the person, for quick tagging, with their mean distance to its faces. */
  async suggest(personId: number, limit: number, albumId?: number): Promise<{ face: FaceRow; distance: number }[]> {
    checkRange('limit', limit, 1, this.maxPage);
    const person = await this.get(personId);
    if (albumId !== undefined && !(await this.albums.findById(albumId))) throw new NotFoundError('album', String(albumId));
    if (person.face_count === 0) return [];
    return this.people.suggestions(personId, limit, albumId);
  }

  private async requireFace(faceId: number): Promise<FaceRow> {
    const face = await this.faces.findById(faceId);
    if (!face) throw new NotFoundError('face', String(faceId));
    return face;
  }
}

function unwrap(result: PersonMergeRow | MergeRefusal): PersonMergeRow {
  if (!('reason' in result)) return result;
  switch (result.reason) {
    case 'inactive':
      throw new NotFoundError('person', String(result.personId));
    case 'same-photo':
      throw new InvalidInputError(`these people have faces in the same photo (image ${result.imageId}), so they are different people`, {
        imageId: result.imageId,
      });
    case 'already-undone':
      throw new InvalidInputError('this merge was already undone', { argument: 'id' });
    case 'target-merged':
      throw new InvalidInputError(`the merged person was since merged into person ${result.personId}; undo that merge first`, {
        argument: 'id',
        personId: result.personId,
      });
  }
}
