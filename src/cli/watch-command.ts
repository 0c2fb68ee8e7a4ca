import path from 'node:path';
import { loadConfig } from '../config.js';
import { createFacegraph } from '../facegraph.js';
import { LOCAL_OWNER } from '../services/api-key.service.js';
import { findAlbumByName } from './album-lookup.js';
import { GraphQLHttpClient } from './graphql-http-client.js';

export interface WatchCommandOptions {
  album: string;
  /** A running server that should watch the folder (it then does, this process exits). */
  server?: string;
  /** Stops watching (Ctrl-C). */
  signal: AbortSignal;
}

/**
 * `facegraph watch DIR --album NAME`: indexes DIR (under FACEGRAPH_IMPORT_ROOT) into the album in place and
 * keeps it in step. Embedded, this process watches the folder and analyses its photos until Ctrl-C (the
 * folder stays watched: a server started on the same data watches it from then on); with `--server`, the
 * server is asked to watch it (`watchFolder`) and keeps doing so.
 */
export async function runWatch(dir: string, options: WatchCommandOptions): Promise<number> {
  const folderPath = path.resolve(dir);
  if (options.server) return watchOnServer(folderPath, options);
  const config = loadConfig();
  const facegraph = await createFacegraph(config, { workers: Math.max(1, config.jobs.workers), watchFolders: true });
  try {
    const { albums, watch, live } = facegraph.services;
    const album = (await findAlbumByName(albums, LOCAL_OWNER.id, options.album)) ?? (await albums.create(LOCAL_OWNER.id, options.album));
    const events = await live.followAlbum(LOCAL_OWNER.id, album.id);
    const folder = await watch.watchFolder(LOCAL_OWNER.id, album.id, folderPath);
    console.error(`facegraph watch: ${folder.path} (under FACEGRAPH_IMPORT_ROOT) -> album "${album.name}" (${album.id}); Ctrl-C stops`);
    options.signal.addEventListener('abort', () => void events.return?.());
    let stored = 0;
    let lastState = '';
    for await (const event of events) {
      if (event.kind === 'photo') {
        stored++;
        if (!lastState.startsWith('SCANNING')) console.error(`facegraph watch: new photo, image ${event.imageId} (${event.faces} faces)`);
      }
      if (event.kind !== 'folder' || event.folderId !== folder.id) continue;
      const line = `${event.state} ${event.filesScanned} files${event.message ? `: ${event.message}` : ''}`;
      if (line !== lastState || event.state !== 'SCANNING') console.error(`facegraph watch: ${line} (${stored} photos new since start)`);
      lastState = line;
    }
    return 0;
  } finally {
    await facegraph.close();
  }
}

async function watchOnServer(folderPath: string, options: WatchCommandOptions): Promise<number> {
  const client = new GraphQLHttpClient(options.server!);
  try {
    type Page = { albums: { edges: { node: { id: string; name: string } }[] } };
    const found = (await client.request<Page>(`{ albums(first: 200) { edges { node { id name } } } }`)).albums.edges.find(
      (e) => e.node.name === options.album.trim(),
    );
    const albumId =
      found?.node.id ??
      (
        await client.request<{ createAlbum: { id: string } }>(`mutation($n: String!) { createAlbum(name: $n) { id } }`, {
          n: options.album,
        })
      ).createAlbum.id;
    const r = await client.request<{ watchFolder: { path: string; state: string } }>(
      `mutation($a: ID!, $p: String!) { watchFolder(albumId: $a, path: $p) { path state } }`,
      { a: albumId, p: folderPath },
    );
    console.error(`facegraph watch: the server watches ${r.watchFolder.path} for album "${options.album}" (${r.watchFolder.state})`);
    return 0;
  } finally {
    await client.close();
  }
}
