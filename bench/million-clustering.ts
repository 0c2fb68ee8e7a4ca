import { openDatabase } from '../src/db/database.js';
import { AlbumRepository } from '../src/repositories/album.repository.js';
import { ClusteringRepository } from '../src/repositories/clustering.repository.js';
import { ClusteringService, type ClusteringSummary } from '../src/services/clustering.service.js';
import { OwnershipRepository } from '../src/repositories/ownership.repository.js';
import { OwnerAccess } from '../src/services/owner-access.js';

export interface ClusteringChildResult {
  seconds: number;
  /** Peak resident memory of this process, the whole run included. */
  maxRssMb: number;
  summary: ClusteringSummary;
}

/**
 * One clustering run in a process of its own, for bench/million.bench.ts: `full` clusters the
 * owner's library (`clusterLibrary`), `new` places the faces of the photos holding faces from id
 * FIRST_NEW_FACE on (`placeNewFaces`, the path every ingested batch takes), `incremental` every face
 * of the album that is nobody yet (`clusterAlbum` incremental). Prints a {@link ClusteringChildResult}.
 * Usage: million-clustering.ts URL full|new|incremental OWNER ALBUM [FIRST_NEW_FACE]
 */
const [url, mode, owner, album, firstNewFace] = process.argv.slice(2);
const database = await openDatabase({ databaseUrl: url, dataDir: null });
try {
  const service = new ClusteringService({
    repository: new ClusteringRepository(database.db),
    albums: new AlbumRepository(database.db),
    access: new OwnerAccess(new OwnershipRepository(database.db)),
  });
  const imageIds =
    mode === 'new'
      ? (await database.db.selectFrom('faces').select('image_id').distinct().where('id', '>=', Number(firstNewFace)).execute()).map(
          (r) => r.image_id,
        )
      : [];
  const started = performance.now();
  const summary =
    mode === 'full'
      ? await service.clusterLibrary(Number(owner))
      : mode === 'new'
        ? await service.placeNewFaces(Number(owner), Number(album), { imageIds })
        : await service.clusterAlbum(Number(owner), Number(album), { incremental: true });
  const seconds = (performance.now() - started) / 1000;
  const result: ClusteringChildResult = { seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, summary };
  console.log(JSON.stringify(result));
} finally {
  await database.close();
}
