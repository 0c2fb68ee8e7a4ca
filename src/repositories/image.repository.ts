import { sql, type ExpressionBuilder, type Insertable, type Kysely, type RawBuilder } from 'kysely';
import type { DB, ImageRow } from '../db/tables.js';
import { NotFoundError } from '../errors.js';
import { faceBox, measuredColumns, type NewFace } from './face-columns.js';
import type { Box } from '../vision/types.js';
import { assignFaceByName, lockPeople, refreshPeople } from './people-write.js';

export type { NewFace } from './face-columns.js';

export interface NewImage {
  albumId: number;
  sha256: string;
  fileName: string;
  format: string;
  width: number;
  height: number;
  byteSize: number;
  /** When the photo was taken (metadata/exif.ts), null when it does not say. */
  takenAt?: Date | null;
  /** The METADATA_VERSION that read `takenAt`; without it (0) the start-up backfill reads the photo again. */
  metadataVersion?: number;
  /** Read in place, not copied into the photo store: where the file is. */
  inPlace?: InPlaceSource;
}

/** Where an in-place photo lies, as its row records it. */
export interface InPlaceSource {
  /** Relative to the import root. */
  path: string;
  /** The watched folder that found it, or null (`facegraph ingest --in-place`). */
  folderId: number | null;
  size: number;
  mtimeMs: number;
  /** The folder scan that saw it, if a scan did. */
  scan?: number | null;
}

/** Where a page by taken_at ended: the last image's taken_at (null among the undated) and id. */
export interface TakenAtKey {
  takenAt: Date | null;
  id: number;
}

/** Kysely/PostgreSQL unique-violation SQLSTATE. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The `images` table, and the one transaction that writes an image with its
 * faces. An image's owner is its album's: reads by id name the owner.
 */
export class ImageRepository {
  constructor(private readonly db: Kysely<DB>) {}

  findById(ownerId: number, id: number): Promise<ImageRow | undefined> {
    return this.db.selectFrom('images').selectAll().where('id', '=', id).where(ownedBy(ownerId)).executeTakeFirst();
  }

  /** Any owner's image, for work that runs outside a request (re-encode jobs). */
  findAnyById(id: number): Promise<ImageRow | undefined> {
    return this.db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByIds(ownerId: number, ids: readonly number[]): Promise<ImageRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('images').selectAll().where('id', 'in', ids).where(ownedBy(ownerId)).execute();
  }

  findInAlbum(albumId: number, sha256: string): Promise<ImageRow | undefined> {
    return this.db.selectFrom('images').selectAll().where('album_id', '=', albumId).where('sha256', '=', sha256).executeTakeFirst();
  }

