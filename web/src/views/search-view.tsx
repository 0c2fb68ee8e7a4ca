import { useEffect, useState } from 'preact/hooks';
import { searchByPhoto, type PhotoSearchResult } from '../api/operations';
import { FaceThumb } from '../components/face-thumb';
import { MatchList } from '../components/match-list';
import { PhotoCard } from '../components/photo-card';
import { ErrorNote, Loading, plural } from '../components/status';

interface Query {
  file: File;
  url: string;
  width: number;
  height: number;
}

/** Search by photo: the picked photo is not stored; each face in it gets its nearest stored faces. */
export function SearchView() {
  const [query, setQuery] = useState<Query | null>(null);
  const [results, setResults] = useState<PhotoSearchResult[] | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => () => query && URL.revokeObjectURL(query.url), [query]);

  async function pick(file: File | undefined) {
    if (!file) return;
    setResults(null);
    setError(undefined);
    setBusy(true);
    const url = URL.createObjectURL(file);
    const size = await naturalSize(url).catch(() => ({ width: 0, height: 0 }));
    setQuery({ file, url, ...size });
    try {
      setResults(await searchByPhoto(file));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  // Boxes come in the upright photo's pixels, which is also what the browser shows (it applies EXIF rotation).
  const shown = query && query.width > 0 ? query : null;
  return (
    <main>
      <h1>Search by photo</h1>
      <p class="muted">Pick a photo: it is searched, not stored. Each face in it lists the nearest stored faces.</p>
      <label class="file-button">
        Choose a photo
        <input
          class="visually-hidden"
          type="file"
          accept="image/*"
          data-testid="search-input"
          onChange={(e) => pick(e.currentTarget.files?.[0])}
        />
      </label>
      <ErrorNote error={error} />
      {busy && <Loading what="Searching" />}
      {results && (
        <p data-testid="search-summary">
          {plural(results.length, 'face')} found in {query?.file.name}.
        </p>
      )}
      <div class="search-layout">
        {shown && (
          <div class="single-photo">
            <PhotoCard
              src={shown.url}
              alt={shown.file.name}
              width={shown.width}
              height={shown.height}
              linkFaces={false}
              faces={(results ?? []).map((r, i) => ({ box: r.box, label: String(i + 1) }))}
            />
          </div>
        )}
        <ol class="search-results">
          {results?.map((r, i) => (
            <li key={i} class="search-face">
              <div class="search-face-head">
                {shown && <FaceThumb photo={shown} box={r.box} alt={`face ${i + 1}`} size={72} />}
                <strong>Face {i + 1}</strong>
              </div>
              <MatchList matches={r.matches} />
            </li>
          ))}
        </ol>
      </div>
    </main>
  );
}

function naturalSize(url: string): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => reject(new Error('the browser cannot show this file'));
    img.src = url;
  });
}
