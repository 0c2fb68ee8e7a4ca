import { getFace, similarFaces } from '../api/operations';
import { FaceThumb } from '../components/face-thumb';
import { MatchList } from '../components/match-list';
import { PhotoCard } from '../components/photo-card';
import { ErrorNote, Loading } from '../components/status';
import { useAsync } from '../hooks';
import { href } from '../router';

/** One face, the photo it is in, and its most similar faces across the library. */
export function FaceView({ id }: { id: string }) {
  const face = useAsync(() => getFace(id), [id]);
  const similar = useAsync(() => similarFaces(id), [id]);

  if (face.loading && !face.data)
    return (
      <main>
        <Loading />
      </main>
    );
  if (face.error && !face.data)
    return (
      <main>
        <ErrorNote error={face.error} />
      </main>
    );
  const f = face.data;
  if (!f)
    return (
      <main>
        <h1>Face not found</h1>
        <p>
          <a href="#/">All albums</a>
        </p>
      </main>
    );

  return (
    <main>
      <p class="crumbs">
        <a href="#/">Albums</a> / <a href={href.album(f.image.album.id)}>{f.image.album.name}</a> /
      </p>
      <header class="person-head">
        <FaceThumb thumbnail={f.thumbnail} photo={f.image} box={f.box} alt="this face" size={96} />
        <div>
          <h1>Similar faces</h1>
          <p class="muted">
            In {f.image.fileName}
            {f.person && (
              <>
                {' · '}
                <a href={href.person(f.person.id, f.image.album.id)}>{f.person.name ?? 'unnamed person'}</a>
              </>
            )}
          </p>
        </div>
      </header>
      <section aria-label="Most similar faces">
        <h2>Nearest faces in the library</h2>
        <ErrorNote error={similar.error} />
        {similar.loading && !similar.data ? <Loading what="Searching" /> : <MatchList matches={similar.data ?? []} />}
      </section>
      <section aria-label="The photo">
        <h2>The photo</h2>
        <div class="single-photo">
          <PhotoCard
            src={f.image.url}
            alt={f.image.fileName}
            width={f.image.width}
            height={f.image.height}
            faces={[{ id: f.id, box: f.box, thumbnail: f.thumbnail }]}
            linkFaces={false}
          />
        </div>
      </section>
    </main>
  );
}
