import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PayloadTooLargeError, UnsupportedImageError } from '../errors.js';

/** Upright 8-bit RGB pixels of a HEIF file's primary image, rows packed (no padding). */
export interface HeifPixels {
  width: number;
  height: number;
  /** width * height * 3 bytes, R G B. */
  data: Uint8Array;
}

/** The part of libheif-js's embind module this file calls (its own .d.ts types every result as `any`). */
interface HeifError {
  code: { value: number };
  message: string;
}
interface HeifChannel {
  id: { value: number };
  width: number;
  height: number;
  stride: number;
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
  heif_colorspace: { heif_colorspace_RGB: unknown };
  heif_chroma: { heif_chroma_interleaved_RGB: unknown };
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
export async function decodeHeif(bytes: Uint8Array, maxPixels: number): Promise<HeifPixels> {
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
    return { width: plane.width, height: plane.height, data: packRows(plane) };
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
