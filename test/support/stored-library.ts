import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/tables.js';
import { EMBEDDING_DIMENSIONS, toVectorText } from '../../src/db/vector.js';

const PAGE = 5_000;

/**
 * Stores synthetic faces the way ingestion leaves them (one image row per photo, one face row per
 * face, owner and album denormalised), in pages of multi-row statements: a million faces load in
 * minutes where one INSERT a photo would take an hour. Returns the face ids in the order of `rows`.
 */
export async function storeSyntheticFaces(
  db: Kysely<DB>,
  target: { ownerId: number; albumId: number },
  embeddings: Float32Array,
  /** Face indices into `embeddings` to store, and the photo of each (faces of one photo share it). */
  rows: ArrayLike<number>,
  photoOf: ArrayLike<number>,
): Promise<number[]> {
  const dim = EMBEDDING_DIMENSIONS;
  // One image row per distinct photo, made by the database; a photo stored by an earlier call is found again.
  const photos = [...new Set(Array.from(rows, (f) => photoOf[f]))];
  const imageIdOf = new Map<number, number>();
  for (let i = 0; i < photos.length; i += PAGE * 4) {
    const page = photos.slice(i, i + PAGE * 4);
    const result = await sql<{ id: number; photo: number }>`
      INSERT INTO images (album_id, sha256, file_name, format, width, height, byte_size)
      SELECT ${target.albumId}, lpad(to_hex(${target.albumId}::bigint * 100000000 + p), 64, '0'), p || '.jpg', 'jpeg', 1000, 1000, 1
      FROM unnest(${page}::bigint[]) AS t(p)
      ON CONFLICT (album_id, sha256) DO UPDATE SET byte_size = EXCLUDED.byte_size
      RETURNING id, split_part(file_name, '.', 1)::bigint AS photo`.execute(db);
    for (const r of result.rows) imageIdOf.set(Number(r.photo), Number(r.id));
  }
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += PAGE) {
    const end = Math.min(rows.length, i + PAGE);
    const images: number[] = [];
    const vectors: string[] = [];
    for (let r = i; r < end; r++) {
      const f = rows[r];
      images.push(imageIdOf.get(photoOf[f])!);
      vectors.push(toVectorText(embeddings.subarray(f * dim, (f + 1) * dim)));
    }
    // WITH ORDINALITY + ORDER BY: RETURNING then lists ids in the order of `rows`.
    const result = await sql<{ id: number }>`
      INSERT INTO faces (image_id, album_id, owner_id, box_x, box_y, box_width, box_height, score, landmarks, embedding, model, quality)
      SELECT i, ${target.albumId}, ${target.ownerId}, 0, 0, 120, 120, 0.99, '[]', e::vector, 'synthetic', 0.9
      FROM unnest(${images}::bigint[], ${vectors}::text[]) WITH ORDINALITY AS t(i, e, o) ORDER BY o
      RETURNING id`.execute(db);
    for (const r of result.rows) ids.push(Number(r.id));
  }
  return ids;
}

/** Top ten of each query among the stored faces, itself excluded, by brute force (rows of `stored`). */
export function exactTopTen(embeddings: Float32Array, stored: Int32Array, picks: number[]): number[][] {
  const dim = EMBEDDING_DIMENSIONS;
  return picks.map((pick) => {
    const q = stored[pick] * dim;
    const best = new Float64Array(10).fill(Number.POSITIVE_INFINITY);
    const rows = new Int32Array(10).fill(-1);
    for (let r = 0; r < stored.length; r++) {
      if (r === pick) continue;
      const o = stored[r] * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += embeddings[q + d] * embeddings[o + d];
      const distance = 1 - s;
      if (distance >= best[9]) continue;
      let k = 9;
      while (k > 0 && best[k - 1] > distance) {
        best[k] = best[k - 1];
        rows[k] = rows[k - 1];
        k--;
      }
      best[k] = distance;
      rows[k] = r;
    }
    return Array.from(rows);
  });
}

/**
 * Asks `similar` (the API's query: a stored face's ten nearest) for each pick in turn; returns each
 * call's milliseconds and recall@10 against `truths` (rows of {@link exactTopTen}, mapped by `ids`).
 */
export async function timeSimilar(
  similar: (faceId: number) => Promise<{ face: { id: number } }[]>,
  ids: readonly number[],
  picks: readonly number[],
  truths: readonly number[][],
): Promise<{ ms: number[]; recallAt10: number }> {
  const ms: number[] = [];
  let hits = 0;
  for (const [q, i] of picks.entries()) {
    const started = performance.now();
    const found = await similar(ids[i]);
    ms.push(performance.now() - started);
    const truth = new Set(truths[q].map((r) => ids[r]));
    hits += found.filter((f) => truth.has(f.face.id)).length;
  }
  return { ms, recallAt10: hits / (picks.length * 10) };
}
