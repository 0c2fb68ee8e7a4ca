import type { FaceMatch } from '../api/operations';
import { href } from '../router';
import { FaceThumb } from './face-thumb';

/** Stored faces with their cosine distance to a query face, nearest first. */
export function MatchList({ matches }: { matches: FaceMatch[] }) {
  if (!matches.length) return <p class="muted">No similar face stored yet.</p>;
  return (
    <ol class="match-list">
      {matches.map((m) => (
        <li key={m.face.id} class="match" data-face-id={m.face.id}>
          <a href={href.face(m.face.id)} title={`${m.face.image.fileName} in ${m.face.image.album.name}`}>
            <FaceThumb
              thumbnail={m.face.thumbnail}
              photo={m.face.image}
              box={m.face.box}
              alt={`face in ${m.face.image.fileName}`}
              size={88}
            />
            <span class="distance" title="cosine distance: smaller is more alike">
              {m.distance.toFixed(3)}
            </span>
            <span class="muted match-name">{m.face.person?.name ?? m.face.image.fileName}</span>
          </a>
        </li>
      ))}
    </ol>
  );
}
