import path from 'node:path';

/**
 * The labelled photo sets the tests, benchmarks and README examples use, kept in
 * the repository (source and licence in test/fixtures/datasets/README.md) so
 * that a fresh clone passes its own tests with nothing beside it.
 */
export const DATASETS = path.resolve(import.meta.dirname, '../fixtures/datasets');
export const LFW10_DIR = path.join(DATASETS, 'lfw10');
/** face-api's six 1920-px group photos, shipped inside its npm package. */
export const DEMO_DIR = path.resolve(import.meta.dirname, '../../node_modules/@vladmandic/face-api/demo');

/**
 * The 22 faces of the six group photos as SSD finds them at full size ([x, y, width, height]),
 * each checked by eye: every visible face, no false one.
 */
export const GROUP_FACES: Record<string, number[][]> = {
  sample1: [[414, 355, 177, 240], [838, 421, 186, 228], [1476, 199, 203, 241]],
  sample2: [[1447, 153, 194, 242], [902, 220, 151, 233], [361, 126, 153, 259]],
  sample3: [[585, 329, 199, 271], [1514, 292, 170, 280], [1075, 215, 220, 299]],
  sample4: [[664, 53, 187, 258], [257, 185, 162, 245], [989, 180, 169, 227], [1277, 144, 145, 244]],
  sample5: [[787, 109, 156, 212], [1113, 198, 158, 236], [1406, 390, 165, 271], [598, 415, 166, 249], [377, 859, 172, 301]],
  sample6: [[681, 321, 160, 307], [1180, 305, 188, 280], [1487, 263, 212, 296], [250, 468, 210, 291]],
};
