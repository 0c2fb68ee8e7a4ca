import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PayloadTooLargeError, UnsupportedImageError } from '../errors.js';
import { childBoxes, fileBox, findBox } from '../metadata/iso-bmff.js';

/** 8-bit RGB pixels, rows packed (no padding): width * height * 3 bytes, R G B. */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A HEIF file's primary image, upright: its size, and its pixels at that size or, on request, half of it. */
export interface HeifPixels {
  width: number;
  height: number;
  pixels: RgbPixels;
}

export interface HeifDecodeOptions {
  /**
   * Pixels at half the size are welcome while their longer side stays at least this: an 8-bit
   * 4:2:0 image then comes as each 2x2 block of luma averaged with the block's chroma sample,
   * one pass over a quarter of the pixels instead of libheif's full-size colour conversion.
   */
  minSide?: number;
}

/** The part of libheif-js's embind module this file calls (its own .d.ts types every result as `any`). */
interface HeifError {
  code: { value: number };
  message: string;
}
export interface HeifChannel {
  id: { value: number };
  width: number;
  height: number;
  stride: number;
  bits_per_pixel: number;
  data: Uint8Array;
}
interface LibHeif {
  ready?: Promise<unknown>;
  heif_context_alloc(): object;
  heif_context_free(ctx: object): void;
  heif_context_read_from_memory(ctx: object, bytes: Uint8Array): HeifError;
  heif_js_context_get_primary_image_handle(ctx: object): object | HeifError;
  heif_image_handle_get_width(handle: object): number;
  heif_image_handle_get_height(handle: object): number;
  heif_image_handle_release(handle: object): void;
  heif_js_decode_image2(handle: object, colorspace: unknown, chroma: unknown): { image: object; channels: HeifChannel[] } | HeifError;
  heif_image_release(image: object): void;
  heif_colorspace: { heif_colorspace_RGB: unknown; heif_colorspace_YCbCr: unknown };
  heif_chroma: { heif_chroma_interleaved_RGB: unknown; heif_chroma_420: unknown };
  _malloc(size: number): number;
  _free(pointer: number): void;
  _heif_image_get_nclx_color_profile(error: number, image: number, out: number): void;
  _heif_decode_image(error: number, handle: number, out: number, colorspace: number, chroma: number, options: number): void;
  _heif_image_get_plane_readonly2(image: number, channel: number, stride: number): number;
  _heif_image_get_width(image: number, channel: number): number;
  _heif_image_get_height(image: number, channel: number): number;
  _heif_image_get_bits_per_pixel_range(image: number, channel: number): number;
  _heif_image_release(image: number): void;
  _heif_nclx_color_profile_free(profile: number): void;
  HEAPU8: Uint8Array;
}

const require = createRequire(import.meta.url);
let loading: Promise<LibHeif> | undefined;

/**
 * libheif (with libde265 for HEVC) as WebAssembly, instantiated once per thread on first use. The
 * package's own `libheif-js/wasm` entry reads its .wasm from the working directory, so the file is
 * found beside the loader instead.
 */
