import { clusterFaces, type FaceClustering } from '../clustering/cluster-faces.js';
import {
  DEFAULT_MIN_FACES,
  DEFAULT_MIN_FOUNDING_FACE_SIZE,
  DEFAULT_NEIGHBOURS,
  MAX_MIN_FACES,
  type ClusteringOptions,
} from '../clustering/clustering-config.js';
import { EMBEDDING_DIMENSIONS } from '../db/vector.js';
import { NotFoundError } from '../errors.js';
import type { AlbumRepository } from '../repositories/album.repository.js';
import type { ClusteringChanges } from '../repositories/clustering-write.js';
import type { ClusteringRepository, ClusteringScope, FreeFaces, NewPhotos, StayingPerson } from '../repositories/clustering.repository.js';
import { DEFAULT_SAME_PERSON_THRESHOLD } from '../vision/calibration.js';
import { isPoorQuality } from '../vision/face-quality.js';
import type { OwnerAccess } from './owner-access.js';
import { checkRange } from './pagination.js';

/** What a clustering run did. */
export interface ClusteringSummary {
  /** Faces the run was free to place. */
  faces: number;
  /** Of those, faces now in a person that existed before the run. */
  joinedExisting: number;
  /** Faces now in a person the run created. */
  inNewPeople: number;
  /** Faces left unassigned: too few similar faces to make a person yet. */
  unassigned: number;
  /** People created. */
  newPeople: number;
  /** Machine-made people that no longer have a face and were removed. */
  removedPeople: number;
  seconds: number;
}

export interface ClusterRequest {
  /** Recompute machine-made assignments (false: only place faces that are nobody yet). */
  incremental?: boolean;
  minFaces?: number | null;
}

/**
 * Groups faces into people (see `clusterFaces` for the algorithm and why).
 * A full run recomputes every machine-made assignment in its scope and keeps
 * every user-made one. A person a user acted on (named, hid, merged, gave a
 * face or a thumbnail) is confirmed: its faces become user-made, and it
 * anchors its faces through re-clustering; a face a user took out of every
 * person stays out. An incremental run (after
 * ingestion) only places faces that are nobody yet: into an existing person
 * when near enough, into a new person once `minFaces` of them agree, or
 * nowhere for now. Runs are serialised in this process, and their writes
 * under a database lock.
 */
export interface ClusteringServiceDeps {
  repository: ClusteringRepository;
  /** Whose album a queued run is for (runs start outside any request). */
  albums: AlbumRepository;
  access: OwnerAccess;
  options?: Partial<ClusteringOptions>;
  /** Faces smaller than this (shorter side, pixels) do not count towards a new person's `minFaces`. */
  minFoundingFaceSize?: number;
}

export class ClusteringService {
  private tail: Promise<unknown> = Promise.resolve();
  /** Albums with an incremental run queued and not yet started, with the photos it will place (null: every face nobody's yet). */
  private readonly queuedAlbums = new Map<number, { batchIds: number[]; imageIds: number[] } | null>();
  private readonly options: ClusteringOptions;
  private readonly observers = new Set<(scope: ClusteringScope, summary: ClusteringSummary) => void>();

  private readonly repository: ClusteringRepository;
  private readonly albums: AlbumRepository;
  private readonly access: OwnerAccess;
  private readonly minFoundingFaceSize: number;

  constructor(deps: ClusteringServiceDeps) {
    this.repository = deps.repository;
    this.albums = deps.albums;
    this.access = deps.access;
    this.minFoundingFaceSize = deps.minFoundingFaceSize ?? DEFAULT_MIN_FOUNDING_FACE_SIZE;
    this.options = {
      threshold: DEFAULT_SAME_PERSON_THRESHOLD,
      minFaces: DEFAULT_MIN_FACES,
      neighbours: DEFAULT_NEIGHBOURS,
      ...deps.options,
    };
  }

  get threshold(): number {
    return this.options.threshold;
  }

  async clusterAlbum(ownerId: number, albumId: number, request: ClusterRequest = {}): Promise<ClusteringSummary> {
    await this.access.require(ownerId, 'album', albumId);
    return this.run({ ownerId, albumId, mode: request.incremental ? 'incremental' : 'full' }, request.minFaces);
  }

