/**
 * Small hand-made unit vectors for clustering rules: `near(base, tilt, eps)` points along axis `base`, tilted
 * by `eps` towards axis `tilt`; `pack` lays vectors row after row as clusterFaces takes them.
 */
export function toyVectors(dim: number) {
  const near = (base: number, tilt: number, eps: number): Float32Array => {
    const v = new Float32Array(dim);
    v[base] = 1;
    v[tilt] += eps;
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const pack = (vs: Float32Array[]): Float32Array => {
    const out = new Float32Array(vs.length * dim);
    vs.forEach((v, i) => out.set(v, i * dim));
    return out;
  };
  return { near, pack };
}