function libheif(): Promise<LibHeif> {
  loading ??= (async () => {
    const entry = require.resolve('libheif-js/libheif-wasm/libheif.js');
    const factory = require(entry) as (options: { wasmBinary: Uint8Array }) => LibHeif;
    const module = factory({ wasmBinary: readFileSync(path.join(path.dirname(entry), 'libheif.wasm')) });
    await module.ready;
    return module;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

function isError(value: unknown): value is HeifError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value && !('channels' in value);
}

/**
 * The primary image of a HEIF file (HEIC: HEVC, a grid of tiles or one image) as upright RGB:
 * libheif applies `irot`/`imir`/`clap` and the nclx matrix. The size is read from the header
 * (`ispe`) and checked against `maxPixels` before anything is decoded. A malformed file is
 * refused UNSUPPORTED_IMAGE; an abort inside the WebAssembly (a hostile file) also drops the
 * module, since its memory can no longer be trusted, and the next photo loads it anew.
 */
export async function decodeHeif(bytes: Uint8Array, maxPixels: number, options: HeifDecodeOptions = {}): Promise<HeifPixels> {
  const heif = await libheif();
  let ctx: object | undefined;
  let handle: object | undefined;
  let image: object | undefined;
  let aborted = false;
  try {
    ctx = heif.heif_context_alloc();
    const read = heif.heif_context_read_from_memory(ctx, bytes);
    if (read.code.value !== 0) throw new UnsupportedImageError(`cannot read heif file: ${read.message}`, { format: 'heif' });
    const primary = heif.heif_js_context_get_primary_image_handle(ctx);
    if (isError(primary)) throw new UnsupportedImageError(`heif file has no usable primary image: ${primary.message}`, { format: 'heif' });
    handle = primary;
    const width = heif.heif_image_handle_get_width(handle);
    const height = heif.heif_image_handle_get_height(handle);
    if (!(width > 0 && height > 0)) throw new UnsupportedImageError('heif image declares no size', { format: 'heif' });
    if (width * height > maxPixels) {
      throw new PayloadTooLargeError(`image has ${width}x${height} pixels, more than the limit of ${maxPixels}`, {
        width,
        height,
        maxPixels,
      });
    }
    // libheif-js's planes of a turned, mirrored or cropped 4:2:0 image come with wrong lengths: those take the RGB path.
    if (options.minSide !== undefined && Math.max(width, height) >= 2 * options.minSide && !transformed(bytes)) {
      const half = halfSizeDecode(heif, handle);
      if (half) return half;
    }
    const decoded = await heif.heif_js_decode_image2(
      handle,
      heif.heif_colorspace.heif_colorspace_RGB,
      heif.heif_chroma.heif_chroma_interleaved_RGB,
    );
    if (!decoded || isError(decoded)) {
      throw new UnsupportedImageError(`cannot decode heif image: ${decoded?.message || 'the decoder gave no image'}`, { format: 'heif' });
    }
    image = decoded.image;
    const plane = decoded.channels.find((c) => c.id.value === 10);
    if (!plane || plane.width <= 0 || plane.height <= 0)
      throw new UnsupportedImageError('cannot decode heif image: no RGB plane', { format: 'heif' });
    const pixels = { width: plane.width, height: plane.height, data: packRows(plane) };
    return { width: pixels.width, height: pixels.height, pixels };
  } catch (err) {
    if (err instanceof UnsupportedImageError || err instanceof PayloadTooLargeError) throw err;
    aborted = true;
    loading = undefined;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new UnsupportedImageError(`cannot decode heif image: the decoder failed (${message})`, { format: 'heif' });
  } finally {
    if (!aborted) {
      if (image) heif.heif_image_release(image);
      if (handle) heif.heif_image_handle_release(handle);
      if (ctx) heif.heif_context_free(ctx);
    }
  }
}

/** A copy of the plane out of the WebAssembly heap (the view dies with the image), without row padding. */
function packRows(plane: HeifChannel): Uint8Array {
  const row = plane.width * 3;
  if (plane.stride === row) return plane.data.slice(0, row * plane.height);
  const out = new Uint8Array(row * plane.height);
  for (let y = 0; y < plane.height; y++) out.set(plane.data.subarray(y * plane.stride, y * plane.stride + row), y * row);
  return out;
}

/** The YCbCr -> RGB matrix (H.273 matrix_coefficients) and range of a decoded image. */
export interface Nclx {
  matrix: number;
  fullRange: boolean;
}

/**
 * The image's nclx profile (from its `colr` box or the HEVC stream's VUI), read through libheif's
 * C API, which the embind layer does not wrap; without one, libheif's own default (BT.601, full range).
 */
function nclxOf(heif: LibHeif, pointer: number): Nclx {
  const fallback = { matrix: 6, fullRange: true };
  const error = heif._malloc(16);
  const out = heif._malloc(4);
  try {
    const view = () => new DataView(heif.HEAPU8.buffer);
    view().setUint32(out, 0, true);
    heif._heif_image_get_nclx_color_profile(error, pointer, out);
    const profile = view().getUint32(out, true);
    if (view().getInt32(error, true) !== 0 || !profile) return fallback;
    // struct heif_color_profile_nclx: uint8 version; enums primaries, transfer, matrix (int32 each); uint8 full_range_flag.
    const nclx = { matrix: view().getInt32(profile + 12, true), fullRange: view().getUint8(profile + 16) !== 0 };
    heif._heif_nclx_color_profile_free(profile);
    return nclx;
  } finally {
    heif._free(error);
    heif._free(out);
  }
}

/** Kr, Kb of H.273's matrices: BT.709 (1), BT.601 (5, 6), SMPTE 240 (7), BT.2020 (9, 10); others as BT.601. */
function lumaWeights(matrix: number): [number, number] {
  if (matrix === 1) return [0.2126, 0.0722];
  if (matrix === 7) return [0.212, 0.087];
  if (matrix === 9 || matrix === 10) return [0.2627, 0.0593];
  return [0.299, 0.114];
}

/**
 * The primary image decoded to 4:2:0 through libheif's C API and turned into half-size RGB, or null
 * when it is not 8-bit 4:2:0 with even sides (10-bit, monochrome: libheif's own conversion takes
 * those). Not through the embind wrapper: its views of the chroma planes claim the luma's height
 * and fail once they reach past the WebAssembly heap.
 */
function halfSizeDecode(heif: LibHeif, handle: object): HeifPixels | null {
  const handlePointer = (handle as { $$?: { ptr?: number } }).$$?.ptr;
  if (!handlePointer) return null;
  const error = heif._malloc(16);
  const out = heif._malloc(8);
  let image = 0;
  try {
    new DataView(heif.HEAPU8.buffer).setUint32(out, 0, true);
    // heif_colorspace_YCbCr = 0, heif_chroma_420 = 1, default decoding options (transformations applied).
    heif._heif_decode_image(error, handlePointer, out, 0, 1, 0);
    const view = new DataView(heif.HEAPU8.buffer);
    image = view.getUint32(out, true);
    const code = view.getInt32(error, true);
    if (code !== 0 || !image) {
      throw new UnsupportedImageError(`cannot decode heif image: libheif error ${code}`, { format: 'heif' });
    }
    // Before any view of the heap: an allocation may grow it, which detaches views made earlier.
    const nclx = nclxOf(heif, image);
    const planes: HeifChannel[] = [];
    for (const channel of [0, 1, 2]) {
      const pointer = heif._heif_image_get_plane_readonly2(image, channel, out);
      const width = heif._heif_image_get_width(image, channel);
      const height = heif._heif_image_get_height(image, channel);
      if (!pointer || width <= 0 || height <= 0 || heif._heif_image_get_bits_per_pixel_range(image, channel) !== 8) return null;
      const stride = new DataView(heif.HEAPU8.buffer).getUint32(out, true);
      const data = new Uint8Array(heif.HEAPU8.buffer, pointer, stride * (height - 1) + width);
      planes.push({ id: { value: channel }, width, height, stride, bits_per_pixel: 8, data });
    }
    const [y, cb, cr] = planes;
    if (y.width % 2 !== 0 || y.height % 2 !== 0) return null;
    if (cb.width !== y.width / 2 || cb.height !== y.height / 2 || cr.width !== cb.width || cr.height !== cb.height) return null;
    return { width: y.width, height: y.height, pixels: halfSizeRgb(y, cb, cr, nclx) };
  } finally {
    if (image) heif._heif_image_release(image);
    heif._free(error);
    heif._free(out);
  }
}

/** RGB at half size from 4:2:0 planes: each 2x2 luma block's mean with the block's own chroma sample. */
export function halfSizeRgb(y: HeifChannel, cb: HeifChannel, cr: HeifChannel, nclx: Nclx): RgbPixels {
  const width = cb.width;
  const height = cb.height;
  const [kr, kb] = lumaWeights(nclx.matrix);
  const kg = 1 - kr - kb;
  // Limited range: Y in 16..235, chroma in 16..240 (H.273 §8.3).
  const yScale = nclx.fullRange ? 1 : 255 / 219;
  const yOffset = nclx.fullRange ? 0 : 16;
  const cScale = nclx.fullRange ? 1 : 255 / 224;
  const rCr = 2 * (1 - kr) * cScale;
  const bCb = 2 * (1 - kb) * cScale;
  const gCb = ((2 * kb * (1 - kb)) / kg) * cScale;
  const gCr = ((2 * kr * (1 - kr)) / kg) * cScale;
  const out = new Uint8Array(width * height * 3);
  const Y = y.data;
  const U = cb.data;
  const V = cr.data;
  for (let row = 0; row < height; row++) {
    let top = 2 * row * y.stride;
    let bottom = top + y.stride;
    let c = row * cb.stride;
    let o = row * width * 3;
    const cEnd = c + width;
    for (; c < cEnd; c++, top += 2, bottom += 2, o += 3) {
      const luma = ((Y[top] + Y[top + 1] + Y[bottom] + Y[bottom + 1]) * 0.25 - yOffset) * yScale;
      const u = U[c] - 128;
      const v = V[c] - 128;
      out[o] = clamp(luma + rCr * v);
      out[o + 1] = clamp(luma - gCb * u - gCr * v);
      out[o + 2] = clamp(luma + bCb * u);
    }
  }
  return { width, height, data: out };
}

function clamp(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/** Whether the file's item properties include a turn, a mirror or a crop (irot with an angle, imir, clap). */
function transformed(bytes: Uint8Array): boolean {
  const meta = findBox(bytes, fileBox(bytes), ['meta']);
  // meta is a full box: version and flags come before its children.
  const ipco = meta && findBox(bytes, { ...meta, start: meta.start + 4 }, ['iprp', 'ipco']);
  if (!ipco) return true;
  return childBoxes(bytes, ipco).some((b) => b.type === 'imir' || b.type === 'clap' || (b.type === 'irot' && (bytes[b.start] & 3) !== 0));
}