  listByAlbumAfter(albumId: number, afterId: number, limit: number): Promise<ImageRow[]> {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('album_id', '=', albumId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * An album's images by when they were taken, then id; the undated last, by
   * id. Keyset paging after `after` through images_album_taken_at_idx: the
   * dated rows are one index range, the undated another, so a page is at most
   * two range scans however deep it is.
   */
  async listByAlbumTakenAfter(albumId: number, after: TakenAtKey | null, limit: number): Promise<ImageRow[]> {
    const inAlbum = this.db.selectFrom('images').selectAll().where('album_id', '=', albumId);
    const dated =
      after?.takenAt === null
        ? []
        : await inAlbum
            .where('taken_at', 'is not', null)
            .$if(after !== null, (q) => q.where((eb) => eb(eb.refTuple('taken_at', 'id'), '>', eb.tuple(after!.takenAt, after!.id))))
            .orderBy('taken_at')
            .orderBy('id')
            .limit(limit)
            .execute();
    if (dated.length === limit) return dated;
    // Ordered by taken_at too (all NULL): the index's own order, or the planner walks the primary key and filters.
    const undated = await inAlbum
      .where('taken_at', 'is', null)
      .where('id', '>', after?.takenAt === null ? after.id : 0)
      .orderBy('taken_at')
      .orderBy('id')
      .limit(limit - dated.length)
      .execute();
    return [...dated, ...undated];
  }

  /** Images whose metadata was read by an older reading than `version` (or never), in id order after `afterId`. */
  listMetadataBefore(
    version: number,
    afterId: number,
    limit: number,
  ): Promise<Pick<ImageRow, 'id' | 'sha256' | 'format' | 'source_kind' | 'source_path'>[]> {
    return (
      this.db
        .selectFrom('images')
        .select(['id', 'sha256', 'format', 'source_kind', 'source_path'])
        // A literal, so that the planner matches images_metadata_unread_idx (metadata_version < 1) in any plan.
        .where('metadata_version', '<', sql.lit(version))
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute()
    );
  }

  /** Stores what a newer reading of the photo's metadata found; a row already at `version` or later is left alone. */
  async setMetadata(id: number, takenAt: Date | null, version: number): Promise<void> {
    await this.db
      .updateTable('images')
      .set({ taken_at: takenAt, metadata_version: version })
      .where('id', '=', id)
      .where('metadata_version', '<', version)
      .execute();
  }

  /**
   * Writes the image and all its faces in one statement (the faces' insert a
   * data-modifying WITH that reads the new image's id), so that no reader ever
   * sees an image without its faces. One statement is atomic on its own: no
   * BEGIN / COMMIT, which on embedded PGlite are two more round trips through
   * the main thread. When the same bytes were stored
   * in the album concurrently, returns the image that won (`created: false`).
   *
   * `names[i]`, when given, names face i as a user would (XMP face regions):
   * then the image, its faces and their people are written in one
   * transaction, so a retried job finds either all of it or nothing.
   */
  async insertWithFaces(
    image: NewImage,
    faces: NewFace[],
    names: readonly (string | null)[] = [],
  ): Promise<{ image: ImageRow; created: boolean }> {
    const values = {
      album_id: image.albumId,
      sha256: image.sha256,
      file_name: image.fileName,
      format: image.format,
      width: image.width,
      height: image.height,
      byte_size: image.byteSize,
      taken_at: image.takenAt ?? null,
      metadata_version: image.metadataVersion ?? 0,
      ...(image.inPlace && {
        source_kind: 'in_place' as const,
        source_path: image.inPlace.path,
        watched_folder_id: image.inPlace.folderId,
        source_size: image.inPlace.size,
        source_mtime_ms: image.inPlace.mtimeMs,
        seen_scan: image.inPlace.scan ?? null,
      }),
    };
    try {
      const row = names.some((n) => n)
        ? await this.insertNamed(values, image.albumId, faces, names)
        : faces.length === 0
          ? await this.db.insertInto('images').values(values).returningAll().executeTakeFirstOrThrow()
          : await this.db
              .with('image', (db) => db.insertInto('images').values(values).returningAll())
              .with('face', (db) =>
                db
                  .insertInto('faces')
                  .values(faces.map((f) => faceValues(sql<number>`(SELECT id FROM image)`, image.albumId, f)))
                  .returning('faces.id'),
              )
              .selectFrom('image')
              .selectAll()
              .executeTakeFirstOrThrow();
      return { image: row as ImageRow, created: true };
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        const existing = await this.findInAlbum(image.albumId, image.sha256);
        if (existing) return { image: existing, created: false };
      }
      // The watched folder that queued the photo was unwatched meanwhile: the photo is not the album's any more.
      if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION && image.inPlace?.folderId != null) {
        throw new NotFoundError('watched folder', String(image.inPlace.folderId));
      }
      throw err;
    }
  }

  private insertNamed(
    values: Insertable<DB['images']>,
    albumId: number,
    faces: NewFace[],
    names: readonly (string | null)[],
  ): Promise<ImageRow> {
    return this.db.transaction().execute(async (trx) => {
      // The people lock first, as every people write takes it: clustering never sees the faces half named.
      await lockPeople(trx);
      const row = await trx.insertInto('images').values(values).returningAll().executeTakeFirstOrThrow();
      const unnamed = faces.filter((_, i) => !names[i]);
      if (unnamed.length > 0)
        await trx
          .insertInto('faces')
          .values(unnamed.map((f) => faceValues(row.id, albumId, f)))
          .execute();
      const { owner_id: ownerId } = await trx.selectFrom('albums').select('owner_id').where('id', '=', albumId).executeTakeFirstOrThrow();
      for (const [i, face] of faces.entries()) {
        const name = names[i];
        if (!name) continue;
        const { id } = await trx
          .insertInto('faces')
          .values(faceValues(row.id, albumId, face))
          .returning('id')
          .executeTakeFirstOrThrow();
        await assignFaceByName(trx, ownerId, id, name);
      }
      return row as ImageRow;
    });
  }

