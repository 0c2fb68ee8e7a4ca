import { loadConfig } from '../config.js';
import { createFacegraph } from '../facegraph.js';
import { LOCAL_OWNER } from '../services/api-key.service.js';
import { findAlbumByName } from './album-lookup.js';
import { GraphQLHttpClient } from './graphql-http-client.js';

interface Match {
  distance: number;
  faceId: string;
  imageId: string;
  fileName: string;
}

/** `facegraph similar FACE_ID`: the nearest stored faces, as a table. */
export async function runSimilar(faceId: string, options: { limit: number; album?: string; server?: string }): Promise<number> {
  const matches = options.server ? await similarRemote(faceId, options) : await similarEmbedded(faceId, options);
  if (matches.length === 0) {
    console.log('no similar faces');
    return 0;
  }
  console.log(['distance', 'face', 'image', 'file'].join('\t'));
  for (const m of matches) console.log([m.distance.toFixed(4), m.faceId, m.imageId, m.fileName].join('\t'));
  return 0;
}

async function similarEmbedded(faceId: string, options: { limit: number; album?: string }): Promise<Match[]> {
  const facegraph = await createFacegraph(loadConfig(), { workers: 0 });
  try {
    const { faces, albums } = facegraph.services;
    const found = await faces.similar(LOCAL_OWNER.id, parseIntId(faceId, 'FACE_ID'), {
      limit: options.limit,
      albumId: options.album === undefined ? undefined : parseIntId(options.album, '--album'),
    });
    const images = await albums.imagesByIds(
      LOCAL_OWNER.id,
      found.map((m) => m.face.image_id),
    );
    return found.map((m, i) => ({
      distance: m.distance,
      faceId: String(m.face.id),
      imageId: String(m.face.image_id),
      fileName: images[i]?.file_name ?? '?',
    }));
  } finally {
    await facegraph.close();
  }
}

async function similarRemote(faceId: string, options: { limit: number; album?: string; server?: string }): Promise<Match[]> {
  const client = new GraphQLHttpClient(options.server!);
  const r = await client.request<{ similarFaces: { distance: number; face: { id: string; image: { id: string; fileName: string } } }[] }>(
    `query($f: ID!, $l: Int, $a: ID) { similarFaces(faceId: $f, limit: $l, albumId: $a) { distance face { id image { id fileName } } } }`,
    { f: faceId, l: options.limit, a: options.album ?? null },
  );
  return r.similarFaces.map((m) => ({
    distance: m.distance,
    faceId: m.face.id,
    imageId: m.face.image.id,
    fileName: m.face.image.fileName,
  }));
}

/**
 * `facegraph cluster --album NAME`: groups an album's faces into people with
 * the clustering service, when this build has one; until then it says so.
 */
export async function runCluster(options: { album: string; server?: string }): Promise<number> {
  if (options.server) {
    console.error('facegraph cluster: --server is not supported yet; run it where the database is (DATABASE_URL or FACEGRAPH_DATA_DIR)');
    return 2;
  }
  const facegraph = await createFacegraph(loadConfig(), { workers: 0 });
  try {
    const album = await findAlbumByName(facegraph.services.albums, LOCAL_OWNER.id, options.album);
    if (!album) {
      console.error(`facegraph cluster: no album named "${options.album}"`);
      return 1;
    }
    console.log(JSON.stringify(await facegraph.services.clustering.clusterAlbum(LOCAL_OWNER.id, album.id), null, 2));
    return 0;
  } finally {
    await facegraph.close();
  }
}

function parseIntId(value: string, what: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new Error(`${what} must be a numeric id, got "${value}"`);
  return Number(value);
}
