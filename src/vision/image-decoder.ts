import { parse as parseIcc } from 'icc';
import sharp from 'sharp';
import { PayloadTooLargeError, UnsupportedImageError } from '../errors.js';
import { photoContainer } from '../metadata/photo-container.js';
import { largestRawPreview, type RawFormat } from '../metadata/raw-preview.js';
import { decodeHeif, type HeifPixels, type RgbPixels } from './heif-decoder.js';
import { decodeHeifNative } from './heif-native.js';
import type { RgbImage } from './types.js';

/** Formats we accept; anything else sharp can read (SVG, PDF, raw) is refused. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

export interface DecodeLimits {
  /** Refuse images that declare more pixels than this, before decoding them. */
  maxPixels: number;
  /** The working copy the networks see is shrunk so its longer side is at most this. */
  maxSide: number;
  /** HEIC through libheif's WebAssembly build (the default) or the system's `heif-convert` (`FACEGRAPH_HEIF_DECODER`). */
  heifDecoder?: 'wasm' | 'native';
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

/** An upright sRGB photo at full size, as a sharp pipeline yet to run: the working copy and renditions start here. */
export interface UprightPhoto {
  width: number;
  height: number;
  /** jpeg, png, webp, gif, tiff, avif, heic (HEVC in HEIF), or the RAW format whose preview this is (cr3, dng, ...). */
  format: string;
  /**
   * Upright, flattened, sRGB; resize or encode it and run it. Its errors are the decoder's: wrap them with
   * {@link decodeFailure}. With `shrinkTo`, its pixels may be fewer than width x height (never below that side).
   */
  pipeline: sharp.Sharp;
}

/**
 * Decodes any accepted photo to upright 8-bit sRGB: EXIF orientation applied,
 * alpha flattened on white, CMYK / grey / 16-bit converted. Only the header is
 * read before the pixel limit is checked, so a decompression bomb costs nothing.
 * HEIC goes through libheif (WebAssembly), a RAW through its largest embedded
 * JPEG preview; a video is refused as one.
 */
export async function decodePhoto(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedPhoto> {
  const photo = await uprightPhoto(bytes, limits, limits.maxSide);
  const { width, height } = photo;
  const scale = Math.max(1, Math.max(width, height) / limits.maxSide);
  let pipeline = photo.pipeline;
  if (scale > 1) {
    pipeline = pipeline.resize({
      width: Math.max(1, Math.round(width / scale)),
      height: Math.max(1, Math.round(height / scale)),
      fit: 'fill',
      kernel: 'lanczos3',
    });
  }
  try {
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return {
      width,
      height,
      format: photo.format,
      image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height },
      scale: width / info.width,
    };
  } catch (err) {
    throw decodeFailure(photo.format, err);
  }
}

/** The error a failed run of an {@link UprightPhoto}'s pipeline stands for. */
export function decodeFailure(format: string, err: unknown): Error {
  if (err instanceof UnsupportedImageError || err instanceof PayloadTooLargeError) return err;
  return new UnsupportedImageError(`cannot decode ${format} image: ${describe(err)}`, { format });
}

/**
 * The photo as a full-size upright sRGB pipeline, after every check that needs no pixels
 * (container, format, declared size). For HEIC the pixels are decoded here (libheif keeps no
 * lazy path), so call it where decoding may take a core: an analysis thread, never the event loop.
 */
export async function uprightPhoto(
  bytes: Uint8Array,
  limits: Pick<DecodeLimits, 'maxPixels' | 'heifDecoder'>,
  shrinkTo?: number,
): Promise<UprightPhoto> {
  if (bytes.length === 0) throw new UnsupportedImageError('the file is empty');
  const container = photoContainer(bytes);
  if (container.kind === 'video') {
    throw new UnsupportedImageError(
      `this is a video (${container.brand} movie, such as a Live Photo's), not a photo; videos are not analysed`,
      {
        format: 'video',
        brand: container.brand,
      },
    );
  }
  if (container.kind === 'raw') return rawPreview(bytes, container.format, limits);
  if (container.kind === 'heif') {
    // sharp reads AVIF itself (its libheif has AV1 only); HEVC and the rest go to libheif's WebAssembly build.
    const meta = await sharp(bytes, { limitInputPixels: false })
      .metadata()
      .catch(() => undefined);
    if (meta?.compression === 'av1') return sharpPhoto(bytes, limits, { format: 'avif' });
    return heicPhoto(bytes, meta, limits, shrinkTo);
  }
  return sharpPhoto(bytes, limits, {});
}

