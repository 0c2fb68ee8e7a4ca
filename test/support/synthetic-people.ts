import { mulberry32 } from '../../src/clustering/neighbour-graph.js';
/**
 * A synthetic photo library for clustering at scales we have no photos for:
 * many people with a heavy-tailed number of faces each (a few with hundreds,
 * most with a handful, and strangers seen once), group photos holding several
 * people, and 128-d unit embeddings whose distances look like the real ones.
 *
 * The embeddings are fitted to face-api's on lfw10 (measured with this
 * pipeline, 4,950 pairs):
 *
 * | cosine distance | 5 % | 25 % | median | 75 % | 95 % | 99 % |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | same person, lfw10 | 0.025 | 0.035 | 0.042 | 0.052 | 0.072 | 0.092 |
 * | same person, here | 0.025 | 0.034 | 0.042 | 0.053 | 0.071 | 0.086 |
 * | different people, lfw10 | 0.108 | 0.128 | 0.147 | 0.167 | | (1 %: 0.097) |
 * | different people, here | 0.105 | 0.132 | 0.154 | 0.180 | | (1 %: 0.089) |
 *
 * Real embeddings fill a narrow cone (their mean has length 0.93) and vary
 * along few directions, so each face is `common + person + noise` with the
 * person and noise terms drawn from decaying spectra (effective dimension
 * ~20), not isotropic noise: isotropic noise in 128-d makes every distance
 * nearly equal, which is both unrealistic and too easy.
 */
export interface SyntheticLibrary {
  dim: number;
  /** Unit embeddings, row after row. */
  embeddings: Float32Array;
  /** True person of each face. */
  person: Int32Array;
  /** Photo of each face; a photo never holds two faces of one person. */
  imageId: Int32Array;
  people: number;
}

const DIM = 128;
/** Fitted to lfw10 (see the table above). */
const PERSON_SPREAD = 0.37;
const FACE_SPREAD = 0.23;
const PERSON_DECAY = 12;
const FACE_DECAY = 14;

export function syntheticLibrary(faces: number, seed = 7): SyntheticLibrary {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const spectrum = (decay: number) => {
    const l = Array.from({ length: DIM }, (_, i) => Math.exp(-i / decay));
    const s = l.reduce((a, b) => a + b, 0);
    return l.map((x) => Math.sqrt(x / s));
  };
  const personScale = spectrum(PERSON_DECAY);
  const faceScale = spectrum(FACE_DECAY);
  // Person and noise terms vary along different (random) axes.
  const personAxis = shuffled(DIM, random);
  const faceAxis = shuffled(DIM, random);
  const common = new Float64Array(DIM);
  for (let d = 0; d < DIM; d++) common[d] = gauss();
  normalize(common);

  const sizes = personSizes(faces, random);
  const embeddings = new Float32Array(faces * DIM);
  const person = new Int32Array(faces);
  const centre = new Float64Array(DIM);
  const face = new Float64Array(DIM);
  let f = 0;
  sizes.forEach((size, p) => {
    for (let d = 0; d < DIM; d++) centre[d] = common[d];
    for (let d = 0; d < DIM; d++) centre[personAxis[d]] += PERSON_SPREAD * personScale[d] * gauss();
    // Some people vary more than others (age, glasses, lighting).
    const spread = FACE_SPREAD * (0.85 + 0.3 * random());
    for (let k = 0; k < size; k++, f++) {
      face.set(centre);
      for (let d = 0; d < DIM; d++) face[faceAxis[d]] += spread * faceScale[d] * gauss();
      normalize(face);
      embeddings.set(face, f * DIM);
      person[f] = p;
    }
  });
  return { dim: DIM, embeddings, person, imageId: photosOf(person, random), people: sizes.length };
}

/**
 * Faces per person: one in ten faces is a stranger seen once; the others
 * belong to people with 2 to 500 faces, P(size) ∝ size^-1.8, which gives a few
 * people with hundreds of faces and a mean of about 5.
 */
function personSizes(faces: number, random: () => number): number[] {
  const sizes: number[] = [];
  let left = faces;
  while (left > 0) {
    let size: number;
    if (random() < 0.1) size = 1;
    else {
      // Inverse transform of a continuous power law on [2, 500], exponent 1.8.
      const a = 1 - 1.8;
      const lo = 2 ** a;
      const hi = 500 ** a;
      size = Math.floor((lo + random() * (hi - lo)) ** (1 / a));
    }
    size = Math.min(size, left);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** 70 % of faces alone in their photo, the rest in group photos of 2-5 different people. */
function photosOf(person: Int32Array, random: () => number): Int32Array {
  const n = person.length;
  const order = shuffled(n, random);
  const imageId = new Int32Array(n);
  let image = 0;
  let i = 0;
  while (i < n) {
    const size = random() < 0.7 ? 1 : 2 + Math.floor(random() * 4);
    const members = new Set<number>();
    let taken = 0;
    while (taken < size && i < n) {
      const f = order[i];
      if (members.has(person[f])) break;
      members.add(person[f]);
      imageId[f] = image;
      i++;
      taken++;
    }
    image++;
  }
  return imageId;
}

function shuffled(n: number, random: () => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

function normalize(v: Float64Array): void {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d] * v[d];
  const inv = 1 / Math.sqrt(s);
  for (let d = 0; d < v.length; d++) v[d] *= inv;
}
