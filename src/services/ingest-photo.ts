import type { ImageRow } from '../db/tables.js';
import { METADATA_VERSION, readTakenAt } from '../metadata/exif.js';
import type { InPlaceSource } from '../repositories/image.repository.js';
import { sha256Hex } from '../repositories/photo-store.js';
import type { IngestServiceDeps } from './ingest.service.js';
import type { IngestSource } from './ingest-source.js';
import { nameFacesFromXmp } from './xmp-names.js';

/** What ingesting one photo did: the image (new or already in the album) and how many faces were stored now. */
export interface PhotoOutcome {
  image: ImageRow;
  created: boolean;
  /** Faces stored with the image now (0 when it was already there). */
  faces: number;
}

/** What storing one photo uses of the ingestion service's dependencies. */
export type PhotoIngestDeps = Pick<
  IngestServiceDeps,
  'images' | 'photos' | 'analyzer' | 'imports' | 'observer' | 'removeImages' | 'minFaceSize'
>;

/**
 * Stores one photo with its faces, or returns the album's existing copy of the same bytes. With `place`,
 * the photo is indexed where it lies (nothing copied): the same bytes already indexed at a path that no
 * longer holds them are the same photo renamed or moved (its image, faces and people kept, only the path
 * changes), and an older reading of a file that changed at this path leaves the album.
 */
export async function ingestPhoto(
  deps: PhotoIngestDeps,
  albumId: number,
  source: IngestSource,
  place?: InPlaceSource,
): Promise<PhotoOutcome> {
  const { images, photos, analyzer, observer } = deps;
  const bytes = await source.read();
  const sha256 = sha256Hex(bytes);
  const existing = await images.findInAlbum(albumId, sha256);
  if (existing) {
    if (place && existing.source_kind === 'in_place') {
      const moved = existing.source_path === place.path || !(await deps.imports.stat(existing.source_path ?? ''));
      if (moved) await images.moveInPlace(existing.id, place);
      await dropStale(deps, albumId, place.path, existing.id);
    }
    observer?.photoStored(false, 0);
    return { image: existing, created: false, faces: 0 };
  }

  const analyzed = await analyzer.analyze(bytes);
  const { faces: stored, names } = await nameFacesFromXmp(bytes, analyzed, source.fileName, deps);
  const takenAt = await readTakenAt(bytes);
  // File first, rows second: a row never points at a missing file. If the rows
  // fail, the file is removed again unless another image uses the same bytes.
  if (!place) await photos.put(sha256, analyzed.format, bytes);
  let result: { image: ImageRow; created: boolean };
  try {
    result = await images.insertWithFaces(
      {
        albumId,
        sha256,
        fileName: source.fileName,
        format: analyzed.format,
        width: analyzed.width,
        height: analyzed.height,
        byteSize: bytes.length,
        takenAt,
        metadataVersion: METADATA_VERSION,
        inPlace: place,
      },
      stored.map((f) => ({ ...f, model: analyzed.model })),
      names,
    );
  } catch (err) {
    if (!place && (await images.countBySha(sha256)) === 0) await photos.remove(sha256, analyzed.format);
    throw err;
  }
  if (place) await dropStale(deps, albumId, place.path, result.image.id);
  // A concurrent delete of another album holding these bytes may have removed the file between our put and commit.
  else await photos.put(sha256, analyzed.format, bytes);
  const faces = result.created ? stored.length : 0;
  observer?.photoStored(result.created, faces);
  return { ...result, faces };
}

/** The album's older readings of a file that changed at `relPath` leave it (faces, people kept consistent). */
async function dropStale(deps: PhotoIngestDeps, albumId: number, relPath: string, keepId: number): Promise<void> {
  const stale = await deps.images.staleAtPath(albumId, relPath, keepId);
  if (stale.length === 0) return;
  const ids = stale.map((i) => i.id);
  await (deps.removeImages ? deps.removeImages(ids) : deps.images.deleteMany(ids));
}
