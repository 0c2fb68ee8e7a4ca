import type { PersonSummary } from '../api/operations';
import { href } from '../router';
import { FaceThumb } from './face-thumb';
import { plural } from './status';

/** The people of an album, most faces first, as a row that scrolls sideways on narrow screens. */
export function PeopleStrip({ people, albumId }: { people: PersonSummary[]; albumId?: string }) {
  const sorted = [...people].sort((a, b) => b.faceCount - a.faceCount || Number(a.id) - Number(b.id));
  return (
    <ul class="people-strip" aria-label="People">
      {sorted.map((p) => (
        <li key={p.id}>
          <a class="person-chip" href={href.person(p.id, albumId)} data-person-id={p.id}>
            <FaceThumb thumbnail={p.thumbnail} alt={p.name ?? 'Unnamed person'} size={72} />
            <span class="person-name">{p.name ?? 'Unnamed'}</span>
            <span class="muted person-count">{plural(p.faceCount, 'face')}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
