import { parse as parseIcc } from 'icc';
import sharp from 'sharp';
import { PayloadTooLargeError, UnsupportedImageError } from '../errors.js';
import type { RgbImage } from './types.js';

/** Formats we accept; anything else sharp can read (SVG, PDF, raw) is refused. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface DecodeLimits {
  /** Refuse images that declare more pixels than this, before decoding them. */
  maxPixels: number;
  /** The working copy the networks see is shrunk so its longer side is at most this. */
  maxSide: number;
}

export interface DecodedPhoto {
  /** Upright size of the original photo, in pixels. */
  width: number;
  height: number;
  format: string;
  /** The working copy (upright, 8-bit RGB, longer side <= maxSide). */
  image: RgbImage;
  /** Multiply working-copy coordinates by this to get original-photo coordinates. */
  scale: number;
}

/**
 * Decodes any accepted photo to upright 8-bit sRGB: EXIF orientation applied,
 * alpha flattened on white, CMYK / grey / 16-bit converted. Only the header is
 * read before the pixel limit is checked, so a decompression bomb costs nothing.
 */
export async function decodePhoto(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedPhoto> {
  if (bytes.length === 0) throw new UnsupportedImageError('the file is empty');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    // libspng / libvips refuse absurd declared sizes in the header itself: that is a size problem, not corruption.
    if (/exceeds (user )?limit|too large|pixel limit|maximum supported image dimension/i.test(describe(err))) {
      throw new PayloadTooLargeError(`image declares a size over the limit: ${describe(err)}`);
    }
    throw new UnsupportedImageError(`not a readable image: ${describe(err)}`);
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new UnsupportedImageError(`unsupported image format: ${meta.format ?? 'unknown'}`, { format: meta.format });
  }
  if (!meta.width || !meta.height) throw new UnsupportedImageError('the image declares no size');
  const pixels = meta.width * meta.height;
  if (pixels > limits.maxPixels) {
    throw new PayloadTooLargeError(`image has ${meta.width}x${meta.height} pixels, more than the limit of ${limits.maxPixels}`, {
      width: meta.width,
      height: meta.height,
      maxPixels: limits.maxPixels,
    });
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  const scale = Math.max(1, Math.max(width, height) / limits.maxSide);
  try {
    // failOn 'error' rejects truncated and corrupt data instead of returning grey pixels.
    const ignoreIcc = isSrgbProfile(meta.icc);
    let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels, pages: 1, ignoreIcc })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb');
    if (scale > 1) {
      pipeline = pipeline.resize({
        width: Math.max(1, Math.round(width / scale)),
        height: Math.max(1, Math.round(height / scale)),
        fit: 'fill',
        kernel: 'lanczos3',
      });
    }
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return {
      width,
      height,
      format: meta.format,
      image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height },
      scale: width / info.width,
    };
  } catch (err) {
    throw new UnsupportedImageError(`cannot decode ${meta.format} image: ${describe(err)}`, { format: meta.format });
  }
}

/**
 * Embedded profiles that are sRGB itself, by their description: the profile
 * most cameras and editors embed (HP / Microsoft's, v2) and libvips' own. For
 * these the conversion to sRGB is the identity (the same pixels to the bit on
 * the demo group photos, which embed the first) but lcms still runs it, ~30 ms
 * on a 1920-px photo, half its decode; so it is skipped. Any other profile
 * (Display P3, Adobe RGB, CMYK, a damaged one) is converted as before.
 */
const SRGB_PROFILES = new Set(['sRGB IEC61966-2.1', 'sRGB']);

export function isSrgbProfile(profile: Buffer | undefined): boolean {
  if (!profile) return false;
  try {
    const { colorSpace, description } = parseIcc(profile);
    return colorSpace === 'RGB' && description !== undefined && SRGB_PROFILES.has(description);
  } catch {
    return false;
  }
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
