import type { ColumnType, Generated, Selectable } from 'kysely';
import type { FaceSource } from '../vision/types.js';

/**
 * One interface per table, gathered into `DB`. Ids are bigint identities read
 * back as JS numbers (both drivers are configured to do so); embeddings travel
 * as pgvector's text form and only `db/vector.ts` converts them.
 */
/** Whose albums, faces and people these are; owner 1, `local`, is the single user of a server without API keys. */
export interface OwnerTable {
  id: Generated<number>;
  name: string;
  created_at: ColumnType<Date, never, never>;
}

export interface ApiKeyTable {
  id: Generated<number>;
  owner_id: number;
  /** Public part of the key, `fg_<prefix>_<secret>`. */
  prefix: string;
  /** Hex SHA-256 of the secret part; the secret is never stored. */
  secret_sha256: string;
  created_at: ColumnType<Date, never, never>;
  revoked_at: ColumnType<Date | null, never, Date | null>;
}

/** Per-installation secrets, created by a migration (`url_signing`: the HMAC key of thumbnail and photo URLs). */
export interface InstanceSecretTable {
  name: string;
  value: string;
}

export interface AlbumTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  created_at: ColumnType<Date, never, never>;
}

export interface ImageTable {
  id: Generated<number>;
  album_id: number;
  /** Hex SHA-256 of the stored bytes; the photo file is content-addressed by it. */
  sha256: string;
  file_name: string;
  format: string;
  width: number;
  height: number;
  byte_size: number;
  created_at: ColumnType<Date, never, never>;
  /** When the photo was taken (EXIF DateTimeOriginal, metadata/exif.ts); null when it does not say. */
  taken_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /**
   * Which reading of the photo's metadata the row holds (METADATA_VERSION): 0 for rows stored before
   * taken_at existed, which the start-up backfill reads again (services/metadata-backfill.service.ts).
   */
  metadata_version: ColumnType<number, number | undefined, number>;
  /** Where the bytes are: copied into the photo store, or read in place at `source_path` (migration 2026-12-09T1000). */
  source_kind: ColumnType<ImageSourceKind, ImageSourceKind | undefined, ImageSourceKind>;
  /** In place: the photo's path relative to the import root; null in the store. */
  source_path: ColumnType<string | null, string | null | undefined, string | null>;
  /** The watched folder that found it (null: stored, or indexed once by `facegraph ingest --in-place`). */
  watched_folder_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** In place: the file's size and mtime when it was read, so a scan tells an unchanged file without reading it. */
  source_size: ColumnType<number | null, number | null | undefined, number | null>;
  source_mtime_ms: ColumnType<number | null, number | null | undefined, number | null>;
  /** The folder scan that last saw the file (`watched_folders.scan`): what a finished scan did not see is gone. */
  seen_scan: ColumnType<number | null, number | null | undefined, number | null>;
}

/** `images.source_kind`: copied into the photo store, or read where it lies under the import root. */
export type ImageSourceKind = 'store' | 'in_place';

/** `watched_folders.state` (the API's WatchedFolderState). */
export type WatchedFolderStateValue = 'SCANNING' | 'WATCHING' | 'PARTIAL' | 'MISSING' | 'UNREADABLE';

/** A folder under the import root whose photos an album indexes in place and keeps in step (`watchFolder`). */
export interface WatchedFolderTable {
  id: Generated<number>;
  album_id: number;
  /** Relative to the import root, `/`-separated; `.` for the root itself. */
  path: string;
  state: ColumnType<WatchedFolderStateValue, WatchedFolderStateValue | undefined, WatchedFolderStateValue>;
  /** Why the state is what it is (what was skipped, what failed); null when all is well. */
  message: ColumnType<string | null, string | null | undefined, string | null>;
  /** How many scans began: the number of the current or last one (images.seen_scan). */
  scan: ColumnType<number, number | undefined, number>;
  /** Files the current or last scan went through so far. */
  files_scanned: ColumnType<number, number | undefined, number>;
  last_scan_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The process watching the folder, until `lease_until` (renewed while it runs): one watcher a folder. */
  lease_holder: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, never, never>;
}

export interface FaceTable {
  id: Generated<number>;
  image_id: number;
  /** Denormalised from the image so that album-filtered vector search needs no join. */
  album_id: number;
  /** Denormalised from the album, for the same reason: every k-NN search filters on it. */
  owner_id: number;
  box_x: number;
  box_y: number;
  box_width: number;
  box_height: number;
  score: number;
  /** 68 points as `[[x, y], ...]` in original-photo pixels. */
  landmarks: ColumnType<number[][], string, string>;
  /** pgvector `vector(128)`, unit length. */
  embedding: string;
  /** Which networks and preprocessing made the embedding (see FacePipeline.modelId). */
  model: string;
  /** How the face was found (vision's FaceSource): by the detector, as the whole image of a tight crop, or drawn by a user. */
  source: ColumnType<FaceSource, FaceSource | undefined, FaceSource>;
  /** How far the embedding can be trusted, 0..1 (vision/face-quality.ts); null if stored before it was measured. */
  quality: ColumnType<number | null, number | null | undefined, number | null>;
  /** P(male) from face-api's age/gender net, 0..1 (clustering's gender cannot-link); null if stored before it was measured. */
  male_probability: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: ColumnType<Date, never, never>;
}

