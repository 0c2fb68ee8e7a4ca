import type { FaceRow, PersonRow } from '../db/tables.js';
import type { FaceRepository } from '../repositories/face.repository.js';
import type { PersonRepository } from '../repositories/person.repository.js';
import type { ReviewCandidate, ReviewQueueRepository } from '../repositories/review-queue.repository.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import type { OwnerAccess } from './owner-access.js';
import { checkRange } from './pagination.js';

/**
 * A suggestion's face lies at most this many times the same-person threshold from its person (mean
 * cosine distance to the person's faces, 0.07 -> 0.14): what clustering left out lies just beyond
 * the threshold, and farther than twice it a face is rather someone nobody has named yet.
 */
export const REVIEW_REACH = 2;
/** Faces in no person the queue looks at, newest first: bounds a call at a thousand k-NN scans. */
export const REVIEW_WINDOW = 1000;
/** Nearest faces whose people are a face's candidates (the nearest and, for the margin, the next). */
export const REVIEW_NEIGHBOURS = 20;

/** A face in no person and the person it most likely is. */
export interface FaceSuggestion {
  face: FaceRow;
  person: PersonRow;
  /** The face's mean cosine distance to the person's faces. */
  distance: number;
}

export interface ReviewQueueServiceDeps {
  access: OwnerAccess;
  queue: ReviewQueueRepository;
  faces: FaceRepository;
  people: PersonRepository;
  maxPage: number;
  threshold?: number;
}

/**
 * "Who is this?": good faces no one placed, each with the person it most likely is, the most
 * certain first. Certainty is the margin between the nearest person and the next one the face
 * could join (capped at twice the reach, which is also the margin of a face whose neighbours hold
 * one person only), then the distance: a face halfway between two look-alikes is asked last, however
 * near it is. Confirm with `moveFace`; "not them" with `rejectFaceFromPerson`, after which the pair
 * never comes back (nor does any pair the same-photo rule or a birth date rules out).
 */
export class ReviewQueueService {
  private readonly reach: number;

  constructor(private readonly deps: ReviewQueueServiceDeps) {
    this.reach = (deps.threshold ?? DEFAULT_SAME_PERSON_THRESHOLD) * REVIEW_REACH;
  }

  async reviewQueue(ownerId: number, albumId: number | undefined, limit: number): Promise<FaceSuggestion[]> {
    checkRange('limit', limit, 1, this.deps.maxPage);
    if (albumId !== undefined) await this.deps.access.require(ownerId, 'album', albumId);
    const candidates = await this.deps.queue.candidates({
      ownerId,
      albumId,
      window: REVIEW_WINDOW,
      neighbours: REVIEW_NEIGHBOURS,
    });
    const ranked = rank(candidates, this.reach).slice(0, limit);
    if (ranked.length === 0) return [];
    const faces = new Map(
      (
        await this.deps.faces.findByIds(
          ownerId,
          ranked.map((r) => r.faceId),
        )
      ).map((f) => [f.id, f]),
    );
    const people = new Map((await this.deps.people.findByIds(ownerId, [...new Set(ranked.map((r) => r.personId))])).map((p) => [p.id, p]));
    return ranked.flatMap((r) => {
      const face = faces.get(r.faceId);
      const person = people.get(r.personId);
      return face && person ? [{ face, person, distance: r.distance }] : [];
    });
  }
}

/** Each face's nearest person within `reach`, the widest margin to its next person first. */
export function rank(candidates: readonly ReviewCandidate[], reach: number): ReviewCandidate[] {
  const byFace = new Map<number, ReviewCandidate[]>();
  for (const c of candidates) {
    const list = byFace.get(c.faceId);
    if (list) list.push(c);
    else byFace.set(c.faceId, [c]);
  }
  const cap = 2 * reach;
  const out: { best: ReviewCandidate; margin: number }[] = [];
  for (const list of byFace.values()) {
    list.sort((a, b) => a.distance - b.distance || a.personId - b.personId);
    const [best, next] = list;
    if (best.distance > reach) continue;
    out.push({ best, margin: Math.min(next?.distance ?? cap, cap) - best.distance });
  }
  out.sort((a, b) => b.margin - a.margin || a.best.distance - b.best.distance || a.best.faceId - b.best.faceId);
  return out.map((o) => o.best);
}
