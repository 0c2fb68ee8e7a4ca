/**
 * SSD MobileNet v1's anchors for any input size.
 *
 * face-api ships the anchors of its 512 x 512 input as a weight
 * (`Output/extra_dim`, 5118 boxes): six feature maps of 32, 16, 8, 4, 2 and 1
 * cells a side (3 anchors a cell on the first, 6 on the others), each anchor
 * centred on its cell, (i + 0.5) / cells, with one size per map and anchor
 * kind, the same in every cell (checked by {@link anchorLayout}). The
 * convolutions see pixels, so on another input size the same network finds a
 * face of the same size in pixels with the same feature map: the anchors keep
 * their sizes in pixels, and their centres follow the cells of the smaller or
 * larger maps (TF "same" padding: each stride-2 layer has ceil(n / 2) cells).
 */

/** Cells a side of each feature map at the 512 input, and anchors a cell. */
const FEATURE_MAPS = [
  { cells: 32, anchors: 3 },
  { cells: 16, anchors: 6 },
  { cells: 8, anchors: 6 },
  { cells: 4, anchors: 6 },
  { cells: 2, anchors: 6 },
  { cells: 1, anchors: 6 },
] as const;
/** The input the shipped anchors are for. */
export const SSD_BASE_INPUT = 512;
/** Stride-2 layers before the first feature map (MobileNet v1's conv 0, 2, 4 and 6: 512 -> 32). */
const HALVINGS_TO_FIRST_MAP = 4;

/** Each feature map's anchor sizes (height, width) in pixels of the base input, read off the shipped anchors. */
export function anchorLayout(base: Float32Array): { height: number; width: number }[][] {
  const total = FEATURE_MAPS.reduce((n, m) => n + m.cells * m.cells * m.anchors, 0);
  if (base.length !== total * 4) throw new Error(`expected ${total} SSD anchors, got ${base.length / 4}`);
  const layout: { height: number; width: number }[][] = [];
  let at = 0;
  for (const { cells, anchors } of FEATURE_MAPS) {
    const sizes = Array.from({ length: anchors }, (_, k) => ({
      height: (base[(at + k) * 4 + 2] - base[(at + k) * 4]) * SSD_BASE_INPUT,
      width: (base[(at + k) * 4 + 3] - base[(at + k) * 4 + 1]) * SSD_BASE_INPUT,
    }));
    // Every cell must repeat the first cell's sizes and sit at its centre; else this model is not the one described above.
    for (let i = 0; i < cells; i++) {
      for (let j = 0; j < cells; j++) {
        for (let k = 0; k < anchors; k++, at++) {
          const [ymin, xmin, ymax, xmax] = base.subarray(at * 4, at * 4 + 4);
          const off = Math.max(
            Math.abs((ymax - ymin) * SSD_BASE_INPUT - sizes[k].height),
            Math.abs((xmax - xmin) * SSD_BASE_INPUT - sizes[k].width),
            Math.abs(((ymin + ymax) / 2 - (i + 0.5) / cells) * SSD_BASE_INPUT),
            Math.abs(((xmin + xmax) / 2 - (j + 0.5) / cells) * SSD_BASE_INPUT),
          );
          if (off > 1e-3) throw new Error(`SSD anchor ${at} is not on the regular grid (off by ${off} px)`);
        }
      }
    }
    layout.push(sizes);
  }
  return layout;
}

/** Cells a side of each feature map for an input of `size` pixels a side. */
export function featureMapCells(size: number): number[] {
  let n = size;
  for (let i = 0; i < HALVINGS_TO_FIRST_MAP; i++) n = Math.ceil(n / 2);
  const cells = [n];
  while (cells.length < FEATURE_MAPS.length) cells.push(Math.ceil(cells[cells.length - 1] / 2));
  return cells;
}

/**
 * The anchors of a `width` x `height` input (default square), (ymin, xmin,
 * ymax, xmax) relative to it, in the network's output order (map by map,
 * row-major cells, anchor kinds). At 512 they equal the shipped ones (to float
 * rounding).
 */
export function ssdAnchors(layout: readonly { height: number; width: number }[][], width: number, height = width): Float32Array {
  const rows = featureMapCells(height);
  const cols = featureMapCells(width);
  const count = layout.reduce((n, sizes, m) => n + rows[m] * cols[m] * sizes.length, 0);
  const out = new Float32Array(count * 4);
  let at = 0;
  layout.forEach((sizes, m) => {
    for (let i = 0; i < rows[m]; i++) {
      for (let j = 0; j < cols[m]; j++) {
        const cy = (i + 0.5) / rows[m];
        const cx = (j + 0.5) / cols[m];
        for (const anchor of sizes) {
          const h = anchor.height / height;
          const w = anchor.width / width;
          out.set([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], at);
          at += 4;
        }
      }
    }
  });
  return out;
}
