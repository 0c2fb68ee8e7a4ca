import exifr from 'exifr';
import sharp from 'sharp';
import type { Box } from '../vision/types.js';

/**
 * Named face regions of a photo's XMP (MWG regions, or Microsoft People
 * Tagging when there are none), read with exifr, and the MWG packet facegraph
 * writes back. Bytes in, regions out: nothing here knows of storage.
 *
 * Frames: MWG 2.0 (Guidelines for Handling Image Metadata, 5.9 Image Region
 * Metadata) says region metadata applies to the stored image, and that applying
 * the Exif Orientation must rotate the regions as well. So regions read are
 * turned upright with the photo's orientation (the frame of every facegraph
 * box), and regions written are turned back into the stored pixels' frame.
 */

/** A named face region, normalised ([0, 1]) to the upright photo, top-left corner and size. */
export interface XmpRegion {
  name: string;
  box: Box;
  /** Which schema it came from. */
  schema: 'mwg' | 'mp';
}

export interface XmpRegionsResult {
  regions: XmpRegion[];
  /** Why some or all of the XMP was ignored (empty when none was). */
  warnings: string[];
}

/** Bigger packets are ignored: exifr parses ~2 KB/ms on the main thread, and a face-region packet is a few KB. */
export const MAX_XMP_BYTES = 128 * 1024;
/** Deeper element nesting is ignored: exifr recurses per level (stack overflow near 1,000), real XMP nests ~10. */
export const MAX_XMP_DEPTH = 64;
/** Regions per photo read at most (FACEGRAPH_MAX_FACES is 100 by default). */
const MAX_REGIONS = 200;
/** The longest name a person may have (PeopleService). */
const MAX_NAME_LENGTH = 200;

const MWG_REGIONS_NS = 'http://www.metadataworkinggroup.com/schemas/regions/';
const MP_NS = 'http://ns.microsoft.com/photo/1.2/';

/**
 * The named face regions of a photo's XMP, upright. Never throws: malformed,
 * oversized or hostile XMP (a DTD, entity references, deep nesting, bad
 * numbers) gives no regions and a warning; a bad region alone is skipped
 * with one.
 */
export async function readXmpRegions(bytes: Uint8Array): Promise<XmpRegionsResult> {
  let meta: sharp.Metadata;
  try {
    // The header only: sharp hands back the XMP packet of any accepted format, with orientation and stored size.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return { regions: [], warnings: [] }; // not an image: decoding reports that
  }
  if (!meta.xmp || meta.xmp.length === 0) return { regions: [], warnings: [] };
  return regionsFromPacket(meta.xmp, {
    orientation: meta.orientation ?? 1,
    storedWidth: meta.width ?? 0,
    storedHeight: meta.height ?? 0,
  });
}

export interface PacketFrame {
  /** EXIF orientation, 1..8. */
  orientation: number;
  /** Size of the stored pixels (before orientation). */
  storedWidth: number;
  storedHeight: number;
}

/** The named face regions of one XMP packet; see {@link readXmpRegions}. */
export async function regionsFromPacket(packet: Uint8Array, frame: PacketFrame): Promise<XmpRegionsResult> {
  const warnings: string[] = [];
  const refused = (why: string): XmpRegionsResult => ({ regions: [], warnings: [`XMP ignored: ${why}`] });
  if (packet.length > MAX_XMP_BYTES) return refused(`${packet.length} bytes, more than ${MAX_XMP_BYTES}`);
  const text = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength).toString('utf8');
  // XMP has no use for a DTD, and a DTD is what entity expansion needs.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return refused('it declares a DTD or entities');
  const depth = nestingDepth(text);
  if (depth > MAX_XMP_DEPTH) return refused(`elements nested ${depth} deep, more than ${MAX_XMP_DEPTH}`);
  let xmp: Record<string, unknown> | undefined;
  try {
    xmp = (await exifr.sidecar(Buffer.from(text), { xmp: true } as never, 'xmp')) as Record<string, unknown> | undefined;
  } catch (err) {
    return refused(`not readable (${(err as Error).message.split('\n')[0]})`);
  }
  if (!xmp || typeof xmp !== 'object') return { regions: [], warnings };

  const prefixes = (ns: string, fallback: string): string[] => {
    const declared = Object.entries(asObject(xmp.xmlns) ?? {})
      .filter(([, uri]) => uri === ns)
      .map(([prefix]) => prefix);
    return declared.length > 0 ? declared : [fallback];
  };
  let raw = prefixes(MWG_REGIONS_NS, 'mwg-rs').flatMap((p) => mwgRegions(asObject(xmp[p])));
  let schema: XmpRegion['schema'] = 'mwg';
  // MWG first, People Tagging as the fallback: digiKam and others write both for the same faces.
  if (raw.length === 0) {
    raw = prefixes(MP_NS, 'MP').flatMap((p) => mpRegions(asObject(xmp[p])));
    schema = 'mp';
  }
  if (raw.length > MAX_REGIONS) {
    warnings.push(`XMP: ${raw.length} regions, only the first ${MAX_REGIONS} read`);
    raw = raw.slice(0, MAX_REGIONS);
  }
  const regions: XmpRegion[] = [];
  for (const r of raw) {
    const name = cleanName(r.name);
    if (name === undefined) continue; // unnamed: names nothing
    if (typeof name !== 'string') {
      warnings.push(`XMP region skipped: ${name.error}`);
      continue;
    }
    const stored = r.box;
    if (!stored) {
      warnings.push(`XMP region "${name}" skipped: no valid normalised area`);
      continue;
    }
    regions.push({ name, box: toUpright(stored, frame, r.appliedTo), schema });
  }
  return { regions, warnings };
}

