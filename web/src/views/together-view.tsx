import { useState } from 'preact/hooks';
import { listPeople, peopleTogether } from '../api/operations';
import { FaceThumb } from '../components/face-thumb';
import { PhotoCard } from '../components/photo-card';
import { ErrorNote, Loading, plural } from '../components/status';
import { useAsync, usePaged } from '../hooks';

/**
 * People together: pick two or more people and see the photos in which all of
 * them appear (peopleTogether); "only them" leaves out photos with anyone else.
 */
export function TogetherView() {
  const people = useAsync(() => listPeople(), []);
  const [picked, setPicked] = useState<string[]>([]);
  const [only, setOnly] = useState(false);
  const ready = picked.length >= 2;
  const key = `${picked.join(',')}|${only}`;
  const photos = usePaged(
    (after) =>
      ready ? peopleTogether(picked, only, after) : Promise.resolve({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } }),
    [key],
  );
  const toggle = (id: string) => setPicked(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id]);

  return (
    <main>
      <h1>People together</h1>
      <p class="muted">Pick two or more people to see the photos they are in together.</p>
      <ErrorNote error={people.error} />
      {people.loading && !people.data && <Loading what="Loading people" />}
      <fieldset class="together-people" aria-label="People">
        <ul class="people-strip">
          {people.data?.map((p) => (
            <li key={p.id}>
              <label class="together-person" data-person-id={p.id}>
                <input type="checkbox" checked={picked.includes(p.id)} onChange={() => toggle(p.id)} />
                <FaceThumb thumbnail={p.thumbnail} alt={p.name ?? 'Unnamed person'} size={64} />
                <span>{p.name ?? `Person ${p.id}`}</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <label>
        <input type="checkbox" checked={only} onChange={() => setOnly(!only)} /> Only them (nobody else in the photo)
      </label>
      <section aria-label="Photos together">
        {ready ? (
          <p class="muted" role="status" data-testid="together-count">
            {photos.done ? plural(photos.items.length, 'photo') : 'Looking…'} with {plural(picked.length, 'person', 'people')}
          </p>
        ) : (
          <p class="muted">Pick at least two people.</p>
        )}
        <div class="photo-grid">
          {photos.items.map((p) => (
            <PhotoCard
              key={p.id}
              src={p.url}
              alt={p.fileName}
              width={p.width}
              height={p.height}
              caption={p.fileName}
              faces={p.faces.map((f) => ({ id: f.id, box: f.box, label: f.person?.name, thumbnail: f.thumbnail }))}
            />
          ))}
        </div>
        <ErrorNote error={photos.error} />
        {photos.loading && <Loading what="Loading photos" />}
        {!photos.done && <div ref={photos.sentinel} class="sentinel" />}
      </section>
    </main>
  );
}
