/**
 * Pairwise clustering quality: every pair of faces is a decision "same cluster
 * or not", scored against "same identity or not". Unlike purity it punishes both
 * merging two people and splitting one, and it does not depend on which cluster
 * is matched to which identity.
 */
export interface ClusteringMetrics {
  /** Distinct true identities among the faces. */
  identities: number;
  /** Distinct predicted clusters (people found); unassigned faces are not counted. */
  people: number;
  /** Of the pairs put in one cluster, the share that are one identity (1 when no pair was put together). */
  pairwisePrecision: number;
  /** Of the pairs that are one identity, the share put in one cluster (1 when there is no such pair). */
  pairwiseRecall: number;
  /** Harmonic mean of the two (0 when both are 0). */
  pairwiseF1: number;
}

const pairsOf = (n: number) => (n * (n - 1)) / 2;

/**
 * Scores predicted cluster ids against true labels, index by index. A predicted
 * id of `null` is a face left unassigned (no face found, or noise): it is in a
 * cluster of its own, so its same-identity pairs count as misses.
 */
export function pairwiseClusteringMetrics(
  trueLabels: readonly string[],
  predicted: readonly (string | number | null)[],
): ClusteringMetrics {
  if (trueLabels.length !== predicted.length) {
    throw new RangeError(`${trueLabels.length} labels but ${predicted.length} predictions`);
  }
  const byLabel = new Map<string, number>();
  const byCluster = new Map<string | number, number>();
  const byCell = new Map<string, number>();
  trueLabels.forEach((label, i) => {
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    const cluster = predicted[i];
    if (cluster === null) return;
    byCluster.set(cluster, (byCluster.get(cluster) ?? 0) + 1);
    const cell = JSON.stringify([label, cluster]);
    byCell.set(cell, (byCell.get(cell) ?? 0) + 1);
  });
  const sumPairs = (counts: Map<unknown, number>) => [...counts.values()].reduce((s, n) => s + pairsOf(n), 0);
  const together = sumPairs(byCluster);
  const sameIdentity = sumPairs(byLabel);
  const correct = sumPairs(byCell);
  const pairwisePrecision = together === 0 ? 1 : correct / together;
  const pairwiseRecall = sameIdentity === 0 ? 1 : correct / sameIdentity;
  const sum = pairwisePrecision + pairwiseRecall;
  return {
    identities: byLabel.size,
    people: byCluster.size,
    pairwisePrecision,
    pairwiseRecall,
    pairwiseF1: sum === 0 ? 0 : (2 * pairwisePrecision * pairwiseRecall) / sum,
  };
}
