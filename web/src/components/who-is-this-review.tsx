import { useState } from 'preact/hooks';
import { moveFace, rejectFaceFromPerson, reviewQueue } from '../api/operations';
import { useAsync } from '../hooks';
import { FaceThumb } from './face-thumb';
import { ErrorNote } from './status';

/** Faces skipped per album until the page reloads (the review may remount when the album refreshes). */
const skippedIn = new Map<string, Set<string>>();

/**
 * "Who is this?": a face in no person beside the person reviewQueue says it
 * most likely is. Yes puts it in the person (moveFace); No says it is not them
 * (rejectFaceFromPerson: the pair never comes back); Skip shows the next one
 * for now. `version` changes when people change elsewhere.
 */
export function WhoIsThisReview({ albumId, version, onChanged }: { albumId: string; version: number; onChanged: () => void }) {
  const queue = useAsync(() => reviewQueue(albumId, 20), [albumId, version]);
  const [skipped, setSkipped] = useState<Set<string>>(() => skippedIn.get(albumId) ?? new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const s = queue.data?.find((q) => !skipped.has(q.face.id));
  if (!s) return <ErrorNote error={queue.error} />;

  async function answer(what: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      onChanged();
      queue.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const name = s.person.name ?? 'this unnamed person';

  return (
    <fieldset class="same-person notice" data-testid="who-is-this" data-face-id={s.face.id} data-person-id={s.person.id}>
      <legend>Who is this?</legend>
      <div class="same-person-pair">
        <figure>
          <FaceThumb thumbnail={s.face.thumbnail} alt="A face in no person" size={96} />
          <figcaption>This face…</figcaption>
        </figure>
        <figure>
          <FaceThumb thumbnail={s.person.thumbnail} alt={s.person.name ?? 'Unnamed person'} size={96} />
          <figcaption>
            …is it <a href={`#/albums/${encodeURIComponent(albumId)}/people/${encodeURIComponent(s.person.id)}`}>{name}</a>?
          </figcaption>
        </figure>
      </div>
      <p class="same-person-actions">
        <button type="button" disabled={busy} onClick={() => void answer(() => moveFace(s.face.id, s.person.id))}>
          Yes
        </button>{' '}
        <button type="button" disabled={busy} onClick={() => void answer(() => rejectFaceFromPerson(s.face.id, s.person.id))}>
          No
        </button>{' '}
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            const next = new Set([...skipped, s.face.id]);
            skippedIn.set(albumId, next);
            setSkipped(next);
          }}
        >
          Skip
        </button>
      </p>
      <ErrorNote error={error} />
    </fieldset>
  );
}
