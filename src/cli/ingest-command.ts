import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, photosInFlight } from '../config.js';
import { createFacegraph } from '../facegraph.js';
import { LOCAL_OWNER } from '../services/api-key.service.js';
import type { AlbumService } from '../services/album.service.js';
import { photoContainer } from '../metadata/photo-container.js';
import { findAlbumByName } from './album-lookup.js';
import { GraphQLHttpClient } from './graphql-http-client.js';
import { ProgressReporter, type ProgressCounts } from './progress-reporter.js';

export interface IngestCommandOptions {
  album: string;
  /** A running facegraph server's URL; absent: embedded (this process opens the data folder or DATABASE_URL). */
  server?: string;
  /** Files per upload request in server mode. */
  batchSize: number;
  /** Force the live bar (true) or plain lines (false); default: whether stderr is a terminal. */
  tty?: boolean;
  /** Pace of the plain progress lines. */
  intervalMs?: number;
  /** Aborted on the first Ctrl-C: finish the current photo, then stop. */
  signal: AbortSignal;
  /** Index the photos where they lie (DIR under FACEGRAPH_IMPORT_ROOT), never copying them into the data folder. */
  inPlace?: boolean;
}

const IMAGE_EXTENSIONS = new Set([
  ...['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif'],
  ...['.dng', '.cr2', '.cr3', '.nef', '.arw', '.raf', '.orf', '.rw2', '.pef'],
]);
/** Movies a phone writes beside its photos (Live Photos' .mov): looked at, and counted as skipped when they are videos. */
const VIDEO_EXTENSIONS = new Set(['.mov', '.mp4', '.m4v', '.3gp']);

/** Exit codes: 0 all photos have an outcome (some may have failed: listed), 130 stopped by Ctrl-C. */
export async function runIngest(dir: string, options: IngestCommandOptions): Promise<number> {
  if (options.inPlace && options.server) {
    console.error(
      'facegraph ingest: --in-place works on the database this process opens; on a server, watch the folder (facegraph watch DIR --server URL)',
    );
    return 1;
  }
  const root = path.resolve(dir);
  const { photos: files, videos } = await findPhotos(root);
  if (videos.length > 0) {
    console.error(
      `facegraph ingest: skipping ${videos.length} video${videos.length > 1 ? 's' : ''} (movies, Live Photos' .mov): not photos`,
    );
  }
  if (files.length === 0) {
    console.error(`facegraph ingest: no photos under ${root} (looked for ${[...IMAGE_EXTENSIONS].join(' ')})`);
    return 1;
  }
  console.error(
    `facegraph ingest: ${files.length} photos under ${root} -> album "${options.album}"${options.server ? ` on ${options.server}` : ''}`,
  );
  return options.server ? ingestThroughServer(files, videos.length, options) : ingestEmbedded(root, files, videos.length, options);
}

/**
 * Every file with an image extension under `root`, recursively, in path order, and apart the
 * videos: files whose header (ISO-BMFF `ftyp` brand, not the extension) says movie, whatever
 * their extension among these and the video ones.
 */
export async function findPhotos(root: string): Promise<{ photos: string[]; videos: string[] }> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  const candidates = entries
    .filter(
      (e) =>
        e.isFile() &&
        (IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()) || VIDEO_EXTENSIONS.has(path.extname(e.name).toLowerCase())),
    )
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
  const photos: string[] = [];
  const videos: string[] = [];
  for (const file of candidates) {
    if (await isVideo(file)) videos.push(file);
    else if (IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase())) photos.push(file);
  }
  return { photos, videos };
}

async function isVideo(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = new Uint8Array(256);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return photoContainer(head.subarray(0, bytesRead)).kind === 'video';
  } finally {
    await handle.close();
  }
}

/**
 * This process opens the database and runs the pipeline itself, through the
 * same per-photo code as the job workers, with one more photo in flight than it
 * has analysis threads (`FACEGRAPH_ANALYZERS`; see `photosInFlight`). Photos already
 * in the album (same bytes) are recognised by their hash and skipped without
 * analysis, which is what makes a re-run after Ctrl-C resume.
 */
