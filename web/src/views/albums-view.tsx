import { useState } from 'preact/hooks';
import { createAlbum, listAlbums } from '../api/operations';
import { ErrorNote, Loading, plural } from '../components/status';
import { useAsync } from '../hooks';
import { href, navigate } from '../router';

export function AlbumsView() {
  const albums = useAsync(listAlbums, []);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      const album = await createAlbum(name.trim());
      setName('');
      navigate(href.album(album.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main>
      <h1>Albums</h1>
      <form class="inline-form" onSubmit={create}>
        <input
          name="album-name"
          placeholder="New album name"
          aria-label="New album name"
          value={name}
          maxLength={200}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !name.trim()}>
          Create album
        </button>
      </form>
      <ErrorNote error={error} />
      <ErrorNote error={albums.error} />
      {albums.loading && !albums.data && <Loading />}
      {albums.data?.length === 0 && <p class="muted">No album yet: create one, then drop photos into it.</p>}
      <ul class="album-list">
        {albums.data?.map((a) => (
          <li key={a.id}>
            <a class="album-card" href={href.album(a.id)} data-album-id={a.id}>
              <strong>{a.name}</strong>
              <span class="muted">
                {plural(a.imageCount, 'photo')} · {plural(a.faceCount, 'face')}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
