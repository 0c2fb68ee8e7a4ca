import { decodeFailure, uprightPhoto, type DecodeLimits } from './image-decoder.js';

/**
 * Formats every current browser shows as they are: their photos are served as stored. AVIF is among them
 * (Chrome 85, Firefox 93, Safari 16.4 and later); HEIC/HEIF, TIFF and RAW are not (Safari alone shows
 * HEIC and TIFF), so those get a JPEG rendition.
 */
export const BROWSER_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif']);

/** Longer side of a rendition at most: a 12-megapixel phone photo (4032 px) keeps every pixel. */
export const RENDITION_MAX_SIDE = 4096;

/** The size of the rendition of an upright photo of this size. */
export function renditionSize(photo: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.max(1, Math.max(photo.width, photo.height) / RENDITION_MAX_SIDE);
  return { width: Math.max(1, Math.round(photo.width / scale)), height: Math.max(1, Math.round(photo.height / scale)) };
}

/** Whether a photo of this (decoded) format needs a rendition for browsers. */
export function needsRendition(format: string): boolean {
  return !BROWSER_FORMATS.has(format);
}

/**
 * A JPEG of the photo for browsers: decoded by the same entry as analysis ({@link uprightPhoto}: upright,
 * sRGB, HEIC through libheif, RAW through its preview), so it shows exactly the pixels the face boxes were
 * found on, at most {@link RENDITION_MAX_SIDE} on its longer side (same aspect as the upright photo, so boxes
 * scale onto it). Decoding HEIC takes a core: call it in an analysis thread.
 */
export async function renderForBrowser(bytes: Uint8Array, limits: Pick<DecodeLimits, 'maxPixels'>): Promise<Buffer> {
  const photo = await uprightPhoto(bytes, limits);
  const size = renditionSize(photo);
  let pipeline = photo.pipeline;
  if (size.width !== photo.width || size.height !== photo.height) pipeline = pipeline.resize({ ...size, fit: 'fill' });
  try {
    return await pipeline.removeAlpha().jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer();
  } catch (err) {
    throw decodeFailure(photo.format, err);
  }
}
