/**
 * Every operation the page sends, with the shapes it reads back. Kept in one
 * place so that a schema change shows up here, and so the page doubles as a
 * readable reference client of facegraph's public API.
 */
import { ApiError, request, SocketError, subscribe, upload, type UploadOptions } from './graphql-client';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface Connection<T> {
  edges: { node: T }[];
  pageInfo: PageInfo;
}

export interface AlbumSummary {
  id: string;
  name: string;
  imageCount: number;
  faceCount: number;
  createdAt: string;
}
export interface ImageFace {
  id: string;
  score: number;
  box: Box;
  thumbnail: string;
  person: { id: string; name: string | null } | null;
}
/** `url` is absent on servers without photo URLs (see hasPhotoUrls). */
export interface Photo {
  id: string;
  fileName: string;
  width: number;
  height: number;
  url?: string;
  faces: ImageFace[];
}
export interface PersonSummary {
  id: string;
  name: string | null;
  faceCount: number;
  thumbnail: string | null;
}
export interface FaceCard {
  id: string;
  box: Box;
  thumbnail: string;
  image: { id: string; fileName: string; width: number; height: number; url?: string; album: { id: string; name: string } };
  person: { id: string; name: string | null } | null;
}
export interface FaceMatch {
  distance: number;
  face: FaceCard;
}
export interface IngestItem {
  fileName: string;
  image: { id: string; faces: { id: string }[] } | null;
  error: { code: string; message: string } | null;
}
export interface ClusteringResult {
  faces: number;
  newPeople: number;
  joinedExisting: number;
  unassigned: number;
}
export interface IngestBatch {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  total: number;
  done: number;
  failed: number;
  items: IngestItem[];
}
export interface PersonDetail extends PersonSummary {
  hidden: boolean;
  /** `YYYY-MM-DD`, or null when not known. */
  birthDate: string | null;
  faces: Connection<FaceCard>;
}

/**
 * Whether the server hands out photo URLs (`Image.url`). Face thumbnails are
 * part of facegraph's API; the photo URL is newer, and a server without it
 * gets the same page with each photo drawn as its faces on a plain frame.
 * Asked once, by a query that fails validation when the field is missing.
 */
let photoUrls: Promise<boolean> | undefined;
export function hasPhotoUrls(): Promise<boolean> {
  photoUrls ??= request(`query PhotoUrlProbe { albums(first: 1) { edges { node { images(first: 1) { edges { node { url } } } } } } }`).then(
    () => true,
    (err) => {
      if (err instanceof ApiError && err.code === 'GRAPHQL_VALIDATION_FAILED') return false;
      photoUrls = undefined;
      throw err;
    },
  );
  return photoUrls;
}
const urlField = async () => ((await hasPhotoUrls()) ? 'url' : '');

const faceCard = (url: string) => `
  fragment FaceCard on Face {
    id thumbnail box { x y width height }
    image { id fileName width height ${url} album { id name } }
    person { id name }
  }`;

const PERSON_SUMMARY = `fragment PersonSummary on Person { id name faceCount thumbnail }`;

const BATCH = `
  fragment Batch on IngestBatch {
    id status total done failed
    items { fileName image { id faces { id } } error { code message } }
  }`;

