import type { SpreadOptions } from './average-linkage.js';
import type { AttachOptions } from './attach-leftovers.js';

/**
 * How faces are grouped into people. The threshold is the same cosine-distance
 * threshold `compareFaces` uses (`DEFAULT_SAME_PERSON_THRESHOLD`), so that two
 * lone faces end up in one person exactly when `compareFaces` calls them the
 * same person.
 */
export interface ClusteringOptions {
  /** Largest average cosine distance between two groups of faces that are merged into one person. */
  threshold: number;
  /** A new person is made only from at least this many similar faces; fewer wait, unassigned. */
  minFaces: number;
  /** Neighbours kept per face in the approximate neighbour graph. */
  neighbours: number;
  /**
   * Whether the second stage runs (cluster-faces.ts): a leftover face or small group joins the person it is
   * clearly nearest. Default true; false is average linkage alone, as the evaluation's `before`.
   */
  attach?: boolean | Partial<AttachOptions>;
  /**
   * Whether a large group takes another only when it is about as close as its own faces are to each other
   * (average-linkage.ts `SpreadOptions`). Default true; false is the plain average linkage, as the evaluation's `before`.
   */
  spread?: boolean | Partial<SpreadOptions>;
  /**
   * Whether two faces alone may make a person when they are a tight pair (see {@link TightPairOptions}). Default
   * true when `minFaces` is 3 or less; false keeps `minFaces` strict (a caller's own `minFaces` turns it off).
   */
  pairs?: boolean | Partial<TightPairOptions>;
}

/**
 * Two faces short of `minFaces` that make a person all the same: each the other's nearest face, within
 * `maxDistance`, and every other face or person either could be with (tight-pairs.ts) at least `margin` farther.
 * A person seen in two photos only is still a person to a user; a look-alike pair is ruled out by the bound and
 * the margin.
 */
export interface TightPairOptions {
  maxDistance: number;
  margin: number;
}

/**
 * Three faces make a person: two could be one lucky look-alike pair, and
 * a person of one face is what users of Immich complain of ("hundreds of
 * people with one face each").
 */
export const DEFAULT_MIN_FACES = 3;

/**
 * Ten neighbours per face. Merging only needs each person's faces to be
 * connected through pairs within the threshold, not every such pair: on
 * synthetic libraries of 25k faces, 8, 10 and 16 neighbours give the same
 * pairwise F1 (within 0.01) while 16 costs twice the time (see
 * bench/clustering.bench.ts).
 */
export const DEFAULT_NEIGHBOURS = 10;

/**
 * Faces smaller than this (shorter side of the box, in photo pixels) can join
 * a person but do not count towards the `minFaces` that make a new one. The
 * recognition network sees a 150-px chip, so a face of 30 px is upscaled five
 * times and its embedding drifts towards the "average face": on lfw10 three
 * tiny background faces of three different strangers (28-53 px) fall within
 * the threshold of each other and would make a person nobody is. PhotoPrism
 * applies the same rule (a minimum face size to found a cluster).
 */
export const DEFAULT_MIN_FOUNDING_FACE_SIZE = 60;

/** Largest `minFaces` a clustering call accepts. */
export const MAX_MIN_FACES = 1000;

/** The tight pairs' bounds (tight-pairs.ts); how they were chosen: docs/quality.md, People. */
export const TIGHT_PAIR: TightPairOptions = { maxDistance: 0.055, margin: 0.02 };

/**
 * A face counts as male (female) when face-api's age/gender net gives it a P(male) of at least this (at most
 * 1 minus this), and a group is male (female) when this fraction of its counted faces are; a male group never
 * merges with a female one. Distance cannot tell a man from a woman who look alike (insightface's pair, 0.046
 * apart); the net can. How it was chosen and what it does on every set: docs/quality.md, People.
 */
export const GENDER_CONFIDENCE = 0.85;

/** The second stage's bounds (attach-leftovers.ts); how they were chosen: docs/quality.md, People. */
export const ATTACH: AttachOptions = { maxDistance: 0.1, margin: 0.02, maxExcess: 0.03, maxFaces: 2 };

/** The first stage's spread test (average-linkage.ts); how it was chosen: docs/quality.md, People. */
export const SPREAD: SpreadOptions = { minFaces: 5, maxExcess: 0.02 };
