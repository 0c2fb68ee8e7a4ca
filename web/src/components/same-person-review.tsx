import { useState } from 'preact/hooks';
import { dismissMergeSuggestion, mergePeople, mergeSuggestions } from '../api/operations';
import { useAsync } from '../hooks';
import { FaceThumb } from './face-thumb';
import { ErrorNote, plural } from './status';

/**
 * "Same person?": the album's closest look-alike pair, side by side. Merge
 * folds the second into the first; "Not the same" dismisses the pair for good.
 * Either way the next pair shows. `version` changes when people change elsewhere.
 */
export function SamePersonReview({ albumId, version, onMerged }: { albumId: string; version: number; onMerged: () => void }) {
  const suggestion = useAsync(async () => (await mergeSuggestions(albumId, 1))[0] ?? null, [albumId, version]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const s = suggestion.data;
  if (!s) return <ErrorNote error={suggestion.error} />;

  async function answer(what: () => Promise<unknown>, merged: boolean) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      if (merged) onMerged();
      suggestion.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <fieldset class="same-person notice" data-testid="same-person" data-pair={`${s.a.id}:${s.b.id}`}>
      <legend>Same person?</legend>
      <div class="same-person-pair">
        {[s.a, s.b].map((p) => (
          <figure key={p.id} data-person-id={p.id}>
            <FaceThumb thumbnail={p.thumbnail} alt={p.name ?? 'Unnamed person'} size={96} />
            <figcaption>
              {p.name ?? 'Unnamed'} <span class="muted">· {plural(p.faceCount, 'face')}</span>
            </figcaption>
          </figure>
        ))}
      </div>
      <p class="same-person-actions">
        <button type="button" disabled={busy} onClick={() => void answer(() => mergePeople(s.a.id, [s.b.id]), true)}>
          Merge
        </button>{' '}
        <button type="button" disabled={busy} onClick={() => void answer(() => dismissMergeSuggestion(s.a.id, s.b.id), false)}>
          Not the same
        </button>
      </p>
      <ErrorNote error={error} />
    </fieldset>
  );
}
