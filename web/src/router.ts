import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/albums/3`): the server serves one page at `/` and needs no
 * fallback rules, and a reload or a shared link opens the same screen.
 */
export type Route =
  | { name: 'albums' }
  | { name: 'album'; id: string }
  | { name: 'person'; id: string; albumId?: string }
  | { name: 'face'; id: string }
  | { name: 'search' }
  | { name: 'together' }
  | { name: 'missing'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const m = /^\/(albums|people|faces)\/([^/]+)$/.exec(path);
  const inAlbum = /^\/albums\/([^/]+)\/people\/([^/]+)$/.exec(path);
  if (path === '/' || path === '/albums') return { name: 'albums' };
  if (path === '/search') return { name: 'search' };
  if (path === '/together') return { name: 'together' };
  if (inAlbum) return { name: 'person', id: decodeURIComponent(inAlbum[2]), albumId: decodeURIComponent(inAlbum[1]) };
  if (m) {
    const id = decodeURIComponent(m[2]);
    return m[1] === 'albums' ? { name: 'album', id } : m[1] === 'people' ? { name: 'person', id } : { name: 'face', id };
  }
  return { name: 'missing', path };
}

export const href = {
  albums: () => '#/',
  album: (id: string) => `#/albums/${encodeURIComponent(id)}`,
  /** A person, seen from an album when `albumId` is given (people may span albums). */
  person: (id: string, albumId?: string) =>
    albumId ? `#/albums/${encodeURIComponent(albumId)}/people/${encodeURIComponent(id)}` : `#/people/${encodeURIComponent(id)}`,
  face: (id: string) => `#/faces/${encodeURIComponent(id)}`,
  search: () => '#/search',
  together: () => '#/together',
};

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
