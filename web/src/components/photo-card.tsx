import type { Box } from '../api/operations';
import { href } from '../router';
import { BoxDrawer } from './box-drawer';

export interface BoxedFace {
  id?: string;
  box: Box;
  label?: string | null;
  /** Shown inside the box when the photo itself is not available. */
  thumbnail?: string;
}

/** Corrections on a photo: remove a face box, draw a box for a missed face. */
export interface FaceEditing {
  busy: boolean;
  onRemove: (faceId: string) => void;
  onDraw: (box: Box) => void;
}

interface Props {
  /** The photo; without it the card is a plain frame with each face's thumbnail in its box. */
  src?: string;
  alt: string;
  width: number;
  height: number;
  faces: BoxedFace[];
  /** Where a click on a face goes; without it the boxes are only drawn. */
  linkFaces?: boolean;
  caption?: string;
  /** Correcting faces: boxes get a remove button and new ones can be drawn (links are off meanwhile). */
  editing?: FaceEditing;
}

/**
 * A photo with its face boxes drawn over it. Boxes are placed in percent of
 * the photo's own size, so they stay on the faces at any rendered width.
 */
export function PhotoCard({ src, alt, width, height, faces, linkFaces = true, caption, editing }: Props) {
  return (
    <figure class={`photo${editing ? ' editing' : ''}`} data-faces={faces.length}>
      <div class={`photo-frame${src ? '' : ' face-map'}`} style={{ aspectRatio: `${width} / ${height}` }}>
        {src ? <img src={src} alt={alt} loading="lazy" decoding="async" draggable={false} /> : <span class="visually-hidden">{alt}</span>}
        {editing && <BoxDrawer width={width} height={height} onDraw={editing.onDraw} />}
        {faces.map((f, i) => {
          const style = {
            left: `${(f.box.x / width) * 100}%`,
            top: `${(f.box.y / height) * 100}%`,
            width: `${(f.box.width / width) * 100}%`,
            height: `${(f.box.height / height) * 100}%`,
          };
          const title = f.label ? `${f.label}: similar faces` : 'Similar faces';
          const inside = (
            <>
              {!src && f.thumbnail && <img class="face-box-thumb" src={f.thumbnail} alt="" loading="lazy" />}
              {f.label && <span class="face-label">{f.label}</span>}
            </>
          );
          if (editing && f.id) {
            const faceId = f.id;
            return (
              <span key={faceId} class="face-box" data-face-id={faceId} style={style}>
                {inside}
                <button
                  type="button"
                  class="remove-face"
                  disabled={editing.busy}
                  aria-label="Not a face: remove it"
                  title="Not a face: remove it"
                  onClick={() => editing.onRemove(faceId)}
                >
                  ×
                </button>
              </span>
            );
          }
          return linkFaces && f.id ? (
            <a key={f.id} class="face-box" data-face-id={f.id} href={href.face(f.id)} style={style} title={title} aria-label={title}>
              {inside}
            </a>
          ) : (
            <span key={i} class="face-box" style={style}>
              {inside}
            </span>
          );
        })}
      </div>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
