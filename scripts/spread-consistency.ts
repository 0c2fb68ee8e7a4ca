/**
 * `npx tsx scripts/spread-consistency.ts /tmp/faces.json`: how far apart can two groups of one real person's
 * photos lie, beyond the person's own spread? (issue 37: clustering's spread test, `SPREAD` in
 * clustering-config.ts, must never split a person). Reads the cache `npm run eval -- --people --cache FILE`
 * writes (facegraph's main face of every identity photo of FACEGRAPH_DATASETS, tight crops included), clusters
 * each person of at least six good faces alone by average linkage to the end, and prints every merge of two
 * groups of at least three faces with its excess: the linkage minus the mean of the two groups' own spreads; then
 * each face against the rest of its person: its linkage to them minus their own spread.
 */
import { readFileSync } from 'node:fs';
import { SPREAD } from '../src/clustering/clustering-config.js';
import { POOR_QUALITY } from '../src/vision/face-quality.js';

const file = process.argv[2];
if (!file) throw new Error('usage: spread-consistency.ts CACHE.json (from npm run eval -- --people --cache CACHE.json)');
const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { embedding: number[]; quality?: number } | null>;
const byPerson = new Map<string, number[][]>();
for (const [key, face] of Object.entries(cache)) {
  if (!key.startsWith('facegraph:') || !face || (face.quality ?? 1) < POOR_QUALITY) continue;
  const parts = key.slice('facegraph:'.length).split('/');
  if (parts.includes('groups') || parts.includes('groups-tight') || parts.includes('noface')) continue;
  const person = parts.slice(0, -1).join('/');
  const norm = Math.hypot(...face.embedding);
  byPerson.set(person, [...(byPerson.get(person) ?? []), face.embedding.map((x) => x / norm)]);
}

const sum = (faces: number[][], group: number[]) => faces[0].map((_, d) => group.reduce((s, i) => s + faces[i][d], 0));
const dot = (a: number[], b: number[]) => a.reduce((s, x, d) => s + x * b[d], 0);
const ownSpread = (faces: number[][], g: number[]) => {
  const s = sum(faces, g);
  return 1 - (dot(s, s) - g.length) / (g.length * (g.length - 1));
};
const rows: { person: string; sizes: string; linkage: number; excess: number }[] = [];
for (const [person, faces] of byPerson) {
  if (faces.length < 6) continue;
  let groups = faces.map((_, i) => [i]);
  while (groups.length > 1) {
    let best = { linkage: Number.POSITIVE_INFINITY, a: 0, b: 1 };
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const linkage = 1 - dot(sum(faces, groups[a]), sum(faces, groups[b])) / (groups[a].length * groups[b].length);
        if (linkage < best.linkage) best = { linkage, a, b };
      }
    }
    const [ga, gb] = [groups[best.a], groups[best.b]];
    if (ga.length >= 3 && gb.length >= 3) {
      const excess = best.linkage - (ownSpread(faces, ga) + ownSpread(faces, gb)) / 2;
      rows.push({ person, sizes: `${ga.length}+${gb.length}`, linkage: best.linkage, excess });
    }
    groups = [...groups.filter((_, i) => i !== best.a && i !== best.b), [...ga, ...gb]];
  }
}
rows.sort((x, y) => y.excess - x.excess);
console.log(`${rows.length} merges of two groups of >= 3 faces within one person; SPREAD.maxExcess ${SPREAD.maxExcess}`);
for (const r of rows) console.log(`${r.person} ${r.sizes}: linkage ${r.linkage.toFixed(4)}, excess ${r.excess.toFixed(4)}`);

// A group of at least SPREAD.minFaces taking a smaller one (a face, here): the face's linkage to the person's other
// faces minus their own spread.
const lone: { person: string; face: number; excess: number }[] = [];
for (const [person, faces] of byPerson) {
  if (faces.length <= SPREAD.minFaces) continue;
  faces.forEach((face, i) => {
    const rest = faces.map((_, j) => j).filter((j) => j !== i);
    const linkage = 1 - dot(face, sum(faces, rest)) / rest.length;
    lone.push({ person, face: i, excess: linkage - ownSpread(faces, rest) });
  });
}
lone.sort((x, y) => y.excess - x.excess);
console.log(`\n${lone.length} faces against the rest of their person (>= ${SPREAD.minFaces} faces); the largest excesses:`);
for (const r of lone.slice(0, 10)) console.log(`${r.person} #${r.face}: excess ${r.excess.toFixed(4)}`);
