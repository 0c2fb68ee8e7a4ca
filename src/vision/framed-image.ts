import type { RgbImage } from './types.js';

/** An RGB colour, each channel 0-255. */
export type Rgb = readonly [number, number, number];

/**
 * An image made of another one placed on a flat-coloured canvas: pixel
 * (x, y) is the source's pixel (x - left, y - top) where that lies inside the
 * source, else `fill`. padView's canvas (the photo in the middle, its mean
 * colour around it), a detector tile (the photo shifted up and left, no fill
 * showing) and the mirrored image the landmark net reads (a patch on black)
 * are all frames.
 *
 * Its pixels are only built when `data` is first read. The ONNX engine's input
 * writer reads the source through the frame instead (see `frameOf` and
 * onnx/run/resize-rows.ts), so on the ONNX path a 1920-px photo's padded canvas
 * (3840 x 3200, ~35 ms to build) and its 768-px tiles are never copied; the
 * tfjs engine, extractChip and tests read `data` and get the same pixels as a
 * built image.
 */
export class FramedImage implements RgbImage {
  private pixels: Uint8Array | undefined;

  constructor(
    readonly source: RgbImage,
    readonly left: number,
    readonly top: number,
    readonly width: number,
    readonly height: number,
    readonly fill: Rgb,
  ) {}

  get data(): Uint8Array {
    return (this.pixels ??= build(this));
  }
}

/** How to read an image's pixels without building it: its source, where the source sits, and the colour around it. */
export interface Frame {
  /** Pixels in `source.data`; never itself framed. */
  source: RgbImage;
  left: number;
  top: number;
  fill: Rgb;
}

const BLACK: Rgb = [0, 0, 0];

/** The frame of any image: a plain image is its own source at (0, 0). */
export function frameOf(image: RgbImage): Frame {
  if (!(image instanceof FramedImage)) return { source: image, left: 0, top: 0, fill: BLACK };
  // A frame of a frame reads its source's built pixels (nothing makes one today).
  const source =
    image.source instanceof FramedImage
      ? { data: image.source.data, width: image.source.width, height: image.source.height }
      : image.source;
  return { source, left: image.left, top: image.top, fill: image.fill };
}

/** The frame's pixels, built: the fill, then the visible part of each source row copied in. */
function build(frame: FramedImage): Uint8Array {
  const { width: W, height: H, left, top, fill } = frame;
  const out = new Uint8Array(W * H * 3);
  // Filled by doubling copies of one pixel: a per-pixel loop over a 3840 x 3200 canvas took ~150 ms.
  if (out.length > 0 && (fill[0] | fill[1] | fill[2]) !== 0) {
    out.set(fill, 0);
    for (let filled = 3; filled < out.length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
  const { source } = frame;
  const src = source.data;
  const x0 = Math.max(0, left);
  const x1 = Math.min(W, left + source.width);
  const y0 = Math.max(0, top);
  const y1 = Math.min(H, top + source.height);
  if (x1 <= x0) return out;
  for (let y = y0; y < y1; y++) {
    const from = ((y - top) * source.width + (x0 - left)) * 3;
    out.set(src.subarray(from, from + (x1 - x0) * 3), (y * W + x0) * 3);
  }
  return out;
}
