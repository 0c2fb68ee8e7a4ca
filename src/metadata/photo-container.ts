import { fileBrands, latin1 } from './iso-bmff.js';
import { rawFormatOf, type RawFormat } from './raw-preview.js';

/**
 * What a file is, told from its first bytes, before any decoder sees it: a HEIF-family image
 * (HEIC, AVIF, ...), a camera RAW, a video (MP4, QuickTime, a Live Photo's movie), or something
 * else for the image decoder to judge. Extensions are never trusted: a `.heic` that is a movie
 * is a movie.
 */
export type PhotoContainer =
  | { kind: 'heif'; brand: string }
  | { kind: 'raw'; format: RawFormat }
  | { kind: 'video'; brand: string }
  | { kind: 'other' };

/** ftyp brands of HEIF still images and collections (ISO/IEC 23008-12 Annex B, AVIF, MIAF, JPEG/AVC/VVC in HEIF). */
const HEIF_BRANDS = new Set([
  'heic',
  'heix',
  'heim',
  'heis',
  'hevc',
  'hevx',
  'hevm',
  'hevs',
  'mif1',
  'mif2',
  'msf1',
  'miaf',
  'MiHB',
  'MiHE',
  'MiPr',
  'avif',
  'avis',
  'avio',
  'avci',
  'avcs',
  'j2ki',
  'j2is',
  'jpeg',
  'jpgs',
  'vvic',
  'vvis',
  'unif',
  '1pic',
]);
/** ftyp brands of movies: QuickTime (iPhone Live Photos), MP4 and its relatives (ISO/IEC 14496-12/14, 3GPP). */
const VIDEO_BRANDS = new Set([
  'qt  ',
  'isom',
  'iso2',
  'iso3',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'mp71',
  'avc1',
  'M4V ',
  'M4VH',
  'M4VP',
  'M4A ',
  '3gp4',
  '3gp5',
  '3gp6',
  '3gp7',
  '3ge6',
  '3gg6',
  '3g2a',
  '3g2b',
  '3g2c',
  'dash',
  'f4v ',
  'XAVC',
  'mmp4',
  'MSNV',
  'NDAS',
  'dby1',
]);
/** Top-level boxes a QuickTime movie without `ftyp` starts with. */
const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export function photoContainer(bytes: Uint8Array): PhotoContainer {
  const raw = rawFormatOf(bytes);
  if (raw) return { kind: 'raw', format: raw };
  const brands = fileBrands(bytes);
  if (brands) {
    if (HEIF_BRANDS.has(brands.major)) return { kind: 'heif', brand: brands.major };
    const video = [brands.major, ...brands.compatible].find((b) => VIDEO_BRANDS.has(b));
    if (video) return { kind: 'video', brand: video.trim() };
    const heif = brands.compatible.find((b) => HEIF_BRANDS.has(b));
    if (heif) return { kind: 'heif', brand: heif };
    return { kind: 'other' };
  }
  if (bytes.length >= 8 && QUICKTIME_FIRST_BOXES.has(latin1(bytes, 4, 4)) && hasMoov(bytes)) return { kind: 'video', brand: 'qt' };
  return { kind: 'other' };
}

/** Whether a `moov` box appears among the first top-level boxes (an old QuickTime file has no `ftyp`). */
function hasMoov(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0, n = 0; at + 8 <= bytes.length && n < 16; n++) {
    if (latin1(bytes, at + 4, 4) === 'moov') return true;
    let size = view.getUint32(at);
    if (size === 1 && at + 16 <= bytes.length) size = Number(view.getBigUint64(at + 8));
    if (size < 8) return false;
    at += size;
  }
  return false;
}