async function ingestEmbedded(root: string, files: string[], videos: number, options: IngestCommandOptions): Promise<number> {
  const config = loadConfig();
  const facegraph = await createFacegraph(config, { workers: 0 });
  try {
    const album = await findOrCreateAlbum(facegraph.services.albums, LOCAL_OWNER.id, options.album);
    const ingest = facegraph.services.ingest;
    let batch: Awaited<ReturnType<typeof ingest.createLocalBatch>>;
    if (options.inPlace) {
      // Paths relative to the import root, where the server reads them later (photo route, thumbnails, re-encode).
      const folder = await facegraph.services.watch.resolveFolder(root);
      batch = await ingest.createLocalBatch(
        LOCAL_OWNER.id,
        album.id,
        files.map((f) => ({
          fileName: path.relative(root, f),
          path: path.posix.join(folder.rel, path.relative(root, f).split(path.sep).join('/')),
        })),
        { inPlace: true },
      );
    } else {
      batch = await ingest.createLocalBatch(
        LOCAL_OWNER.id,
        album.id,
        files.map((f) => ({ fileName: path.relative(root, f), path: f })),
      );
    }
    const counts: ProgressCounts = { done: 0, failed: 0, faces: 0 };
    let skipped = 0;
    const failures: string[] = [];
    const reporter = new ProgressReporter(files.length, 'ingest', { tty: options.tty, intervalMs: options.intervalMs });
    const unsubscribe = ingest.onPhoto((e) => {
      if (e.batchId !== batch.id) return;
      counts.done++;
      counts.faces += e.faces;
      if (e.error) {
        counts.failed++;
        failures.push(`${e.fileName}: ${e.error.code} ${e.error.message}`);
      } else if (!e.created) skipped++;
      reporter.update(counts);
    });
    try {
      let next = 0;
      const runner = async () => {
        while (next < files.length && !options.signal.aborted) {
          const position = next++;
          await processWithRetry(
            () => ingest.processItem(batch.id, position),
            (reason) => ingest.giveUpItem(batch.id, position, reason),
          );
        }
      };
      await Promise.all(Array.from({ length: photosInFlight(config.analyzers) }, runner));
    } finally {
      unsubscribe();
    }
    if (options.signal.aborted) {
      const cancelled = await ingest.cancelBatch(batch.id, 'stopped (Ctrl-C) before this photo was processed');
      reporter.stop(
        `facegraph ingest: stopped after ${counts.done} of ${files.length} photos (${cancelled} not started). ` +
          'Run the same command again to resume: photos already stored are recognised and skipped.',
      );
      return 130;
    }
    reporter.stop(
      `facegraph ingest: ${counts.done - counts.failed - skipped} stored, ${skipped} already in the album, ${counts.failed} failed${videosSkipped(videos)}; ` +
        `${counts.faces} faces found (batch ${batch.id}, album ${album.id})`,
    );
    for (const line of failures.slice(0, 50)) console.error(`  failed: ${line}`);
    if (failures.length > 50) console.error(`  ... and ${failures.length - 50} more`);
    return 0;
  } finally {
    await facegraph.close();
  }
}

/** One photo, retried twice on unexpected errors (a database blip); then recorded as given up. */
async function processWithRetry(run: () => Promise<unknown>, giveUp: (reason: string) => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (err) {
      if (attempt >= 3) {
        await giveUp((err as Error).message);
        return;
      }
      console.error(`facegraph ingest: ${(err as Error).message}; retrying`);
      await sleep(1000 * attempt);
    }
  }
}

async function findOrCreateAlbum(albums: AlbumService, ownerId: number, name: string): Promise<{ id: number; name: string }> {
  return (await findAlbumByName(albums, ownerId, name)) ?? albums.create(ownerId, name);
}

interface RemoteBatch {
  id: string;
  status: string;
  total: number;
  done: number;
  failed: number;
}

const BATCH_FIELDS = 'id status total done failed';

/**
 * Uploads the photos in requests of `batchSize` files (two in flight, so the
 * server always has work) and follows the batches until every photo has its
 * outcome: live through `ingestBatchProgress` and `albumEvents` subscriptions,
 * or by polling `ingestBatch` once the WebSocket fails (an older server, a
 * proxy without WebSocket). The server keeps what it received even if this
 * process stops; a re-run sends everything again and the server skips what
 * it already has.
 */
async function ingestThroughServer(files: string[], videos: number, options: IngestCommandOptions): Promise<number> {
  const client = new GraphQLHttpClient(options.server!);
  try {
    return await sendAndFollow(client, files, videos, options);
  } finally {
    await client.close();
  }
}