  /** The image's faces whose person has a name, with that name, in face id order. */
  async namedFaces(imageId: number): Promise<{ box: Box; name: string }[]> {
    const rows = await this.db
      .selectFrom('faces')
      .innerJoin('face_people', 'face_people.face_id', 'faces.id')
      .innerJoin('people', 'people.id', 'face_people.person_id')
      .select(['faces.box_x', 'faces.box_y', 'faces.box_width', 'faces.box_height', 'people.name'])
      .where('faces.image_id', '=', imageId)
      .where('people.name', 'is not', null)
      .orderBy('faces.id')
      .execute();
    return rows.map((r) => ({ box: faceBox(r), name: r.name as string }));
  }

  /** Deletes the owner's image (its faces cascade, their people are brought up to date); returns the deleted row. */
  async delete(ownerId: number, id: number): Promise<ImageRow | undefined> {
    const owned = await this.findById(ownerId, id);
    return owned ? (await this.deleteMany([id]))[0] : undefined;
  }

  /**
   * The one way images leave: the rows go with their faces (cascade), and the people those faces were in
   * are refreshed in the same transaction (counts, centroid, thumbnail; a machine-made person left with no
   * face goes), under the people lock every people write takes. Returns the rows deleted.
   */
  deleteMany(ids: readonly number[]): Promise<ImageRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.transaction().execute(async (trx) => {
      await lockPeople(trx);
      const people = await trx
        .selectFrom('face_people')
        .innerJoin('faces', 'faces.id', 'face_people.face_id')
        .select('face_people.person_id')
        .distinct()
        .where('faces.image_id', 'in', ids)
        .where('face_people.person_id', 'is not', null)
        .execute();
      const rows = await trx.deleteFrom('images').where('id', 'in', ids).returningAll().execute();
      await refreshPeople(
        trx,
        people.map((p) => p.person_id as number),
      );
      return rows as ImageRow[];
    });
  }

  /** Points an in-place image at where its file is now (renamed or moved: same bytes, same image, faces and people). */
  async moveInPlace(id: number, place: InPlaceSource): Promise<void> {
    await this.db
      .updateTable('images')
      .set({
        source_path: place.path,
        watched_folder_id: place.folderId,
        source_size: place.size,
        source_mtime_ms: place.mtimeMs,
        seen_scan: place.scan ?? null,
        file_name: fileNameOf(place.path),
      })
      .where('id', '=', id)
      .where('source_kind', '=', 'in_place')
      .execute();
  }

  /** The album's other in-place images recorded at this path (older readings of a file that changed). */
  staleAtPath(albumId: number, path: string, keepId: number): Promise<ImageRow[]> {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('album_id', '=', albumId)
      .where('source_kind', '=', 'in_place')
      .where('source_path', '=', path)
      .where('id', '<>', keepId)
      .execute();
  }

  /** How many image rows still point at these bytes in the photo store (in any album; in-place rows have no file there). */
  async countBySha(sha256: string): Promise<number> {
    const row = await this.db
      .selectFrom('images')
      .where('sha256', '=', sha256)
      .where('source_kind', '=', 'store')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Distinct (sha256, format) of the images of an album: the files an album delete may free. */
  filesOfAlbum(albumId: number): Promise<{ sha256: string; format: string }[]> {
    return this.db
      .selectFrom('images')
      .select(['sha256', 'format'])
      .distinct()
      .where('album_id', '=', albumId)
      .where('source_kind', '=', 'store')
      .execute();
  }

  /** Every (sha256, format) referenced by some image stored in the photo store. */
  allFiles(): Promise<{ sha256: string; format: string }[]> {
    return this.db.selectFrom('images').select(['sha256', 'format']).distinct().where('source_kind', '=', 'store').execute();
  }
}

/** The `faces` row of a new face of an image; the owner is the album's. */
export function faceValues(imageId: number | RawBuilder<number>, albumId: number, f: NewFace) {
  return {
    image_id: imageId,
    album_id: albumId,
    owner_id: sql<number>`(SELECT owner_id FROM albums WHERE id = ${albumId})`,
    model: f.model,
    source: f.source,
    ...measuredColumns(f),
  };
}

/** The name an in-place image shows: the file's own name. */
export function fileNameOf(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1) || relPath;
}

/** The image's album belongs to the owner. */
function ownedBy(ownerId: number) {
  return (eb: ExpressionBuilder<DB, 'images'>) =>
    eb('images.album_id', 'in', eb.selectFrom('albums').select('albums.id').where('albums.owner_id', '=', ownerId));
}
