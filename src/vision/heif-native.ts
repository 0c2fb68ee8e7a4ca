import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnsupportedImageError } from '../errors.js';
import { halfSizeRgb, type HeifChannel, type HeifPixels } from './heif-decoder.js';

const run = promisify(execFile);
/** A 100 MP HEIC decodes natively in seconds; a file that takes longer is not one. */
const TIMEOUT_MS = 120_000;

/**
 * `FACEGRAPH_HEIF_DECODER=native`: the system's libheif (`heif-convert` of Debian's libheif-examples,
 * native libde265, ~450 ms of CPU for 12 MP against ~700 ms in WebAssembly) decodes to 4:2:0
 * in a Y4M file, turned into half-size RGB here. Only where the working copy is at most half the
 * photo's size and the planes are 8-bit 4:2:0 with even sides; otherwise null, and the WebAssembly
 * decoder runs. The caller has checked the declared size already. Runs in an analysis thread.
 */
export async function decodeHeifNative(bytes: Uint8Array, width: number, height: number, minSide: number): Promise<HeifPixels | null> {
  if (Math.max(width, height) < 2 * minSide || width % 2 !== 0 || height % 2 !== 0) return null;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-heif-'));
  try {
    const input = path.join(dir, 'photo.heic');
    const output = path.join(dir, 'photo.y4m');
    await fs.writeFile(input, bytes);
    try {
      await run('heif-convert', ['--quiet', input, output], { timeout: TIMEOUT_MS, maxBuffer: 1 << 20 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('FACEGRAPH_HEIF_DECODER=native needs heif-convert (Debian libheif-examples) on the PATH');
      throw new UnsupportedImageError(`cannot decode heif image: ${(e.stderr || e.message).trim().split('\n').pop()}`, { format: 'heif' });
    }
    return fromY4m(await fs.readFile(output));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The first frame of a Y4M file (8-bit 4:2:0 only) as half-size RGB, with libheif's default nclx (BT.601, full range). */
function fromY4m(y4m: Buffer): HeifPixels | null {
  const headerEnd = y4m.indexOf(0x0a);
  const header = y4m.toString('latin1', 0, headerEnd).split(' ');
  if (header[0] !== 'YUV4MPEG2') return null;
  const tag = (t: string) => header.find((h) => h.startsWith(t))?.slice(1);
  const width = Number(tag('W'));
  const height = Number(tag('H'));
  const colour = tag('C') ?? '420jpeg';
  if (!/^420(jpeg|paldv|mpeg2)?$/.test(colour) || !(width > 0 && height > 0) || width % 2 || height % 2) return null;
  const frame = y4m.indexOf(0x0a, headerEnd + 1) + 1;
  const lumaSize = width * height;
  const chromaSize = lumaSize / 4;
  if (frame <= 0 || frame + lumaSize + 2 * chromaSize > y4m.length) return null;
  const plane = (at: number, w: number, h: number): HeifChannel => ({
    id: { value: 0 },
    width: w,
    height: h,
    stride: w,
    bits_per_pixel: 8,
    data: y4m.subarray(at, at + w * h),
  });
  const y = plane(frame, width, height);
  const cb = plane(frame + lumaSize, width / 2, height / 2);
  const cr = plane(frame + lumaSize + chromaSize, width / 2, height / 2);
  return { width, height, pixels: halfSizeRgb(y, cb, cr, { matrix: 6, fullRange: true }) };
}
