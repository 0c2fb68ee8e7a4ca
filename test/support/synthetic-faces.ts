import { mulberry32 } from '../../src/clustering/neighbour-graph.js';

/**
 * Realistic synthetic face embeddings for benchmarks at scales we have no
 * photos for: `people` identities with `perPerson` faces each. Identity
 * centres share a common direction (real face embeddings fill a cone, not the
 * whole sphere), and each face is its centre plus Gaussian noise, so that
 * same-person cosine distances come out around 0.1-0.3 and different-person
 * ones around 0.4-0.8, as face-api's embeddings do on lfw10.
 */
export function syntheticFaces(people: number, perPerson: number, seed = 42): { person: number; vector: Float32Array }[] {
  const random = mulberry32(seed);
  const gauss = () => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const dim = 128;
  const common = normalize(Float32Array.from({ length: dim }, gauss));
  const out: { person: number; vector: Float32Array }[] = [];
  for (let p = 0; p < people; p++) {
    // Spread of identities around the common direction, and of faces around their identity.
    const centre = normalize(Float32Array.from({ length: dim }, (_, i) => common[i] * 1.1 + gauss() * 0.09));
    for (let k = 0; k < perPerson; k++) {
      out.push({ person: p, vector: normalize(Float32Array.from({ length: dim }, (_, i) => centre[i] + gauss() * 0.04)) });
    }
  }
  return out;
}

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}
