import exifr from 'exifr';
import { cr3ExifTiff, readCr3Head } from './cr3.js';

/**
 * What exifr reads: the two tags and nothing else, so that only the TIFF
 * header, IFD0's pointer and the Exif IFD are parsed (no XMP, ICC, IPTC,
 * thumbnail or maker notes). Values stay strings: revived, exifr would build
 * the Date in this process's time zone.
 */
/** EXIF tag numbers of DateTimeOriginal and OffsetTimeOriginal. */
const DATE_TIME_ORIGINAL = 0x9003;
const OFFSET_TIME_ORIGINAL = 0x9011;

type ExifrOptions = Exclude<Parameters<typeof exifr.parse>[1], boolean | unknown[] | undefined>;

const OPTIONS: ExifrOptions = {
  pick: ['DateTimeOriginal', 'OffsetTimeOriginal'],
  reviveValues: false,
  translateValues: false,
  ifd1: false,
  gps: false,
  interop: false,
  makerNote: false,
  userComment: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
};

/**
 * Which reading of a photo's metadata this code makes, stored with each image
 * (`images.metadata_version`): rows with a smaller one are read again from
 * their stored photo at start-up. Raise it when a new field is read.
 */
export const METADATA_VERSION = 1;

/** `2019:10:20 18:34:30` (EXIF 2.3 §4.6.5; some writers use `-` in the date). */
const DATE_TIME = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
/** `+02:00`, `-05:00` (EXIF 2.31 OffsetTimeOriginal); `Z` from a few writers. */
const OFFSET = /^(?:([+-])(\d{2}):(\d{2})|Z)$/;

/**
 * When a photo was taken: EXIF `DateTimeOriginal`, at `OffsetTimeOriginal`
 * where the camera wrote one. Without an offset the time is the camera's
 * clock as written, read as UTC (docs/api.md). Null when the photo has no
 * EXIF, no such tag, or one that is not a real date (cameras write
 * `0000:00:00 00:00:00` for "unset"); never throws, since a photo with broken
 * metadata is still a photo, except that a file path that cannot be read
 * throws its file system error. `source` is the bytes, or a file path, which
 * exifr reads in chunks, only as far as the tags. JPEG, HEIC/AVIF, PNG, TIFF
 * and TIFF-based RAW (DNG, CR2, NEF, ARW, ...) through exifr; Canon CR3 here.
 */
export async function readTakenAt(source: Uint8Array | string): Promise<Date | null> {
  let tags: { DateTimeOriginal?: unknown; OffsetTimeOriginal?: unknown } | undefined;
  try {
    tags = await exifr.parse(source, OPTIONS);
  } catch (err) {
    // A file that cannot be read is not a photo without a date: the caller decides.
    if (typeof source === 'string' && (err as NodeJS.ErrnoException).code) throw err;
    tags = await readCr3Tags(source).catch(() => undefined);
  }
  return parseExifDateTime(tags?.DateTimeOriginal, tags?.OffsetTimeOriginal);
}

/** The two tags of a Canon CR3 (which exifr does not read) from the Exif IFD Canon keeps in CMT2. */
async function readCr3Tags(source: Uint8Array | string): Promise<{ DateTimeOriginal?: unknown; OffsetTimeOriginal?: unknown } | undefined> {
  const head = typeof source === 'string' ? await readCr3Head(source) : source;
  const tiff = head && cr3ExifTiff(head);
  if (!tiff) return undefined;
  // CMT2's IFD0 is an Exif IFD: its tags are picked by number, under which exifr returns them.
  const tags = await exifr.parse(tiff, {
    ...OPTIONS,
    pick: undefined,
    exif: false,
    translateKeys: false,
    ifd0: { pick: [DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL] },
  });
  return { DateTimeOriginal: tags?.[DATE_TIME_ORIGINAL], OffsetTimeOriginal: tags?.[OFFSET_TIME_ORIGINAL] };
}

/** An EXIF date-time string and optional offset string as an instant, or null when they are not one. */
export function parseExifDateTime(dateTime: unknown, offset?: unknown): Date | null {
  if (typeof dateTime !== 'string') return null;
  const m = DATE_TIME.exec(dateTime.replace(/\0+$/, '').trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  // No photograph is older than 1826; a smaller year is a placeholder (and Date.UTC reads 0..99 as 19xx).
  if (year < 1800 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(utc);
  // Date.UTC rolls 31 February over into March: such a date is not one.
  if (date.getUTCDate() !== day || date.getUTCFullYear() !== year) return null;
  return new Date(utc - offsetMinutes(offset) * 60_000);
}

/** Minutes east of UTC; 0 when there is no usable offset. */
function offsetMinutes(offset: unknown): number {
  if (typeof offset !== 'string') return 0;
  const m = OFFSET.exec(offset.replace(/\0+$/, '').trim());
  if (!m?.[1]) return 0;
  if (Number(m[2]) > 14 || Number(m[3]) > 59) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}