export interface IngestBatchTable {
  id: Generated<number>;
  album_id: number;
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  total: number;
  done: ColumnType<number, number | undefined, number>;
  failed: ColumnType<number, number | undefined, number>;
  created_at: ColumnType<Date, never, never>;
  finished_at: ColumnType<Date | null, never, Date | null>;
}

/** Where an item's bytes wait until a worker processes it. */
export type ItemSourceKind = 'spool' | 'import' | 'file' | 'in-place';

export interface IngestItemTable {
  batch_id: number;
  position: number;
  file_name: string;
  image_id: number | null;
  error_code: string | null;
  error_message: string | null;
  /** Null on items recorded before migration 2026-11-28T1400-jobs, and on items that failed before being kept. */
  source_kind: ItemSourceKind | null;
  source: string | null;
  recorded_at: Date | null;
}

export interface PersonTable {
  id: Generated<number>;
  owner_id: number;
  /** Null until a user names the person. */
  name: string | null;
  hidden: ColumnType<boolean, boolean | undefined, boolean>;
  thumbnail_face_id: number | null;
  thumbnail_by_user: ColumnType<boolean, boolean | undefined, boolean>;
  /** Cached from face_people by `refreshPeople` (repositories/people-write.ts). */
  face_count: ColumnType<number, number | undefined, number>;
  /** pgvector `vector(128)`: the mean of the faces' unit embeddings, so `1 - centroid·e` is e's mean distance to them. */
  centroid: string | null;
  /** Cached by `refreshPeople`: faces the age/gender net calls confidently male, and female (repositories/gender-sql.ts). */
  male_faces: ColumnType<number, number | undefined, number>;
  female_faces: ColumnType<number, number | undefined, number>;
  merged_into_id: number | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /**
   * `date`, read as `YYYY-MM-DD` (PERSON_COLUMNS selects it as text, so no driver turns it into a
   * local midnight); null when unknown. Faces of photos taken before it never join the person by machine.
   */
  birth_date: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Which person a face is. A row with `person_id` null and `assigned_by` user: "this face is nobody". */
export interface FacePersonTable {
  face_id: number;
  person_id: number | null;
  assigned_by: 'machine' | 'user';
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * "This face is not this person": a user took the face out of the person.
 * Clustering never puts the face back into it (a cannot-link, like two faces
 * of one photo); rows go with the face or the person.
 */
export interface FacePersonRejectionTable {
  face_id: number;
  person_id: number;
  created_at: ColumnType<Date, never, never>;
}

/**
 * "These two people are not the same person": mergeSuggestions leaves the
 * pair out, and clustering never puts their faces in one person. Smaller id
 * first; a person merged away since stands for the person it was merged into.
 */
export interface PersonDismissalTable {
  person_a_id: number;
  person_b_id: number;
  created_at: ColumnType<Date, never, never>;
}

export interface PersonMergeTable {
  id: Generated<number>;
  into_person_id: number;
  from_person_ids: ColumnType<number[], string, string>;
  previous: ColumnType<{ name: string | null; hidden: boolean; thumbnailFaceId: number | null; thumbnailByUser: boolean }, string, string>;
  created_at: ColumnType<Date, never, never>;
  undone_at: Date | null;
}

export interface PersonMergeFaceTable {
  merge_id: number;
  face_id: number;
  /** The person the face was in before the merge. */
  person_id: number;
  assigned_by: 'machine' | 'user';
}

export interface DB {
  owners: OwnerTable;
  api_keys: ApiKeyTable;
  instance_secrets: InstanceSecretTable;
  albums: AlbumTable;
  images: ImageTable;
  faces: FaceTable;
  ingest_batches: IngestBatchTable;
  ingest_items: IngestItemTable;
  people: PersonTable;
  face_people: FacePersonTable;
  face_person_rejections: FacePersonRejectionTable;
  person_dismissals: PersonDismissalTable;
  person_merges: PersonMergeTable;
  person_merge_faces: PersonMergeFaceTable;
  watched_folders: WatchedFolderTable;
}

export type OwnerRow = Selectable<OwnerTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type AlbumRow = Selectable<AlbumTable>;
export type ImageRow = Selectable<ImageTable>;
export type FaceRow = Omit<Selectable<FaceTable>, 'embedding'>;
export type IngestBatchRow = Selectable<IngestBatchTable>;
/** An item's outcome as the API shows it (where its bytes wait is the queue's business). */
export type IngestItemRow = Omit<Selectable<IngestItemTable>, 'source_kind' | 'source' | 'recorded_at'>;
/** A person as services see it: without the caches only queries read (centroid, gender counts). */
export type PersonRow = Omit<Selectable<PersonTable>, 'centroid' | 'male_faces' | 'female_faces'>;
export type PersonMergeRow = Selectable<PersonMergeTable>;
export type WatchedFolderRow = Selectable<WatchedFolderTable>;
