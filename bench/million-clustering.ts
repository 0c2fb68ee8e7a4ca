import { openDatabase } from '../src/db/database.js';
import { AlbumRepository } from '../src/repositories/album.repository.js';
import { ClusteringRepository } from '../src/repositories/clustering.repository.js';
import { ClusteringService, type ClusteringSummary } from '../src/services/clustering.service.js';

export interface ClusteringChildResult {
  seconds: number;
  /** Peak resident memory of this process, the whole run included. */
  maxRssMb: number;
  summary: ClusteringSummary;
}

/**
 * One clustering run in a process of its own, for bench/million.bench.ts: `full` clusters the
 * owner's library (`clusterLibrary`), `incremental` places the album's faces that are nobody yet, as
 * after every ingested batch. Prints a {@link ClusteringChildResult} as JSON.
 * Usage: million-clustering.ts URL full|incremental OWNER ALBUM
 */
const [url, mode, owner, album] = process.argv.slice(2);
const database = await openDatabase({ databaseUrl: url, dataDir: null });
try {
  const service = new ClusteringService(new ClusteringRepository(database.db), new AlbumRepository(database.db));
  const started = performance.now();
  const summary =
    mode === 'full'
      ? await service.clusterLibrary(Number(owner))
      : await service.clusterAlbum(Number(owner), Number(album), { incremental: true });
  const seconds = (performance.now() - started) / 1000;
  const result: ClusteringChildResult = { seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, summary };
  console.log(JSON.stringify(result));
} finally {
  await database.close();
}
