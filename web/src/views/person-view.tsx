import { useState } from 'preact/hooks';
import {
  albumPeople,
  getAlbum,
  getPerson,
  listPeople,
  hidePerson,
  mergePeople,
  rejectFaceFromPerson,
  renamePerson,
  setPersonBirthDate,
  undoMerge,
  type PersonSummary,
} from '../api/operations';
import { FaceThumb } from '../components/face-thumb';
import { ErrorNote, Loading, plural } from '../components/status';
import { useAsync, usePaged } from '../hooks';
import { href } from '../router';

const EMPTY_PAGE = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

export function PersonView({ id, albumId }: { id: string; albumId?: string }) {
  const person = useAsync(() => getPerson(id, null, 1), [id]);
  const faces = usePaged(async (after) => (await getPerson(id, after))?.faces ?? EMPTY_PAGE, [id]);
  const album = useAsync(async () => (albumId ? getAlbum(albumId) : null), [albumId]);
  const others = useAsync(
    async () => (albumId ? await albumPeople(albumId) : await listPeople()).filter((p) => p.id !== id),
    [albumId, id],
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [lastMerge, setLastMerge] = useState<{ mergeId: string; from: PersonSummary } | null>(null);
  const [removed, setRemoved] = useState<Set<string>>(new Set());

  async function act(what: () => Promise<void>, refreshFaces = false) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      person.reload();
      others.reload();
      if (refreshFaces) {
        setRemoved(new Set());
        faces.reset();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (person.loading && !person.data)
    return (
      <main>
        <Loading />
      </main>
    );
  if (person.error && !person.data)
    return (
      <main>
        <ErrorNote error={person.error} />
      </main>
    );
  const p = person.data;
  if (!p)
    return (
      <main>
        <h1>Person not found</h1>
        <p>
          <a href="#/">All albums</a>
        </p>
      </main>
    );
  const label = p.name ?? 'Unnamed person';

  return (
    <main>
      <p class="crumbs">
        <a href="#/">Albums</a> /{' '}
        {album.data && (
          <>
            <a href={href.album(album.data.id)}>{album.data.name}</a> /
          </>
        )}
      </p>
      <header class="person-head">
        <FaceThumb thumbnail={p.thumbnail} alt={label} size={96} />
        <div>
          <h1 data-testid="person-name">{label}</h1>
          <p class="muted">
            {plural(p.faceCount, 'face')}
            {p.hidden && ' · hidden'}
            {p.birthDate && <span data-testid="birth-date"> · born {p.birthDate}</span>}
          </p>
        </div>
      </header>

      <div class="actions">
        <RenameForm key={p.id + (p.name ?? '')} initial={p.name ?? ''} busy={busy} onRename={(name) => act(() => renamePerson(id, name))} />
        <MergeForm
          people={others.data ?? []}
          busy={busy}
          onMerge={(other) =>
            act(async () => {
              const mergeId = await mergePeople(id, [other.id]);
              setLastMerge({ mergeId, from: other });
            }, true)
          }
        />
        <BirthDateForm
          key={p.id + (p.birthDate ?? '')}
          initial={p.birthDate ?? ''}
          busy={busy}
          onSave={(date) => act(() => setPersonBirthDate(id, date || null))}
        />
        <button type="button" disabled={busy} onClick={() => act(() => hidePerson(id, !p.hidden))}>
          {p.hidden ? 'Show this person again' : 'Hide this person'}
        </button>
      </div>
      {lastMerge && (
        <p class="notice" role="status">
          Merged {lastMerge.from.name ?? 'an unnamed person'} into {label}.{' '}
          <button
            type="button"
            class="link"
            disabled={busy}
            onClick={() =>
              act(async () => {
                await undoMerge(lastMerge.mergeId);
                setLastMerge(null);
              }, true)
            }
          >
            Undo
          </button>
        </p>
      )}
      <ErrorNote error={error} />

      <h2>Faces</h2>
      <ul class="face-grid">
        {faces.items
          .filter((f) => !removed.has(f.id))
          .map((f) => (
            <li key={f.id} class="face-tile" data-face-id={f.id}>
              <a href={href.face(f.id)} title="Similar faces">
                <FaceThumb thumbnail={f.thumbnail} photo={f.image} box={f.box} alt={`face in ${f.image.fileName}`} />
              </a>
              <button
                type="button"
                class="small"
                disabled={busy}
                title="This is not them: take the face out of this person, and never group it with them again"
                onClick={() =>
                  act(async () => {
                    await rejectFaceFromPerson(f.id, id);
                    setRemoved((s) => new Set(s).add(f.id));
                  })
                }
              >
                Not {p.name ?? 'them'}
              </button>
            </li>
          ))}
      </ul>
      <ErrorNote error={faces.error} />
      {faces.loading && <Loading what="Loading faces" />}
      {!faces.done && <div ref={faces.sentinel} class="sentinel" />}
    </main>
  );
}

function RenameForm({ initial, busy, onRename }: { initial: string; busy: boolean; onRename: (name: string) => void }) {
  const [name, setName] = useState(initial);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) onRename(name.trim());
      }}
    >
      <input
        name="person-name"
        aria-label="Name"
        placeholder="Name"
        value={name}
        maxLength={200}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy || !name.trim() || name.trim() === initial}>
        Rename
      </button>
    </form>
  );
}

/** A birth date: photos taken before it are never put in or suggested for the person by machine. */
function BirthDateForm({ initial, busy, onSave }: { initial: string; busy: boolean; onSave: (date: string) => void }) {
  const [date, setDate] = useState(initial);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(date);
      }}
    >
      <input
        type="date"
        aria-label="Birth date"
        value={date}
        max={new Date().toISOString().slice(0, 10)}
        onInput={(e) => setDate(e.currentTarget.value)}
      />
      <button type="submit" disabled={busy || date === initial}>
        {date || !initial ? 'Save birth date' : 'Clear birth date'}
      </button>
    </form>
  );
}

function MergeForm({ people, busy, onMerge }: { people: PersonSummary[]; busy: boolean; onMerge: (p: PersonSummary) => void }) {
  const [chosen, setChosen] = useState('');
  if (!people.length) return null;
  const other = people.find((p) => p.id === chosen);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (other) onMerge(other);
        setChosen('');
      }}
    >
      <select aria-label="Person to merge into this one" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
        <option value="">Same person as…</option>
        {people.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name ?? `Unnamed #${o.id}`} ({plural(o.faceCount, 'face')})
          </option>
        ))}
      </select>
      <button type="submit" disabled={busy || !other}>
        Merge
      </button>
    </form>
  );
}