/** A region as the XMP holds it: normalised to the frame it was written in, top-left corner and size. */
interface RawRegion {
  name: unknown;
  box: Box | undefined;
  /** MWG AppliedToDimensions, when given. */
  appliedTo?: { w: number; h: number };
}

function mwgRegions(ns: Record<string, unknown> | undefined): RawRegion[] {
  const regions = asObject(ns?.Regions);
  if (!regions) return [];
  const dims = asObject(regions.AppliedToDimensions);
  const w = Number(dims?.w);
  const h = Number(dims?.h);
  const appliedTo = Number.isFinite(w) && Number.isFinite(h) && w > 0 && h > 0 ? { w, h } : undefined;
  return asList(regions.RegionList)
    .map(asObject)
    .filter((r): r is Record<string, unknown> => r !== undefined && r.Type === 'Face')
    .map((r) => {
      const area = asObject(r.Area);
      const unit = area?.unit;
      const [x, y, aw, ah] = [area?.x, area?.y, area?.w, area?.h].map(Number);
      // stArea is the centre and the size.
      const box = unit === undefined || unit === 'normalized' ? normalisedBox(x - aw / 2, y - ah / 2, aw, ah) : undefined;
      return { name: r.Name, box, appliedTo };
    });
}

function mpRegions(ns: Record<string, unknown> | undefined): RawRegion[] {
  const info = asObject(ns?.RegionInfo);
  return asList(info?.Regions)
    .map(asObject)
    .filter((r): r is Record<string, unknown> => r !== undefined)
    .map((r) => {
      // MPReg:Rectangle is "x, y, w, h": the top-left corner and the size.
      const parts = typeof r.Rectangle === 'string' ? r.Rectangle.split(',').map((s) => Number(s.trim())) : [];
      const box = parts.length === 4 ? normalisedBox(parts[0], parts[1], parts[2], parts[3]) : undefined;
      return { name: r.PersonDisplayName, box };
    });
}

/** A box inside [0, 1]², clipped to it; undefined for NaN, empty or wholly outside areas. */
function normalisedBox(x: number, y: number, w: number, h: number): Box | undefined {
  if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) return undefined;
  const left = Math.max(0, x);
  const top = Math.max(0, y);
  const right = Math.min(1, x + w);
  const bottom = Math.min(1, y + h);
  if (right - left <= 0 || bottom - top <= 0) return undefined;
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The stored-frame box turned upright. A region whose AppliedToDimensions are
 * the upright size of a sideways photo (width and height swapped against the
 * stored pixels) was written in the displayed frame, as some tools did before
 * following MWG, and is taken as it is.
 */
function toUpright(box: Box, frame: PacketFrame, appliedTo?: { w: number; h: number }): Box {
  const o = frame.orientation;
  if (o < 2 || o > 8) return box;
  if (o >= 5 && appliedTo && frame.storedWidth !== frame.storedHeight) {
    const uprightW = frame.storedHeight;
    const uprightH = frame.storedWidth;
    if (
      sameAspect(appliedTo.w, appliedTo.h, uprightW, uprightH) &&
      !sameAspect(appliedTo.w, appliedTo.h, frame.storedWidth, frame.storedHeight)
    ) {
      return box;
    }
  }
  return transformBox(box, (u, v) => orientPoint(o, u, v));
}

/** The other way: an upright box into the stored pixels' frame. */
export function toStoredFrame(box: Box, orientation: number): Box {
  if (orientation < 2 || orientation > 8) return box;
  return transformBox(box, (u, v) => unorientPoint(orientation, u, v));
}

/** Where a normalised point of the stored pixels is once EXIF orientation `o` is applied. */
export function orientPoint(o: number, u: number, v: number): [number, number] {
  switch (o) {
    case 2: // mirror horizontal
      return [1 - u, v];
    case 3: // rotate 180
      return [1 - u, 1 - v];
    case 4: // mirror vertical
      return [u, 1 - v];
    case 5: // transpose
      return [v, u];
    case 6: // rotate 90 CW
      return [1 - v, u];
    case 7: // transverse
      return [1 - v, 1 - u];
    case 8: // rotate 270 CW
      return [v, 1 - u];
    default:
      return [u, v];
  }
}

