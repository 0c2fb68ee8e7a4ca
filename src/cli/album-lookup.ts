import type { AlbumService } from '../services/album.service.js';

/**
 * The owner's album with this name (the first, by id), paging through their
 * albums. The CLI names albums the way people do; the API itself only knows ids.
 */
export async function findAlbumByName(
  albums: Pick<AlbumService, 'list'>,
  ownerId: number,
  name: string,
): Promise<{ id: number; name: string } | undefined> {
  const wanted = name.trim();
  for (let after: string | null = null; ; ) {
    const page = await albums.list(ownerId, { first: 100, after });
    const found = page.nodes.find((a) => a.name === wanted);
    if (found || !page.hasNextPage) return found;
    after = page.endCursor;
  }
}
