/**
 * The cosine distance below which two faces are called the same person, used by
 * `compareFaces` and clustering. Provisional until calibrated by `npm run eval`.
 */
export const DEFAULT_SAME_PERSON_THRESHOLD = 0.2;
