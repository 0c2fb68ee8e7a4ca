/**
 * The cosine distance at or below which two faces are called the same person:
 * the default of `compareFaces` and of people clustering.
 *
 * Valid only for the pipeline's `modelId`
 * (`.../dlib-chip150-p0.22+0.25+0.28/lm-mirror-avg`): any change to detection,
 * alignment or the encoder moves the distances, and this must be re-derived.
 *
 * How it was chosen, and what it scores on each labelled set: docs/quality.md,
 * "The same-person threshold: 0.07" (`npm run eval`, `heldOut`).
 */
export const DEFAULT_SAME_PERSON_THRESHOLD = 0.07;