  /** Clusters the owner's whole library. */
  async clusterLibrary(ownerId: number, request: ClusterRequest = {}): Promise<ClusteringSummary> {
    return this.run({ ownerId, albumId: null, mode: request.incremental ? 'incremental' : 'full' }, request.minFaces);
  }

  /**
   * Queues an incremental run for the album, behind any run in progress;
   * failures are logged, not thrown (the ingestion hook: a batch is stored
   * whether or not its faces find people). With `photos` (a finished batch,
   * a photo given a face by hand) the run places their faces
   * ({@link placeNewFaces}); without, every face of the album that is nobody
   * yet. One queued run per album, which gathers the photos of every call
   * until it starts: a hundred batches finishing during a long run cost one
   * run after it, not a hundred.
   */
  assignNewFacesSoon(albumId: number, photos?: Partial<NewPhotos>): void {
    const queued = this.queuedAlbums.get(albumId);
    if (queued !== undefined) {
      if (queued === null || !photos) this.queuedAlbums.set(albumId, null);
      else gather(queued, photos);
      return;
    }
    this.queuedAlbums.set(albumId, photos ? gather({ batchIds: [], imageIds: [] }, photos) : null);
    const run = this.tail.then(async () => {
      const gathered = this.queuedAlbums.get(albumId);
      this.queuedAlbums.delete(albumId);
      const ownerId = await this.albums.ownerOf(albumId);
      if (ownerId === undefined) throw new NotFoundError('album', String(albumId));
      if (gathered) return this.placeNow(ownerId, albumId, gathered);
      return this.runNow({ ownerId, albumId, mode: 'incremental' }, this.options);
    });
    this.tail = run.catch((err: unknown) => {
      // The album was deleted meanwhile: nothing to place.
      if (err instanceof NotFoundError) return;
      console.error('[people] placing new faces failed:', err instanceof Error ? err.message : err);
    });
  }

