import { closeGroupPairs } from '../clustering/close-pairs.js';
import type { FaceRow, ImageRow, PersonMergeRow, PersonRow } from '../db/tables.js';
import { EMBEDDING_DIMENSIONS } from '../db/vector.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { FaceRepository } from '../repositories/face.repository.js';
import type { PersonDismissalRepository } from '../repositories/person-dismissal.repository.js';
import type { MergeRefusal, PersonMergeRepository } from '../repositories/person-merge.repository.js';
import type { PeopleTogetherRepository } from '../repositories/people-together.repository.js';
import type { FaceAssignment, PersonRepository } from '../repositories/person.repository.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import type { OwnerAccess } from './owner-access.js';
import { checkRange, paginate, type Page, type PageArgs } from './pagination.js';

const MAX_NAME_LENGTH = 200;
/** Most people one merge may fold in. */
const MAX_MERGE = 100;
/** Most people one `peopleTogether` may name. */
const MAX_TOGETHER = 20;
/**
 * Merge suggestions reach this many times the same-person threshold (0.07 ->
 * 0.14). Pairs within the threshold are what clustering merges unless a rule
 * kept them apart; the look-alikes it left apart (a person split by age,
 * glasses, light) lie just beyond it. On lfw10 ten different people's closest
 * pairs start at 0.11 and about twenty pairs lie within 0.14, so the cut still
 * offers a few pairs to answer there, while two people farther apart than
 * twice the threshold are not worth a question.
 */
export const MERGE_SUGGESTION_REACH = 2;

/** Two people who may be one, and their average linkage. */
export interface MergeSuggestion {
  /** The one with more faces (the natural `into` of a merge). */
  a: PersonRow;
  b: PersonRow;
  /** Mean cosine distance over all pairs of their faces. */
  distance: number;
}

export interface PersonFilter {
  search?: string | null;
  includeHidden?: boolean | null;
}

/**
 * People as users manage them: listing and search, naming, hiding, merging
 * with undo, moving faces by hand, thumbnails and suggestions. Every user edit
 * is marked as such, so that re-clustering keeps it (see ClusteringService).
 * Every method takes the caller's owner id first; people, faces and merges of
 * another owner are NOT_FOUND.
 */
export interface PeopleServiceDeps {
  access: OwnerAccess;
  people: PersonRepository;
  merges: PersonMergeRepository;
  dismissals: PersonDismissalRepository;
  faces: FaceRepository;
  together: PeopleTogetherRepository;
  maxPage: number;
  /** The same-person threshold clustering cuts at. */
  threshold?: number;
}

export class PeopleService {
  private readonly access: OwnerAccess;
  private readonly people: PersonRepository;
  private readonly merges: PersonMergeRepository;
  private readonly dismissals: PersonDismissalRepository;
  private readonly faces: FaceRepository;
  private readonly together: PeopleTogetherRepository;
  private readonly maxPage: number;
  private readonly threshold: number;

  constructor(deps: PeopleServiceDeps) {
    this.access = deps.access;
    this.people = deps.people;
    this.merges = deps.merges;
    this.dismissals = deps.dismissals;
    this.faces = deps.faces;
    this.together = deps.together;
    this.maxPage = deps.maxPage;
    this.threshold = deps.threshold ?? DEFAULT_SAME_PERSON_THRESHOLD;
  }

  /** An active person (not merged away); NOT_FOUND otherwise. */
  async get(ownerId: number, id: number): Promise<PersonRow> {
    const person = await this.people.findById(ownerId, id);
    if (!person || person.merged_into_id !== null) throw new NotFoundError('person', String(id));
    return person;
  }

  async find(ownerId: number, id: number): Promise<PersonRow | undefined> {
    const person = await this.people.findById(ownerId, id);
    return person && person.merged_into_id === null ? person : undefined;
  }

