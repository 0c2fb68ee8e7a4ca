import type { Box } from '../api/operations';

interface Props {
  /** The server's JPEG crop of the face; preferred, it is small and cached. */
  thumbnail?: string | null;
  /** Without a thumbnail, the face is cut out of the photo with CSS. */
  photo?: { url?: string; width: number; height: number } | null;
  box?: Box;
  alt: string;
  size?: number;
}

/** A square face picture. */
export function FaceThumb({ thumbnail, photo, box, alt, size = 96 }: Props) {
  if (thumbnail) {
    return <img class="face-thumb" src={thumbnail} alt={alt} width={size} height={size} loading="lazy" decoding="async" />;
  }
  if (photo?.url && box) {
    // Scale the photo so that the face's longer side fills the square, centred.
    const side = Math.max(box.width, box.height) * 1.2;
    const scale = size / side;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    return (
      <span
        class="face-thumb"
        role="img"
        aria-label={alt}
        style={{
          width: `${size}px`,
          height: `${size}px`,
          backgroundImage: `url("${photo.url}")`,
          backgroundSize: `${photo.width * scale}px ${photo.height * scale}px`,
          backgroundPosition: `${size / 2 - cx * scale}px ${size / 2 - cy * scale}px`,
        }}
      />
    );
  }
  return <span class="face-thumb empty" role="img" aria-label={alt} style={{ width: `${size}px`, height: `${size}px` }} />;
}