/** The inverse of {@link orientPoint}. */
function unorientPoint(o: number, u: number, v: number): [number, number] {
  switch (o) {
    case 6:
      return [v, 1 - u];
    case 8:
      return [1 - v, u];
    default:
      return orientPoint(o, u, v); // the others are their own inverses
  }
}

function transformBox(box: Box, f: (u: number, v: number) => [number, number]): Box {
  const [ax, ay] = f(box.x, box.y);
  const [bx, by] = f(box.x + box.width, box.y + box.height);
  return { x: Math.min(ax, bx), y: Math.min(ay, by), width: Math.abs(bx - ax), height: Math.abs(by - ay) };
}

function sameAspect(w1: number, h1: number, w2: number, h2: number): boolean {
  return Math.abs(w1 / h1 - w2 / h2) < 0.01 * (w2 / h2);
}

/** The name as a person's name, or why it cannot be one; undefined when there is none. */
function cleanName(value: unknown): string | { error: string } | undefined {
  if (typeof value === 'number') value = String(value); // exifr revives "2024" as a number
  if (typeof value !== 'string') return undefined;
  // Any other entity reference was never declared (XMP has no DTD): refuse it rather than store "&lol9;".
  if (/&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-f]+);)[^\s;]*;/i.test(value))
    return { error: 'its name holds an undeclared entity reference' };
  const name = decodeXmlText(value)
    .replace(/\p{Cc}/gu, ' ')
    .trim();
  if (name === '') return undefined;
  if (name.length > MAX_NAME_LENGTH) return { error: `its name is longer than ${MAX_NAME_LENGTH} characters` };
  return name;
}

/** exifr leaves character references as they are: the five XML entities and numeric references, decoded. */
function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    const lower = ref.toLowerCase();
    if (lower.startsWith('#')) {
      const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number.parseInt(lower.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? whole;
  });
}

/** Deepest element nesting, by tags alone (a guard before exifr, not a parse): unclosed tags count as open. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const m of text.matchAll(/<(\/?)[A-Za-z_][^<>]*?(\/?)>/g)) {
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (!m[2]) deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** exifr gives a one-item rdf:Bag as the item itself. */
function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/** A named region to write, normalised to the upright photo (top-left corner and size). */
export interface SidecarRegion {
  name: string;
  box: Box;
}

/**
 * An XMP packet with one MWG face region per named face, in the stored
 * pixels' frame (see the module comment) with their AppliedToDimensions.
 */
export function writeXmpSidecar(regions: SidecarRegion[], stored: PacketFrame): string {
  const list = regions
    .map(({ name, box }) => {
      const b = toStoredFrame(box, stored.orientation);
      const n = (v: number) => String(Math.round(Math.min(1, Math.max(0, v)) * 1e6) / 1e6);
      return [
        '     <rdf:li>',
        `      <rdf:Description mwg-rs:Name="${escapeXml(name)}" mwg-rs:Type="Face">`,
        `       <mwg-rs:Area stArea:x="${n(b.x + b.width / 2)}" stArea:y="${n(b.y + b.height / 2)}" stArea:w="${n(b.width)}" stArea:h="${n(b.height)}" stArea:unit="normalized"/>`,
        '      </rdf:Description>',
        '     </rdf:li>',
      ].join('\n');
    })
    .join('\n');
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="facegraph">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    `    xmlns:mwg-rs="${MWG_REGIONS_NS}"`,
    '    xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#"',
    '    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">',
    '   <mwg-rs:Regions rdf:parseType="Resource">',
    `    <mwg-rs:AppliedToDimensions stDim:w="${stored.storedWidth}" stDim:h="${stored.storedHeight}" stDim:unit="pixel"/>`,
    '    <mwg-rs:RegionList>',
    '     <rdf:Bag>',
    list,
    '     </rdf:Bag>',
    '    </mwg-rs:RegionList>',
    '   </mwg-rs:Regions>',
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="r"?>',
  ].join('\n');
}

/** Text for an XML attribute: the markup characters escaped, characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const allowed =
      code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code < 0xd800) || (code > 0xdfff && code < 0xfffe) || code > 0xffff;
    if (allowed) out += XML_ESCAPES[ch] ?? ch;
  }
  return out;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** The orientation and stored pixel size of a photo, from its header. */
export async function readPhotoFrame(bytes: Uint8Array): Promise<PacketFrame> {
  const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  return { orientation: meta.orientation ?? 1, storedWidth: meta.width ?? 0, storedHeight: meta.height ?? 0 };
}
