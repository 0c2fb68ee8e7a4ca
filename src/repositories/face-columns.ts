import type { UpdateObject } from 'kysely';
import type { DB, FaceRow, FaceTable } from '../db/tables.js';
import { toVectorSql } from '../db/vector.js';
import type { Box, FaceSource, Point } from '../vision/types.js';

/**
 * The one place a face is turned into `faces` columns and back. Every write path
 * (ingest's insert, a face drawn by hand, a re-encode's update) goes through
 * `measuredColumns`, whose return type lists every column of `FaceTable` that is
 * not an identity column: a column added to the table fails to compile here until
 * it is written, and then every write path stores it (recipe: docs/architecture.md).
 */

/** Columns that say whose and where a face is, set once when it is inserted; the rest is what was measured. */
type IdentityColumn = 'id' | 'image_id' | 'album_id' | 'owner_id' | 'source' | 'model' | 'created_at';
export type MeasuredColumn = Exclude<keyof FaceTable, IdentityColumn>;

/** What the vision pipeline measured of one face. */
export interface FaceMeasurement {
  box: Box;
  score: number;
  landmarks: Point[];
  embedding: ArrayLike<number>;
  /** How far the embedding can be trusted, 0..1 (vision/face-quality.ts). */
  quality: number;
  /** P(male) from the age/gender net, 0..1 (clustering-config.ts `GENDER_CONFIDENCE`). */
  maleProbability: number;
}

/** A new face: what was measured, how it was found and by which model. */
export interface NewFace extends FaceMeasurement {
  model: string;
  source: FaceSource;
}

/** The columns of a `FaceRow`: everything but the embedding, which only some queries need. */
export const FACE_COLUMNS = [
  'id',
  'image_id',
  'album_id',
  'owner_id',
  'box_x',
  'box_y',
  'box_width',
  'box_height',
  'score',
  'landmarks',
  'model',
  'source',
  'quality',
  'male_probability',
  'created_at',
] as const satisfies readonly (keyof FaceRow)[];

// A column added to the table and left out of FACE_COLUMNS fails to compile here.
type Unlisted = Exclude<keyof FaceRow, (typeof FACE_COLUMNS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

/** One value for every measured column; the update type fits both the insert and the re-encode's update. */
type MeasuredValues = { [K in MeasuredColumn]-?: Exclude<UpdateObject<DB, 'faces'>[K], undefined> };

export function measuredColumns(m: FaceMeasurement): MeasuredValues {
  return {
    box_x: m.box.x,
    box_y: m.box.y,
    box_width: m.box.width,
    box_height: m.box.height,
    score: m.score,
    landmarks: JSON.stringify(m.landmarks.map((p) => [round2(p.x), round2(p.y)])),
    embedding: toVectorSql(m.embedding),
    quality: m.quality,
    male_probability: m.maleProbability,
  };
}

/** A stored face's box, in the stored photo's pixels. */
export function faceBox(row: Pick<FaceRow, 'box_x' | 'box_y' | 'box_width' | 'box_height'>): Box {
  return { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height };
}

/** Landmarks are stored to 1/100 pixel: finer is noise, and it keeps the JSON short. */
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