async function sendAndFollow(client: GraphQLHttpClient, files: string[], videos: number, options: IngestCommandOptions): Promise<number> {
  const album = await findOrCreateRemoteAlbum(client, options.album);
  const baseFaces = album.faceCount;
  const batches = new Map<string, RemoteBatch>();
  const counts: ProgressCounts = { done: 0, failed: 0, faces: 0 };
  const reporter = new ProgressReporter(files.length, 'ingest', { tty: options.tty, intervalMs: options.intervalMs });
  let uploading = true;
  let uploadError: Error | undefined;

  // Live progress while the WebSocket works; polling from its first failure on.
  let live = true;
  let newFaces = 0;
  const followed = new Set<string>();
  const fallBack = (err: Error) => {
    if (live) console.error(`facegraph ingest: live progress unavailable (${err.message}); polling instead`);
    live = false;
  };
  const albumEvents = client.subscribe<{ albumEvents: { kind: string; faceCount: number | null } }>(
    `subscription($a: ID!) { albumEvents(albumId: $a) { kind faceCount } }`,
    { a: album.id },
    ({ albumEvents: e }) => (newFaces += e.kind === 'PHOTO_STORED' ? (e.faceCount ?? 0) : 0),
  );
  albumEvents.done.catch(fallBack);
  const follow = (id: string) => {
    followed.add(id);
    client
      .subscribe<{ ingestBatchProgress: { batch: RemoteBatch } }>(
        `subscription($id: ID!) { ingestBatchProgress(id: $id) { batch { ${BATCH_FIELDS} } } }`,
        { id },
        (data) => batches.set(id, data.ingestBatchProgress.batch),
      )
      .done.catch((err: Error) => {
        followed.delete(id);
        fallBack(err);
      });
  };

  const chunks: string[][] = [];
  for (let i = 0; i < files.length; i += options.batchSize) chunks.push(files.slice(i, i + options.batchSize));
  let next = 0;
  const uploader = async () => {
    while (next < chunks.length && !options.signal.aborted && !uploadError) {
      const chunk = chunks[next++];
      try {
        const r = await client.upload<{ ingestImages: RemoteBatch }>(
          `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { ${BATCH_FIELDS} } }`,
          { a: album.id },
          'f',
          chunk,
        );
        batches.set(r.ingestImages.id, r.ingestImages);
        if (live && r.ingestImages.status !== 'DONE' && r.ingestImages.status !== 'FAILED') follow(r.ingestImages.id);
      } catch (err) {
        uploadError = err as Error;
      }
    }
  };
  const uploads = Promise.all([uploader(), uploader()]).finally(() => (uploading = false));

  const refresh = async () => {
    for (const [id, b] of batches) {
      if (b.status === 'DONE' || b.status === 'FAILED' || (live && followed.has(id))) continue;
      const r = await client.request<{ ingestBatch: RemoteBatch | null }>(`query($id: ID!) { ingestBatch(id: $id) { ${BATCH_FIELDS} } }`, {
        id,
      });
      if (r.ingestBatch) batches.set(id, r.ingestBatch);
    }
    counts.done = [...batches.values()].reduce((n, b) => n + b.done + b.failed, 0);
    counts.failed = [...batches.values()].reduce((n, b) => n + b.failed, 0);
    counts.faces = live ? newFaces : (await albumFaces(client, album.id)) - baseFaces;
    reporter.update(counts);
  };

  for (;;) {
    await refresh().catch((err) => console.error(`facegraph ingest: progress query failed: ${(err as Error).message}`));
    const open = [...batches.values()].some((b) => b.status !== 'DONE' && b.status !== 'FAILED');
    if (!uploading && (!open || options.signal.aborted || uploadError)) break;
    await sleep(live ? 250 : 1000);
  }
  albumEvents.stop();
  await uploads;
  counts.faces = await albumFaces(client, album.id).then(
    (n) => n - baseFaces,
    () => counts.faces,
  );
  if (uploadError) {
    reporter.stop(`facegraph ingest: upload failed: ${uploadError.message}`);
    return 1;
  }
  if (options.signal.aborted) {
    reporter.stop(
      `facegraph ingest: stopped sending after ${counts.done} of ${files.length} photos; batches already sent go on on the server. ` +
        'Run the same command again to resume: photos already stored are skipped.',
    );
    return 130;
  }
  reporter.stop(
    `facegraph ingest: ${counts.done - counts.failed} stored or already there, ${counts.failed} failed${videosSkipped(videos)}; ${counts.faces} new faces (album ${album.id})`,
  );
  return 0;
}

/** The final line's word on videos, when there were any. */
function videosSkipped(videos: number): string {
  return videos > 0 ? `, ${videos} video${videos > 1 ? 's' : ''} skipped` : '';
}

async function albumFaces(client: GraphQLHttpClient, id: string): Promise<number> {
  const a = await client.request<{ album: { faceCount: number } }>(`query($id: ID!) { album(id: $id) { faceCount } }`, { id });
  return a.album.faceCount;
}

async function findOrCreateRemoteAlbum(client: GraphQLHttpClient, name: string): Promise<{ id: string; faceCount: number }> {
  type Page = {
    albums: {
      edges: { node: { id: string; name: string; faceCount: number } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };
  for (let after: string | null = null; ; ) {
    const r: Page = await client.request<Page>(
      `query($after: String) { albums(first: 100, after: $after) { edges { node { id name faceCount } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    const found = r.albums.edges.find((e) => e.node.name === name.trim());
    if (found) return found.node;
    if (!r.albums.pageInfo.hasNextPage) break;
    after = r.albums.pageInfo.endCursor;
  }
  const created = await client.request<{ createAlbum: { id: string } }>(`mutation($n: String!) { createAlbum(name: $n) { id } }`, {
    n: name,
  });
  return { id: created.createAlbum.id, faceCount: 0 };
}
