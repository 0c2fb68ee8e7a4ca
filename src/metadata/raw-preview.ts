import { childBoxes, fileBox, fileBrands, findBox, latin1 } from './iso-bmff.js';

/** Camera RAW formats whose embedded JPEG previews are read; `raw` is a TIFF-based RAW of another maker. */
export type RawFormat = 'dng' | 'cr2' | 'cr3' | 'nef' | 'arw' | 'raf' | 'orf' | 'rw2' | 'pef' | 'raw';

/** A JPEG inside a RAW file, as its headers place it. */
export interface RawPreview {
  jpeg: Uint8Array;
  /** Size from the JPEG's own frame header. */
  width: number;
  height: number;
  /** The RAW's EXIF orientation (1-8), for a preview whose JPEG carries none of its own. */
  orientation: number;
}

/** Previews smaller than this on their longer side are thumbnails: too small to find faces in. */
const MIN_PREVIEW_SIDE = 320;
/** CR3's `uuid` box holding the PRVW preview (ISO-BMFF, Canon). */
const CANON_PREVIEW_UUID = 'eaf42b5e1c984b88b9fbb7dc406e4d16';
const CANON_METADATA_UUID = '85c0b687820f11e08111f4ce462b6a48';

/** The RAW format of a file from its header, or null when it is no RAW (a plain TIFF, a JPEG, ...). */
export function rawFormatOf(bytes: Uint8Array): RawFormat | null {
  if (bytes.length < 16) return null;
  const head = latin1(bytes, 0, 16);
  if (head.startsWith('FUJIFILMCCD-RAW')) return 'raf';
  if (head.startsWith('IIRO') || head.startsWith('MMOR') || head.startsWith('IIRS')) return 'orf';
  if (head.startsWith('IIU\0')) return 'rw2';
  if (fileBrands(bytes)?.major === 'crx ') return 'cr3';
  const tiff = Tiff.open(bytes, 0);
  if (!tiff) return null;
  if (head.slice(8, 10) === 'CR' && bytes[10] === 2) return 'cr2';
  const ifd0 = tiff.ifd(tiff.firstIfd);
  if (ifd0.has(0xc612)) return 'dng';
  const isRaw = tiff.allIfds().some((ifd) => [32803, 34892].includes(ifd.number(262) ?? 0));
  if (!isRaw) return null;
  const make = (ifd0.text(271) ?? '').toUpperCase();
  if (make.startsWith('NIKON')) return 'nef';
  if (make.startsWith('SONY')) return 'arw';
  if (make.startsWith('PENTAX') || make.startsWith('RICOH')) return 'pef';
  if (make.startsWith('CANON')) return 'cr2';
  if (make.startsWith('OLYMPUS') || make.startsWith('OM ')) return 'orf';
  if (make.startsWith('PANASONIC')) return 'rw2';
  return 'raw';
}

/**
 * The largest usable JPEG preview of a RAW file: TIFF-based RAWs (DNG, CR2, NEF, ARW, ORF, RW2,
 * PEF) through every IFD, SubIFD and the JPEG-from-RAW tags; CR3 through its tracks and the PRVW
 * box; RAF through its header. A preview is usable when it lies wholly in the file, starts as a
 * JPEG and is not a thumbnail. Otherwise the reason, in words, for the refusal.
 */
export function largestRawPreview(bytes: Uint8Array, format: RawFormat): RawPreview | { reason: string } {
  const found: Candidate[] = [];
  let orientation = 1;
  if (format === 'cr3') {
    orientation = cr3Previews(bytes, found);
  } else if (format === 'raf') {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length >= 92) found.push({ offset: view.getUint32(84), length: view.getUint32(88), what: 'RAF preview' });
  } else {
    orientation = tiffPreviews(bytes, found);
  }
  if (found.length === 0) return { reason: 'it holds no JPEG preview' };
  const problems: string[] = [];
  const usable: RawPreview[] = [];
  for (const c of found) {
    if (c.offset <= 0 || c.length <= 0 || c.offset + c.length > bytes.length) {
      problems.push(
        `its ${c.what} lies outside the file (${c.offset + c.length > bytes.length ? 'the file is truncated or pruned' : 'a bad offset'})`,
      );
      continue;
    }
    const jpeg = bytes.subarray(c.offset, c.offset + c.length);
    const size = jpegSize(jpeg);
    if (!size) {
      problems.push(`its ${c.what} is not a readable JPEG`);
      continue;
    }
    if (Math.max(size.width, size.height) < MIN_PREVIEW_SIDE) {
      problems.push(`its ${c.what} is only a ${size.width}x${size.height} thumbnail`);
      continue;
    }
    usable.push({ jpeg, ...size, orientation });
  }
  usable.sort((a, b) => b.width * b.height - a.width * a.height);
  return usable[0] ?? { reason: [...new Set(problems)].join('; ') };
}

