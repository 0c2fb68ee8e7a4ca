import type { Box } from '../api/operations';
import { href } from '../router';

export interface BoxedFace {
  id?: string;
  box: Box;
  label?: string | null;
  /** Shown inside the box when the photo itself is not available. */
  thumbnail?: string;
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
}

/**
 * A photo with its face boxes drawn over it. Boxes are placed in percent of
 * the photo's own size, so they stay on the faces at any rendered width.
 */
export function PhotoCard({ src, alt, width, height, faces, linkFaces = true, caption }: Props) {
  return (
    <figure class="photo" data-faces={faces.length}>
      <div class={`photo-frame${src ? '' : ' face-map'}`} style={{ aspectRatio: `${width} / ${height}` }}>
        {src ? <img src={src} alt={alt} loading="lazy" decoding="async" /> : <span class="visually-hidden">{alt}</span>}
        {faces.map((f, i) => {
          const style = {
            left: `${(f.box.x / width) * 100}%`,
            top: `${(f.box.y / height) * 100}%`,
            width: `${(f.box.width / width) * 100}%`,
            height: `${(f.box.height / height) * 100}%`,
          };
          const title = f.label ? `${f.label}: similar faces` : 'Similar faces';
          return linkFaces && f.id ? (
            <a key={f.id} class="face-box" data-face-id={f.id} href={href.face(f.id)} style={style} title={title} aria-label={title}>
              {!src && f.thumbnail && <img class="face-box-thumb" src={f.thumbnail} alt="" loading="lazy" />}
              {f.label && <span class="face-label">{f.label}</span>}
            </a>
          ) : (
            <span key={i} class="face-box" style={style}>
              {!src && f.thumbnail && <img class="face-box-thumb" src={f.thumbnail} alt="" loading="lazy" />}
              {f.label && <span class="face-label">{f.label}</span>}
            </span>
          );
        })}
      </div>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
