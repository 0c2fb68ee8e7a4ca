import fs from 'node:fs/promises';
import { type Box, childBoxes, latin1 } from './iso-bmff.js';

/** Canon's metadata box in a CR3's `moov` (its CMT1..CMT4 hold TIFF structures). */
const CANON_UUID = '85c0b687820f11e08111f4ce462b6a48';
/** A CR3's `moov` comes first and is tens of kilobytes (a thumbnail inside); more is not metadata. */
const MAX_MOOV = 16 * 1024 * 1024;
const FIRST_READ = 64 * 1024;

/**
 * The TIFF block holding a Canon CR3's Exif IFD (moov / Canon uuid / CMT2:
 * a TIFF header whose IFD0 is the Exif IFD), or null when `bytes` is not a
 * CR3 or ends before it. exifr reads JPEG, HEIC and TIFF-based RAW, not CR3.
 */
export function cr3ExifTiff(bytes: Uint8Array): Uint8Array | null {
  const moov = cr3Moov(bytes);
  if (!moov || moov.end > bytes.length) return null;
  const canon = childBoxes(bytes, moov).find((b) => b.type === 'uuid' && b.uuid === CANON_UUID);
  const cmt2 = canon && childBoxes(bytes, canon).find((b) => b.type === 'CMT2');
  return cmt2 ? bytes.subarray(cmt2.start, cmt2.end) : null;
}

/** The start of a CR3 file, as far as its metadata goes (the end of `moov`); null when it is not a CR3. */
export async function readCr3Head(file: string): Promise<Uint8Array | null> {
  const handle = await fs.open(file, 'r');
  try {
    const first = new Uint8Array(FIRST_READ);
    const { bytesRead } = await handle.read(first, 0, FIRST_READ, 0);
    const head = first.subarray(0, bytesRead);
    const moov = cr3Moov(head);
    if (!moov || moov.end > MAX_MOOV) return null;
    if (moov.end <= head.length) return head;
    const all = new Uint8Array(moov.end);
    const more = await handle.read(all, 0, moov.end, 0);
    return all.subarray(0, more.bytesRead);
  } finally {
    await handle.close();
  }
}

/** The `moov` box of a file whose `ftyp` names the `crx ` brand, as far as its header says. */
function cr3Moov(bytes: Uint8Array): Box | null {
  const top = childBoxes(bytes, { type: '', start: 0, end: Number.MAX_SAFE_INTEGER });
  if (top[0]?.type !== 'ftyp' || latin1(bytes, top[0].start, 4) !== 'crx ') return null;
  return top.find((b) => b.type === 'moov') ?? null;
}