  /**
   * Places the faces of new photos, the path every ingested batch takes: an
   * incremental run over those faces and what lies near them by the k-NN index
   * (faces still nobody's, which may now reach `minFaces` with them, and the
   * people of the others, which they may join), not over the whole album.
   * At a million faces that is ~1,000 faces and people instead of ~100,000
   * unassigned faces and every person (docs/benchmarks.md, A million faces).
   */
  async placeNewFaces(ownerId: number, albumId: number, photos: Partial<NewPhotos>): Promise<ClusteringSummary> {
    await this.access.require(ownerId, 'album', albumId);
    const run = this.tail.then(() => this.placeNow(ownerId, albumId, gather({ batchIds: [], imageIds: [] }, photos)));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async placeNow(ownerId: number, albumId: number, photos: NewPhotos): Promise<ClusteringSummary> {
    const started = performance.now();
    const faces = await this.repository.unassignedFacesOf(ownerId, photos);
    // A batch of duplicates or faceless photos: nothing to place, so no run (it would take the people lock).
    if (faces.length === 0) {
      const seconds = (performance.now() - started) / 1000;
      return { faces: 0, joinedExisting: 0, inNewPeople: 0, unassigned: 0, newPeople: 0, removedPeople: 0, seconds };
    }
    const near = await this.repository.nearbyFaces(ownerId, faces, 2 * this.options.neighbours, this.options.threshold);
    const faceIds = [...new Set([...faces, ...near.faces])];
    return this.runNow({ ownerId, albumId, mode: 'incremental', faceIds, personIds: near.people }, this.options);
  }

  /** Calls `listener` after every run of this process (to announce changed people); returns the unsubscribe function. */
  observe(listener: (scope: ClusteringScope, summary: ClusteringSummary) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Resolves once every queued run has finished (before the database closes). */
  async settled(): Promise<void> {
    await this.tail;
  }

  private run(scope: ClusteringScope, minFaces: number | null | undefined): Promise<ClusteringSummary> {
    const options = { ...this.options };
    if (minFaces !== null && minFaces !== undefined) {
      checkRange('minFaces', minFaces, 1, MAX_MIN_FACES);
      options.minFaces = minFaces;
      // A caller's own minFaces is kept to the letter: no tight pairs below it.
      options.pairs = false;
    }
    const run = this.tail.then(() => this.runNow(scope, options));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runNow(scope: ClusteringScope, options: ClusteringOptions): Promise<ClusteringSummary> {
    const started = performance.now();
    const free = await this.repository.freeFaces(scope);
    const staying = await this.repository.stayingPeople(scope, free);
    const anchorOf = new Map(staying.map((p, q) => [p.personId, q]));
    const sideOf = sidesOf(await this.repository.dismissedPairs(scope.ownerId));
    const cannotJoin = free.rejected.map((ids) => ids.flatMap((id) => (anchorOf.has(id) ? [anchorOf.get(id)!] : [])));
    // A photo taken before a person's birth date is not of them: a cannot-link like a rejection.
    const indexOf = new Map(free.ids.map((id, i) => [id, i]));
    for (const { faceId, personId } of await this.repository.bornAfterPhotos(scope)) {
      const i = indexOf.get(faceId);
      const q = anchorOf.get(personId);
      if (i !== undefined && q !== undefined) cannotJoin[i].push(q);
    }
    const result = clusterFaces(
      {
        embeddings: free.embeddings,
        dim: EMBEDDING_DIMENSIONS,
        imageIds: free.imageIds,
        founders: free.sizes.map((size) => size >= this.minFoundingFaceSize),
        poor: free.qualities.map(isPoorQuality),
        maleProbability: free.maleProbabilities.map((p) => p ?? Number.NaN),
        anchors: staying.map((p) => ({
          count: p.count,
          sum: p.sum,
          imageIds: p.imageIds,
          sides: sideOf.get(p.personId),
          gender: p.gender,
        })),
        cannotJoin,
        // A face stands for the person it was in: "not the same person" keeps the two people's faces apart.
        sides: free.previous.map((id) => (id === null ? undefined : sideOf.get(id))),
      },
      options,
    );
    const newPersonOf = reuseIds(free, result.people, staying);
    const changes: ClusteringChanges = {
      ownerId: scope.ownerId,
      assign: [],
      unassign: [],
      create: [],
      touched: [],
      successors: [],
      replaceMachine: scope.mode === 'full',
    };
    const touched = new Set<number>();
    let joinedExisting = 0;
    let inNewPeople = 0;
    free.ids.forEach((faceId, i) => {
      const previous = free.previous[i];
      let target: number | null = null;
      if (result.anchorOf[i] >= 0) {
        target = staying[result.anchorOf[i]].personId;
        joinedExisting++;
      } else if (result.personOf[i] >= 0) {
        target = newPersonOf[result.personOf[i]];
        inNewPeople++;
      }
      if (target === previous) return;
      if (previous !== null) touched.add(previous);
      if (target === null) changes.unassign.push(faceId);
      else if (target >= 0) {
        changes.assign.push({ faceId, personId: target });
        touched.add(target);
      }
    });
    result.people.forEach((person, k) => {
      if (newPersonOf[k] === -1) {
        changes.create.push({ faceIds: person.faces.map((i) => free.ids[i]), thumbnailFaceId: free.ids[person.representative] });
      }
    });
    changes.touched = [...touched];
    const kept = new Set([...staying.map((p) => p.personId), ...newPersonOf.filter((id) => id >= 0)]);
    changes.successors = successorsOf(free.previous, kept, result, staying, newPersonOf);
    const created = await this.repository.apply(changes);
    const removedPeople = new Set(free.previous.filter((id): id is number => id !== null && !kept.has(id))).size;
    const summary: ClusteringSummary = {
      faces: free.ids.length,
      joinedExisting,
      inNewPeople,
      unassigned: free.ids.length - joinedExisting - inNewPeople,
      newPeople: created.length,
      removedPeople,
      seconds: (performance.now() - started) / 1000,
    };
    for (const observer of this.observers) observer(scope, summary);
    return summary;
  }
}

/**
 * For each machine-made person this run dissolves (its id not kept), the
 * person that now holds most of its faces: an existing one, or a new one by
 * its index in `create`. Its "not the same person" pairs pass to that person,
 * as they would through a merge, so a dismissal outlives re-clustering.
 */
function successorsOf(
  previous: readonly (number | null)[],
  kept: ReadonlySet<number>,
  result: FaceClustering,
  staying: readonly StayingPerson[],
  newPersonOf: readonly number[],
): ClusteringChanges['successors'] {
  const createdIndex = new Map<number, number>();
  newPersonOf.forEach((id, k) => {
    if (id === -1) createdIndex.set(k, createdIndex.size);
  });
  const votes = new Map<number, Map<string, number>>();
  previous.forEach((id, i) => {
    if (id === null || kept.has(id)) return;
    let target: string | undefined;
    if (result.anchorOf[i] >= 0) target = `p${staying[result.anchorOf[i]].personId}`;
    else if (result.personOf[i] >= 0) {
      const k = result.personOf[i];
      target = newPersonOf[k] >= 0 ? `p${newPersonOf[k]}` : `c${createdIndex.get(k)}`;
    }
    if (target === undefined) return;
    const v = votes.get(id) ?? new Map<string, number>();
    v.set(target, (v.get(target) ?? 0) + 1);
    votes.set(id, v);
  });
  return [...votes].map(([personId, v]) => {
    const best = [...v].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
    const n = Number(best.slice(1));
    return best[0] === 'p' ? { personId, to: { personId: n } } : { personId, to: { created: n } };
  });
}

/**
 * Signed cannot-link keys per person from the dismissed pairs: pair k gives
 * its first person k and its second -k (clusterFaces' `sides`).
 */
function sidesOf(pairs: readonly (readonly [number, number])[]): Map<number, number[]> {
  const sides = new Map<number, number[]>();
  const add = (person: number, key: number) => {
    const list = sides.get(person);
    if (list) list.push(key);
    else sides.set(person, [key]);
  };
  pairs.forEach(([a, b], k) => {
    add(a, k + 1);
    add(b, -(k + 1));
  });
  return sides;
}

/**
 * Gives a new group the id of the machine-made person most of whose faces it
 * holds, so that re-clustering the same faces keeps the same person ids (and
 * a client's links to them). Largest overlaps are matched first, each old id
 * once, never to a group with a face a user rejected from that person; -1
 * where a new person must be created.
 */
function reuseIds(free: FreeFaces, people: { faces: number[] }[], staying: StayingPerson[]): number[] {
  const stays = new Set(staying.map((p) => p.personId));
  const sizeOf = new Map<number, number>();
  for (const id of free.previous) if (id !== null) sizeOf.set(id, (sizeOf.get(id) ?? 0) + 1);
  const candidates: { k: number; id: number; overlap: number }[] = [];
  people.forEach((person, k) => {
    const overlap = new Map<number, number>();
    for (const i of person.faces) {
      const id = free.previous[i];
      if (id !== null && !stays.has(id)) overlap.set(id, (overlap.get(id) ?? 0) + 1);
    }
    // A group holding a face that is "not this person" never takes that person's id.
    const refused = new Set(person.faces.flatMap((i) => free.rejected[i]));
    for (const [id, count] of overlap) {
      if (refused.has(id)) continue;
      // A majority of the new group, and of the old person's faces: the same person, not a fragment of one.
      if (count * 2 > person.faces.length && count * 2 > sizeOf.get(id)!) candidates.push({ k, id, overlap: count });
    }
  });
  candidates.sort((a, b) => b.overlap - a.overlap || a.k - b.k);
  const out = people.map(() => -1);
  const used = new Set<number>();
  for (const c of candidates) {
    if (out[c.k] !== -1 || used.has(c.id)) continue;
    out[c.k] = c.id;
    used.add(c.id);
  }
  return out;
}

/** Adds `more`'s photos to `into` (each once) and returns it. */
function gather(into: { batchIds: number[]; imageIds: number[] }, more: Partial<NewPhotos>): { batchIds: number[]; imageIds: number[] } {
  into.batchIds = [...new Set([...into.batchIds, ...(more.batchIds ?? [])])];
  into.imageIds = [...new Set([...into.imageIds, ...(more.imageIds ?? [])])];
  return into;
}