/** HEIC: libheif decodes the primary image upright (irot, imir, clap); sharp converts its profile to sRGB. */
async function heicPhoto(
  bytes: Uint8Array,
  meta: sharp.Metadata | undefined,
  limits: Pick<DecodeLimits, 'maxPixels' | 'heifDecoder'>,
  shrinkTo = Number.POSITIVE_INFINITY,
): Promise<UprightPhoto> {
  const icc = meta?.icc;
  let native: HeifPixels | null = null;
  if (limits.heifDecoder === 'native' && meta?.width && meta.height && meta.width * meta.height <= limits.maxPixels) {
    native = await decodeHeifNative(bytes, meta.width, meta.height, shrinkTo);
  }
  // A 12 MP phone photo for a 1920-px working copy: half-size pixels straight from 4:2:0 save a quarter of the decode.
  const { width, height, pixels } = native ?? (await decodeHeif(bytes, limits.maxPixels, { minSide: shrinkTo }));
  const pipeline =
    icc && !isSrgbProfile(icc)
      ? sharp(rgbTiff(pixels, icc), { failOn: 'error', limitInputPixels: false }).toColourspace('srgb')
      : sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } });
  return { width, height, format: 'heic', pipeline };
}

/** A RAW through its largest embedded JPEG preview: boxes are in the preview's pixels. */
async function rawPreview(bytes: Uint8Array, format: RawFormat, limits: Pick<DecodeLimits, 'maxPixels'>): Promise<UprightPhoto> {
  const preview = largestRawPreview(bytes, format);
  if ('reason' in preview) {
    throw new UnsupportedImageError(
      `cannot analyse this ${format.toUpperCase()} raw file: ${preview.reason}; faces are found on a RAW's embedded JPEG preview`,
      {
        format,
      },
    );
  }
  return sharpPhoto(preview.jpeg, limits, { format, orientation: preview.orientation });
}

/**
 * Everything sharp reads itself. `orientation` is a RAW's, applied when its preview JPEG has
 * none of its own (mirrored orientations are left as they are: cameras write only turns).
 */
async function sharpPhoto(
  bytes: Uint8Array,
  limits: Pick<DecodeLimits, 'maxPixels'>,
  as: { format?: string; orientation?: number },
): Promise<UprightPhoto> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    // libspng / libvips refuse absurd declared sizes in the header itself: that is a size problem, not corruption.
    if (/exceeds (user )?limit|too large|pixel limit|maximum supported image dimension/i.test(describe(err))) {
      throw new PayloadTooLargeError(`image declares a size over the limit: ${describe(err)}`);
    }
    throw new UnsupportedImageError(`not a readable ${as.format ? `${as.format} preview` : 'image'}: ${describe(err)}`, {
      format: as.format,
    });
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format) || (as.format && meta.format !== 'jpeg' && as.format !== 'avif')) {
    throw new UnsupportedImageError(`unsupported image format: ${meta.format ?? 'unknown'}`, { format: meta.format });
  }
  const format = as.format ?? meta.format;
  if (!meta.width || !meta.height) throw new UnsupportedImageError('the image declares no size');
  const pixels = meta.width * meta.height;
  if (pixels > limits.maxPixels) {
    throw new PayloadTooLargeError(`image has ${meta.width}x${meta.height} pixels, more than the limit of ${limits.maxPixels}`, {
      width: meta.width,
      height: meta.height,
      maxPixels: limits.maxPixels,
    });
  }
  const turn = meta.orientation === undefined ? (TURNS[as.orientation ?? 1] ?? 0) : 0;
  const swap = (meta.orientation ?? 1) >= 5 || turn % 180 === 90;
  // failOn 'error' rejects truncated and corrupt data instead of returning grey pixels.
  const ignoreIcc = isSrgbProfile(meta.icc);
  const pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels, pages: 1, ignoreIcc })
    .rotate(turn || undefined)
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace('srgb');
  return { width: swap ? meta.height : meta.width, height: swap ? meta.width : meta.height, format, pipeline };
}

/** Clockwise degrees that make a photo of this EXIF orientation upright, for the orientations that only turn. */
const TURNS: Record<number, number> = { 3: 180, 6: 90, 8: 270 };

/**
 * Packed RGB with an ICC profile as an uncompressed baseline TIFF (TIFF 6.0, tag 34675), the one
 * raw layout sharp takes together with a profile, so that its lcms converts it to sRGB as it does
 * for every other format.
 */
function rgbTiff(pixels: RgbPixels, icc: Uint8Array): Buffer {
  const tags: [number, number, number, number][] = [];
  const entries = 11;
  const ifdEnd = 8 + 2 + entries * 12 + 4;
  const bitsAt = ifdEnd;
  const iccAt = bitsAt + 6;
  const dataAt = iccAt + icc.length + (icc.length % 2);
  const out = Buffer.alloc(dataAt + pixels.data.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  // [tag, type (3 short, 4 long, 7 undefined), count, value or offset]
  tags.push(
    [256, 4, 1, pixels.width],
    [257, 4, 1, pixels.height],
    [258, 3, 3, bitsAt],
    [259, 3, 1, 1],
    [262, 3, 1, 2],
    [273, 4, 1, dataAt],
    [277, 3, 1, 3],
    [278, 4, 1, pixels.height],
    [279, 4, 1, pixels.data.length],
    [284, 3, 1, 1],
    [34675, 7, icc.length, iccAt],
  );
  out.writeUInt16LE(entries, 8);
  tags.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let i = 0; i < 3; i++) out.writeUInt16LE(8, bitsAt + i * 2);
  out.set(icc, iccAt);
  out.set(pixels.data, dataAt);
  return out;
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