interface Candidate {
  offset: number;
  length: number;
  what: string;
}

/** Candidates of a TIFF-based RAW; returns IFD0's orientation. */
function tiffPreviews(bytes: Uint8Array, found: Candidate[]): number {
  // ORF and RW2 change the TIFF magic number but keep the layout.
  const tiff = Tiff.open(bytes, 0, true);
  if (!tiff) return 1;
  const ifd0 = tiff.ifd(tiff.firstIfd);
  for (const ifd of tiff.allIfds()) {
    const start = ifd.number(513);
    const length = ifd.number(514);
    if (start !== undefined && length !== undefined) found.push({ offset: start, length, what: 'JPEG preview' });
    const compression = ifd.number(259);
    const photometric = ifd.number(262) ?? 0;
    const strips = ifd.numbers(273);
    const counts = ifd.numbers(279);
    // Compression 6/7 is JPEG; a CFA or linear-raw IFD holds the sensor data (lossless JPEG), not a picture.
    if ((compression === 6 || compression === 7) && ![32803, 34892].includes(photometric) && strips.length === 1 && counts.length === 1) {
      found.push({ offset: strips[0], length: counts[0], what: `${ifd.number(254) === 0 ? 'full-size' : 'preview'} JPEG` });
    }
    // RW2 keeps its JPEG inside tag 0x2E (JpgFromRaw) of IFD0.
    const blob = ifd.blob(0x2e);
    if (blob) found.push({ offset: blob.offset, length: blob.length, what: 'JPEG from RAW' });
  }
  return ifd0.number(274) ?? 1;
}

