import { createRequire } from 'node:module';
import path from 'node:path';

/** face-api's six 1920-px group photos (sample1-6.jpg), shipped inside its npm package (MIT). */
export const DEMO_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');

/** The demo group photos' file names, in order. */
export const DEMO_PHOTOS = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];

/**
 * The 22 faces of the six group photos as SSD finds them at full size ([x, y, width, height]),
 * each checked by eye: every visible face, no false one.
 */
export const GROUP_FACES: Record<string, number[][]> = {
  sample1: [
    [414, 355, 177, 240],
    [838, 421, 186, 228],
    [1476, 199, 203, 241],
  ],
  sample2: [
    [1447, 153, 194, 242],
    [902, 220, 151, 233],
    [361, 126, 153, 259],
  ],
  sample3: [
    [585, 329, 199, 271],
    [1514, 292, 170, 280],
    [1075, 215, 220, 299],
  ],
  sample4: [
    [664, 53, 187, 258],
    [257, 185, 162, 245],
    [989, 180, 169, 227],
    [1277, 144, 145, 244],
  ],
  sample5: [
    [787, 109, 156, 212],
    [1113, 198, 158, 236],
    [1406, 390, 165, 271],
    [598, 415, 166, 249],
    [377, 859, 172, 301],
  ],
  sample6: [
    [681, 321, 160, 307],
    [1180, 305, 188, 280],
    [1487, 263, 212, 296],
    [250, 468, 210, 291],
  ],
};
