/** One box of an ISO base media file (ISO/IEC 14496-12 §4.2): HEIF, AVIF, MP4, QuickTime, CR3. */
export interface Box {
  type: string;
  /** Where the box's content starts (after size, type and any uuid). */
  start: number;
  end: number;
  uuid?: string;
}

/** The whole file as the parent of its top-level boxes. */
export function fileBox(bytes: Uint8Array): Box {
  return { type: '', start: 0, end: bytes.length };
}

/** The boxes inside `parent` whose headers lie within `bytes`; a box may claim to end past the bytes (truncated). */
export function childBoxes(bytes: Uint8Array, parent: Box): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(parent.end, bytes.length);
  const boxes: Box[] = [];
  for (let at = parent.start; at + 8 <= end; ) {
    let size = view.getUint32(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = Number(view.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) {
      size = parent.end - at;
    }
    if (size < header) break;
    const box: Box = { type: latin1(bytes, at + 4, 4), start: at + header, end: at + size };
    if (box.type === 'uuid' && box.start + 16 <= end) {
      box.uuid = Buffer.from(bytes.subarray(box.start, box.start + 16)).toString('hex');
      box.start += 16;
    }
    boxes.push(box);
    at += size;
  }
  return boxes;
}

/** The first box found along a path of types (`['moov', 'trak']`), or undefined. */
export function findBox(bytes: Uint8Array, parent: Box, path: string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of path) {
    box = childBoxes(bytes, box).find((b) => b.type === type);
    if (!box) return undefined;
  }
  return box;
}

/** The `ftyp` box's major brand and compatible brands, or null when the file does not start with one. */
export function fileBrands(bytes: Uint8Array): { major: string; compatible: string[] } | null {
  if (bytes.length < 16 || latin1(bytes, 4, 4) !== 'ftyp') return null;
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (size < 16) return null;
  const end = Math.min(size, bytes.length);
  const compatible: string[] = [];
  for (let at = 16; at + 4 <= end; at += 4) compatible.push(latin1(bytes, at, 4));
  return { major: latin1(bytes, 8, 4), compatible };
}

export function latin1(bytes: Uint8Array, at: number, length: number): string {
  return Buffer.from(bytes.subarray(at, at + length)).toString('latin1');
}