/** Candidates of a CR3: the first sample of each track that is a JPEG (track 1: the full-size one), the PRVW box. */
function cr3Previews(bytes: Uint8Array, found: Candidate[]): number {
  const root = fileBox(bytes);
  const moov = findBox(bytes, root, ['moov']);
  let orientation = 1;
  if (moov) {
    for (const [index, trak] of childBoxes(bytes, moov)
      .filter((b) => b.type === 'trak')
      .entries()) {
      const stbl = findBox(bytes, trak, ['mdia', 'minf', 'stbl']);
      if (!stbl) continue;
      const boxes = childBoxes(bytes, stbl);
      const co64 = boxes.find((b) => b.type === 'co64');
      const stco = boxes.find((b) => b.type === 'stco');
      const stsz = boxes.find((b) => b.type === 'stsz');
      if (!stsz || stsz.start + 16 > bytes.length) continue;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let offset: number | undefined;
      if (co64 && co64.start + 16 <= bytes.length) offset = Number(view.getBigUint64(co64.start + 8));
      else if (stco && stco.start + 12 <= bytes.length) offset = view.getUint32(stco.start + 8);
      let size = view.getUint32(stsz.start + 4);
      if (size === 0 && stsz.start + 16 <= bytes.length) size = view.getUint32(stsz.start + 12);
      if (offset === undefined) continue;
      // Track 1 is the full-size JPEG; tracks 2-4 hold sensor data (CRX) and metadata, so only a JPEG among them counts.
      if (isJpegStart(bytes, offset) || (index === 0 && offset + 3 > bytes.length))
        found.push({ offset, length: size, what: 'full-size JPEG' });
    }
    const canon = childBoxes(bytes, moov).find((b) => b.uuid === CANON_METADATA_UUID);
    const cmt1 = canon && childBoxes(bytes, canon).find((b) => b.type === 'CMT1');
    const tiff = cmt1 && Tiff.open(bytes.subarray(cmt1.start, Math.min(cmt1.end, bytes.length)), 0);
    if (tiff) orientation = tiff.ifd(tiff.firstIfd).number(274) ?? 1;
  }
  const holder = childBoxes(bytes, root).find((b) => b.uuid === CANON_PREVIEW_UUID);
  // The uuid box's content starts with 8 bytes of its own before the PRVW box.
  const prvw = holder && childBoxes(bytes, { ...holder, start: holder.start + 8 }).find((b) => b.type === 'PRVW');
  if (prvw) {
    const end = Math.min(prvw.end, bytes.length);
    for (let at = prvw.start; at + 3 <= Math.min(end, prvw.start + 64); at++) {
      if (isJpegStart(bytes, at)) {
        found.push({ offset: at, length: prvw.end - at, what: 'PRVW preview' });
        break;
      }
    }
  }
  return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

function isJpegStart(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0xff && bytes[at + 1] === 0xd8 && bytes[at + 2] === 0xff;
}

/** Width and height from a JPEG's first frame header (SOF0-15 but DHT/JPG/DAC), or null when none is found. */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | null {
  if (!isJpegStart(jpeg, 0)) return null;
  let at = 2;
  while (at + 9 <= jpeg.length) {
    if (jpeg[at] !== 0xff) return null;
    const marker = jpeg[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (jpeg[at + 5] << 8) | jpeg[at + 6];
      const width = (jpeg[at + 7] << 8) | jpeg[at + 8];
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xd9 || marker === 0xda || length < 2) return null;
    at += 2 + length;
  }
  return null;
}

/** An IFD's entries: tag -> (type, count, where the value lies). */
class Ifd {
  constructor(
    private readonly tiff: Tiff,
    readonly entries: Map<number, { type: number; count: number; at: number }>,
  ) {}

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  number(tag: number): number | undefined {
    return this.numbers(tag)[0];
  }

  numbers(tag: number): number[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    const size = e.type === 3 ? 2 : e.type === 4 || e.type === 13 ? 4 : e.type === 1 || e.type === 7 ? 1 : 0;
    if (!size) return [];
    const out: number[] = [];
    for (let i = 0; i < Math.min(e.count, 4096); i++) {
      const at = e.at + i * size;
      if (at + size > this.tiff.view.byteLength) break;
      out.push(
        size === 2
          ? this.tiff.view.getUint16(at, this.tiff.little)
          : size === 4
            ? this.tiff.view.getUint32(at, this.tiff.little)
            : this.tiff.view.getUint8(at),
      );
    }
    return out;
  }

  text(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (e?.type !== 2) return undefined;
    return latin1(this.tiff.bytes, e.at, Math.min(e.count, 256)).replace(/\0.*$/s, '');
  }

  /** Where an UNDEFINED (type 7) tag's bytes lie. */
  blob(tag: number): { offset: number; length: number } | undefined {
    const e = this.entries.get(tag);
    return e && e.type === 7 && e.count > 4 ? { offset: e.at, length: e.count } : undefined;
  }
}

/** A TIFF structure (TIFF 6.0 §2) read defensively: offsets are checked, loops and depth bounded. */
class Tiff {
  readonly view: DataView;

  private constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean,
    readonly firstIfd: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A TIFF header at `at`; with `anyMagic`, the ORF/RW2 variants of the magic number too. */
  static open(bytes: Uint8Array, at: number, anyMagic = false): Tiff | null {
    if (bytes.length < at + 8) return null;
    const order = latin1(bytes, at, 2);
    if (order !== 'II' && order !== 'MM') return null;
    const little = order === 'II';
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, bytes.byteLength - at);
    const magic = view.getUint16(2, little);
    if (magic !== 42 && !(anyMagic && [0x4f52, 0x5352, 0x55].includes(magic))) return null;
    return new Tiff(bytes.subarray(at), little, view.getUint32(4, little));
  }

  ifd(offset: number): Ifd {
    const entries = new Map<number, { type: number; count: number; at: number }>();
    if (offset < 8 || offset + 2 > this.view.byteLength) return new Ifd(this, entries);
    const n = this.view.getUint16(offset, this.little);
    for (let i = 0; i < Math.min(n, 1024); i++) {
      const e = offset + 2 + i * 12;
      if (e + 12 > this.view.byteLength) break;
      const tag = this.view.getUint16(e, this.little);
      const type = this.view.getUint16(e + 2, this.little);
      const count = this.view.getUint32(e + 4, this.little);
      const unit = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4][type] ?? 1;
      const at = unit * count <= 4 ? e + 8 : this.view.getUint32(e + 8, this.little);
      entries.set(tag, { type, count, at });
    }
    return new Ifd(this, entries);
  }

  /** IFD0's chain and every SubIFD (tag 330) under them, each once, at most 64. */
  allIfds(): Ifd[] {
    const seen = new Set<number>();
    const out: Ifd[] = [];
    const pending = [this.firstIfd];
    while (pending.length > 0 && out.length < 64) {
      const offset = pending.shift()!;
      if (seen.has(offset) || offset < 8 || offset + 2 > this.view.byteLength) continue;
      seen.add(offset);
      const ifd = this.ifd(offset);
      out.push(ifd);
      pending.push(...ifd.numbers(330));
      const n = this.view.getUint16(offset, this.little);
      const next = offset + 2 + n * 12;
      if (next + 4 <= this.view.byteLength) pending.push(this.view.getUint32(next, this.little));
    }
    return out;
  }
}