  /** People by id in the order asked, merged ones included (a merge's history shows them). */
  async byIds(ownerId: number, ids: readonly number[]): Promise<(PersonRow | undefined)[]> {
    const rows = await this.people.findByIds(ownerId, ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  /** Each face's assignment in the order asked (undefined for another owner's); for request-scoped batch loading. */
  async assignmentsOf(ownerId: number, faceIds: readonly number[]): Promise<(FaceAssignment | undefined)[]> {
    const rows = await this.people.assignmentsOf([...(await this.access.owned(ownerId, 'face', faceIds))]);
    const byFace = new Map(rows.map((r) => [r.faceId, r]));
    return faceIds.map((id) => byFace.get(id));
  }

  /** Faces by id in the order asked; for request-scoped batch loading of thumbnails. */
  async facesByIds(ownerId: number, ids: readonly number[]): Promise<(FaceRow | undefined)[]> {
    const rows = await this.faces.findByIds(ownerId, ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id));
  }

  async listByAlbum(ownerId: number, albumId: number, includeHidden = false): Promise<PersonRow[]> {
    await this.access.require(ownerId, 'album', albumId);
    return this.people.listByAlbum(ownerId, albumId, includeHidden);
  }

  search(ownerId: number, filter: PersonFilter, args: PageArgs): Promise<Page<PersonRow>> {
    const name = filter.search?.trim() || undefined;
    return paginate(args, this.maxPage, (after, limit) =>
      this.people.searchAfter(ownerId, { name, includeHidden: filter.includeHidden ?? false }, after, limit),
    );
  }

  facesOf(ownerId: number, personId: number, args: PageArgs): Promise<Page<FaceRow>> {
    return paginate(args, this.maxPage, (after, limit) => this.people.facesOfPersonAfter(ownerId, personId, after, limit));
  }

  async unassignedFaces(ownerId: number, albumId: number, args: PageArgs): Promise<Page<FaceRow>> {
    await this.access.require(ownerId, 'album', albumId);
    return paginate(args, this.maxPage, (after, limit) => this.people.unassignedFacesAfter(ownerId, albumId, after, limit));
  }

  /** Names a person (null or blank takes the name away). Naming confirms its faces. */
  async rename(ownerId: number, id: number, name: string | null): Promise<PersonRow> {
    await this.get(ownerId, id);
    const trimmed = name?.trim() || null;
    if (trimmed !== null && trimmed.length > MAX_NAME_LENGTH) {
      throw new InvalidInputError(`a name is at most ${MAX_NAME_LENGTH} characters`, { argument: 'name' });
    }
    await this.people.rename(id, trimmed);
    return this.get(ownerId, id);
  }

  async setHidden(ownerId: number, id: number, hidden: boolean): Promise<PersonRow> {
    await this.get(ownerId, id);
    await this.people.setHidden(id, hidden);
    return this.get(ownerId, id);
  }

  /** Makes a face of a person its thumbnail. BAD_USER_INPUT if the face is in no person. */
  async setThumbnail(ownerId: number, faceId: number): Promise<PersonRow> {
    await this.requireFace(ownerId, faceId);
    const [assignment] = await this.people.assignmentsOf([faceId]);
    if (!assignment || assignment.personId === null) {
      throw new InvalidInputError(`face ${faceId} is in no person`, { argument: 'faceId' });
    }
    await this.people.setThumbnail(assignment.personId, faceId);
    return this.get(ownerId, assignment.personId);
  }

  /**
   * Puts a face in a person, or in nobody (null). Refused when the person
   * already has another face from the same photo: two faces in one photo are
   * two people.
   */
  async moveFace(ownerId: number, faceId: number, personId: number | null): Promise<FaceRow> {
    const face = await this.requireFace(ownerId, faceId);
    if (personId !== null) {
      await this.get(ownerId, personId);
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

  /**
   * "Not this person": takes the face out of the person for good (see
   * PersonRepository.rejectFace); for a face nobody placed yet, records only
   * that it is not this person. BAD_USER_INPUT when the face is in another
   * person (or made "nobody" by a user). Returns the face, now in no person
   * until clustering places it.
   */
  async rejectFace(ownerId: number, faceId: number, personId: number): Promise<FaceRow> {
    const face = await this.requireFace(ownerId, faceId);
    await this.get(ownerId, personId);
    const [assignment] = await this.people.assignmentsOf([faceId]);
    // A face in no person (a reviewQueue suggestion answered "not them"): only the cannot-link.
    if (assignment === undefined) {
      await this.people.recordRejection(faceId, personId);
      return face;
    }
    if (assignment.personId !== personId) {
      throw new InvalidInputError(`face ${faceId} is not in person ${personId}`, { argument: 'personId' });
    }
    await this.people.rejectFace(faceId, personId);
    return face;
  }

  /** Folds `from` into `into`; the returned merge can be undone with `undoMerge`. */
  async merge(ownerId: number, into: number, from: readonly number[]): Promise<PersonMergeRow> {
    const others = [...new Set(from)];
    if (others.length === 0) throw new InvalidInputError('from must name at least one person', { argument: 'from' });
    if (others.length > MAX_MERGE) throw new InvalidInputError(`at most ${MAX_MERGE} people per merge`, { argument: 'from' });
    if (others.includes(into)) throw new InvalidInputError('a person cannot be merged into itself', { argument: 'from' });
    return unwrap(await this.merges.merge(ownerId, into, others));
  }

  async undoMerge(ownerId: number, mergeId: number): Promise<PersonMergeRow> {
    const result = await this.merges.undo(ownerId, mergeId);
    if (!result) throw new NotFoundError('merge', String(mergeId));
    return unwrap(result);
  }

  /**
   * Pairs of the album's people that may be one person, closest first by
   * average linkage, at most MERGE_SUGGESTION_REACH times the threshold
   * apart. Hidden people, dismissed pairs, pairs with faces in one photo
   * (a merge would be refused) and pairs whose merge would hold a face taken
   * before one's birth date are left out.
   */
  async mergeSuggestions(ownerId: number, albumId: number, limit: number): Promise<MergeSuggestion[]> {
    checkRange('limit', limit, 1, this.maxPage);
    await this.access.require(ownerId, 'album', albumId);
    const people = await this.people.mergeCandidates(ownerId, albumId);
    if (people.length < 2) return [];
    const means = new Float32Array(people.length * EMBEDDING_DIMENSIONS);
    people.forEach((p, i) => means.set(p.centroid, i * EMBEDDING_DIMENSIONS));
    const pairs = closeGroupPairs(means, EMBEDDING_DIMENSIONS, this.threshold * MERGE_SUGGESTION_REACH);
    const key = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
    const dismissed = new Set((await this.dismissals.active(ownerId)).map(([a, b]) => key(a, b)));
    const out: MergeSuggestion[] = [];
    let next = 0;
    while (out.length < limit && next < pairs.length) {
      // A few more than needed at a time: some will share a photo.
      const batch: MergeSuggestion[] = [];
      while (batch.length < 2 * (limit - out.length) && next < pairs.length) {
        const { a, b, distance } = pairs[next++];
        const [x, y] = [people[a].person, people[b].person];
        if (dismissed.has(key(x.id, y.id))) continue;
        batch.push(y.face_count > x.face_count ? { a: y, b: x, distance } : { a: x, b: y, distance });
      }
      const ids = batch.map((s) => [s.a.id, s.b.id] as const);
      const clash = new Set((await this.people.pairsSharingAPhoto(ids)).map(([a, b]) => key(a, b)));
      for (const [a, b] of await this.people.pairsAcrossBirthDate(ids)) clash.add(key(a, b));
      for (const [a, b] of await this.people.pairsOfOppositeGenders(ids)) clash.add(key(a, b));
      for (const s of batch) if (out.length < limit && !clash.has(key(s.a.id, s.b.id))) out.push(s);
    }
    return out;
  }

  /**
   * "Not the same person": records the pair, which mergeSuggestions then
   * leaves out and clustering keeps apart (a cannot-link, followed through
   * merges). Returns the two people in the order asked. BAD_USER_INPUT when
   * a and b are one person.
   */
  async dismissMergeSuggestion(ownerId: number, a: number, b: number): Promise<[PersonRow, PersonRow]> {
    if (a === b) throw new InvalidInputError('a person is always the same person as itself', { argument: 'b' });
    const first = await this.get(ownerId, a);
    const second = await this.get(ownerId, b);
    await this.dismissals.dismiss(a, b);
    return [first, second];
  }

  /**
   * Sets (null clears) a person's birth date, `YYYY-MM-DD`: from then on no face of a photo taken
   * before it joins or is suggested for the person by machine (clustering, placement, suggestions,
   * reviewQueue, merge suggestions); such faces it holds by machine leave it. Moving one in by hand
   * still works. BAD_USER_INPUT for a date after today.
   */
  async setBirthDate(ownerId: number, id: number, birthDate: string | null): Promise<PersonRow> {
    await this.get(ownerId, id);
    if (birthDate !== null && birthDate > new Date().toISOString().slice(0, 10)) {
      throw new InvalidInputError(`a birth date cannot be in the future, got ${birthDate}`, { argument: 'birthDate' });
    }
    await this.people.setBirthDate(id, birthDate);
    return this.get(ownerId, id);
  }

  /**
   * Photos in which every one of these people appears, in the order they were added; with `only`,
   * photos with no face of any other person (faces in no person do not count as another person).
   * NOT_FOUND for a person not the owner's or merged away; BAD_USER_INPUT for none or too many.
   */
  async photosTogether(ownerId: number, personIds: readonly number[], only: boolean, args: PageArgs): Promise<Page<ImageRow>> {
    const ids = [...new Set(personIds)];
    if (ids.length === 0) throw new InvalidInputError('personIds must name at least one person', { argument: 'personIds' });
    if (ids.length > MAX_TOGETHER) throw new InvalidInputError(`at most ${MAX_TOGETHER} people at once`, { argument: 'personIds' });
    await this.access.require(ownerId, 'person', ...ids);
    const people = await Promise.all(ids.map((id) => this.get(ownerId, id)));
    // The person with the fewest faces first: the repository reads that person's faces, then probes the others.
    const ordered = people.sort((a, b) => a.face_count - b.face_count || a.id - b.id).map((p) => p.id);
    return paginate(args, this.maxPage, (after, limit) => this.together.imagesAfter(ordered, only, after, limit));
  }

  /** Unassigned faces nearest to the person, for quick tagging, with their mean distance to its faces. */
  async suggest(ownerId: number, personId: number, limit: number, albumId?: number): Promise<{ face: FaceRow; distance: number }[]> {
    checkRange('limit', limit, 1, this.maxPage);
    const person = await this.get(ownerId, personId);
    if (albumId !== undefined) await this.access.require(ownerId, 'album', albumId);
    if (person.face_count === 0) return [];
    return this.people.suggestions(ownerId, personId, limit, albumId);
  }

  private async requireFace(ownerId: number, faceId: number): Promise<FaceRow> {
    const face = await this.faces.findById(ownerId, faceId);
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