export async function listAlbums(): Promise<AlbumSummary[]> {
  const out: AlbumSummary[] = [];
  let after: string | null = null;
  // Albums are few; page through all of them so the list is complete.
  for (;;) {
    const data: { albums: Connection<AlbumSummary> } = await request(
      `query Albums($after: String) { albums(first: 100, after: $after) {
         edges { node { id name imageCount faceCount createdAt } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    out.push(...data.albums.edges.map((e) => e.node));
    if (!data.albums.pageInfo.hasNextPage) return out;
    after = data.albums.pageInfo.endCursor;
  }
}

export async function createAlbum(name: string): Promise<AlbumSummary> {
  const data = await request<{ createAlbum: AlbumSummary }>(
    `mutation CreateAlbum($name: String!) { createAlbum(name: $name) { id name imageCount faceCount createdAt } }`,
    { name },
  );
  return data.createAlbum;
}

export async function getAlbum(id: string): Promise<AlbumSummary | null> {
  const data = await request<{ album: AlbumSummary | null }>(
    `query Album($id: ID!) { album(id: $id) { id name imageCount faceCount createdAt } }`,
    { id },
  );
  return data.album;
}

/** The album's people; asked apart from the album so that the photos show even if this fails. */
export async function albumPeople(id: string): Promise<PersonSummary[]> {
  const data = await request<{ album: { people: PersonSummary[] } | null }>(
    `query AlbumPeople($id: ID!) { album(id: $id) { people { ...PersonSummary } } } ${PERSON_SUMMARY}`,
    { id },
  );
  return data.album?.people ?? [];
}

export async function albumPhotos(id: string, after: string | null, first = 30): Promise<Connection<Photo>> {
  const data = await request<{ album: { images: Connection<Photo> } | null }>(
    `query AlbumPhotos($id: ID!, $first: Int, $after: String) { album(id: $id) { images(first: $first, after: $after) {
       edges { node { id fileName width height ${await urlField()} faces { id score thumbnail box { x y width height } person { id name } } } }
       pageInfo { hasNextPage endCursor } } } }`,
    { id, first, after },
  );
  return data.album?.images ?? { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
}

/** Uploads one photo as its own batch, so that progress and errors are per file. */
export async function ingestPhoto(albumId: string, file: File, options: UploadOptions): Promise<IngestBatch> {
  const data = await upload<{ ingestImages: IngestBatch }>(
    `mutation Ingest($albumId: ID!, $files: [Upload!]!) { ingestImages(albumId: $albumId, files: $files) { ...Batch } } ${BATCH}`,
    { albumId, files: [null] },
    { 'files.0': file },
    options,
  );
  return data.ingestImages;
}

/** A batch's current state; batches run as jobs and may still be QUEUED or RUNNING. */
export async function getBatch(id: string): Promise<IngestBatch | null> {
  const data = await request<{ ingestBatch: IngestBatch | null }>(`query Batch($id: ID!) { ingestBatch(id: $id) { ...Batch } } ${BATCH}`, {
    id,
  });
  return data.ingestBatch;
}

export interface AlbumEvent {
  kind: 'PHOTO_STORED' | 'PEOPLE_CHANGED';
  faceCount: number | null;
}

/**
 * Calls `onEvent` for photos stored in the album and its people changing (clustering after a batch), until
 * `signal` aborts. Live updates are an extra: when the WebSocket fails, the page simply shows what it loaded.
 */
export function followAlbum(albumId: string, onEvent: (event: AlbumEvent) => void, signal: AbortSignal): void {
  subscribe<{ albumEvents: AlbumEvent }>(
    `subscription AlbumEvents($a: ID!) { albumEvents(albumId: $a) { kind faceCount } }`,
    { a: albumId },
    (data) => onEvent(data.albumEvents),
    signal,
  ).catch(() => {});
}

const POLL_MS = 700;
const finished = (b: IngestBatch | null) => !b || (b.status !== 'QUEUED' && b.status !== 'RUNNING');

/**
 * The batch once it is DONE or FAILED (null if it is gone). Followed live
 * through the ingestBatchProgress subscription, which ends when the batch
 * does; polled with ingestBatch when the WebSocket fails. `signal` stops
 * following (the page went elsewhere): the batch is returned as it stands.
 */
export async function waitForBatch(batch: IngestBatch, signal?: AbortSignal): Promise<IngestBatch | null> {
  if (finished(batch)) return batch;
  try {
    await subscribe(
      `subscription Progress($id: ID!) { ingestBatchProgress(id: $id) { batch { status } } }`,
      { id: batch.id },
      () => {},
      signal,
    );
    return await getBatch(batch.id);
  } catch (err) {
    if (!(err instanceof SocketError)) throw err;
  }
  let current: IngestBatch | null = batch;
  while (!finished(current) && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    current = await getBatch(batch.id);
  }
  return current;
}

export async function deleteImage(id: string): Promise<void> {
  await request(`mutation DeleteImage($id: ID!) { deleteImage(id: $id) }`, { id });
}

/** Groups the album's faces into people; `minFaces` is the fewest similar faces that make a new person (server default when null). */
export async function clusterFaces(albumId: string, minFaces: number | null): Promise<ClusteringResult> {
  const data = await request<{ clusterFaces: ClusteringResult }>(
    `mutation Cluster($albumId: ID!, $minFaces: Int) { clusterFaces(albumId: $albumId, minFaces: $minFaces) { faces newPeople joinedExisting unassigned } }`,
    { albumId, minFaces },
  );
  return data.clusterFaces;
}

/** People of the whole library (not hidden), for merging when no album is in view. */
export async function listPeople(): Promise<PersonSummary[]> {
  const data = await request<{ people: Connection<PersonSummary> }>(
    `query People { people(first: 200) { edges { node { ...PersonSummary } } } } ${PERSON_SUMMARY}`,
  );
  return data.people.edges.map((e) => e.node);
}

export async function getPerson(id: string, after: string | null, first = 40): Promise<PersonDetail | null> {
  const data = await request<{ person: PersonDetail | null }>(
    `query Person($id: ID!, $first: Int, $after: String) { person(id: $id) {
       ...PersonSummary hidden birthDate
       faces(first: $first, after: $after) { edges { node { ...FaceCard } } pageInfo { hasNextPage endCursor } } } }
     ${PERSON_SUMMARY} ${faceCard(await urlField())}`,
    { id, first, after },
  );
  return data.person;
}

export async function renamePerson(id: string, name: string): Promise<void> {
  await request(`mutation Rename($id: ID!, $name: String!) { renamePerson(id: $id, name: $name) { id name } }`, { id, name });
}

/** Merges `from` into `into`; returns the merge's id, which undoMerge takes back. */
export async function mergePeople(into: string, from: string[]): Promise<string> {
  const data = await request<{ mergePeople: { id: string } }>(
    `mutation Merge($into: ID!, $from: [ID!]!) { mergePeople(into: $into, from: $from) { id } }`,
    { into, from },
  );
  return data.mergePeople.id;
}

export async function undoMerge(mergeId: string): Promise<void> {
  await request(`mutation Undo($id: ID!) { undoMerge(id: $id) { id } }`, { id: mergeId });
}

export async function moveFace(faceId: string, personId: string | null): Promise<void> {
  await request(`mutation Move($faceId: ID!, $personId: ID) { moveFace(faceId: $faceId, personId: $personId) { id } }`, {
    faceId,
    personId,
  });
}

export async function hidePerson(id: string, hidden: boolean): Promise<void> {
  await request(`mutation Hide($id: ID!, $hidden: Boolean!) { hidePerson(id: $id, hidden: $hidden) { id } }`, { id, hidden });
}

export async function getFace(id: string): Promise<FaceCard | null> {
  const data = await request<{ face: FaceCard | null }>(
    `query Face($id: ID!) { face(id: $id) { ...FaceCard } } ${faceCard(await urlField())}`,
    { id },
  );
  return data.face;
}

export async function similarFaces(faceId: string, limit = 24): Promise<FaceMatch[]> {
  const data = await request<{ similarFaces: FaceMatch[] }>(
    `query Similar($faceId: ID!, $limit: Int) { similarFaces(faceId: $faceId, limit: $limit) { distance face { ...FaceCard } } } ${faceCard(await urlField())}`,
    { faceId, limit },
  );
  return data.similarFaces;
}

export interface PhotoSearchResult {
  box: Box;
  score: number;
  matches: FaceMatch[];
}

export async function searchByPhoto(file: File, limit = 8): Promise<PhotoSearchResult[]> {
  const data = await upload<{ searchByPhoto: PhotoSearchResult[] }>(
    `query Search($file: Upload!, $limit: Int) { searchByPhoto(file: $file, limit: $limit) {
       box { x y width height } score matches { distance face { ...FaceCard } } } } ${faceCard(await urlField())}`,
    { file: null, limit },
    { file },
  );
  return data.searchByPhoto;
}

/** Deletes a face that is not one: it leaves the photo, its person and every search. */
export async function deleteFace(id: string): Promise<void> {
  await request(`mutation DeleteFace($id: ID!) { deleteFace(id: $id) }`, { id });
}

/**
 * Adds a face the detector missed, in a box drawn on the photo (photo pixels).
 * Without `force` the server refuses (BAD_USER_INPUT with a `rejection`) a box
 * where its landmark check finds no face.
 */
export async function addFace(imageId: string, box: Box, force = false): Promise<{ id: string }> {
  const data = await request<{ addFace: { id: string } }>(
    `mutation AddFace($imageId: ID!, $box: BoxInput!, $force: Boolean) { addFace(imageId: $imageId, box: $box, force: $force) { id } }`,
    { imageId, box, force },
  );
  return data.addFace;
}

/** "Not this person": the face leaves the person, and grouping never puts it back. */
export async function rejectFaceFromPerson(faceId: string, personId: string): Promise<void> {
  await request(`mutation RejectFace($faceId: ID!, $personId: ID!) { rejectFaceFromPerson(faceId: $faceId, personId: $personId) { id } }`, {
    faceId,
    personId,
  });
}

/** Two of the album's people who may be one person, and how far apart their faces are on average. */
export interface MergeSuggestion {
  a: PersonSummary;
  b: PersonSummary;
  distance: number;
}

/** The album's likeliest look-alike pairs, closest first. */
export async function mergeSuggestions(albumId: string, limit = 1): Promise<MergeSuggestion[]> {
  const data = await request<{ mergeSuggestions: MergeSuggestion[] }>(
    `query MergeSuggestions($albumId: ID!, $limit: Int) { mergeSuggestions(albumId: $albumId, limit: $limit) {
       a { ...PersonSummary } b { ...PersonSummary } distance } } ${PERSON_SUMMARY}`,
    { albumId, limit },
  );
  return data.mergeSuggestions;
}

/** "Not the same person": the pair is never suggested again, and grouping keeps their faces apart. */
export async function dismissMergeSuggestion(a: string, b: string): Promise<void> {
  await request(`mutation DismissMergeSuggestion($a: ID!, $b: ID!) { dismissMergeSuggestion(a: $a, b: $b) { id } }`, { a, b });
}

/** A face in no person and the person it most likely is ("Who is this?"). */
export interface FaceSuggestion {
  face: { id: string; thumbnail: string };
  person: PersonSummary;
  distance: number;
}

/** Faces in no person with the person each most likely is, most certain first; all albums when `albumId` is null. */
export async function reviewQueue(albumId: string | null, limit = 20): Promise<FaceSuggestion[]> {
  const data = await request<{ reviewQueue: FaceSuggestion[] }>(
    `query ReviewQueue($albumId: ID, $limit: Int) { reviewQueue(albumId: $albumId, limit: $limit) {
       face { id thumbnail } person { ...PersonSummary } distance } } ${PERSON_SUMMARY}`,
    { albumId, limit },
  );
  return data.reviewQueue;
}

/** Photos in which all these people appear (with `only`, no one else), in the order they were added. */
export async function peopleTogether(personIds: string[], only: boolean, after: string | null, first = 30): Promise<Connection<Photo>> {
  const data = await request<{ peopleTogether: Connection<Photo> }>(
    `query PeopleTogether($ids: [ID!]!, $only: Boolean, $first: Int, $after: String) {
       peopleTogether(personIds: $ids, only: $only, first: $first, after: $after) {
         edges { node { id fileName width height ${await urlField()} faces { id score thumbnail box { x y width height } person { id name } } } }
         pageInfo { hasNextPage endCursor } } }`,
    { ids: personIds, only, first, after },
  );
  return data.peopleTogether;
}

/** Sets (null clears) when a person was born: photos taken before never join or are suggested for them by machine. */
export async function setPersonBirthDate(id: string, birthDate: string | null): Promise<void> {
  await request(
    `mutation SetBirthDate($id: ID!, $birthDate: Date) { setPersonBirthDate(id: $id, birthDate: $birthDate) { id birthDate } }`,
    {
      id,
      birthDate,
    },
  );
}
