/**
 * `npx tsx scripts/gender-consistency.ts /tmp/faces.json`: does the age/gender net give every photo of one person
 * the same gender when it is confident? (issue 37: clustering's gender cannot-link, `GENDER_CONFIDENCE`, must hold
 * on every set). Reads the cache `npm run eval -- --people --cache FILE` writes (facegraph's pipeline on the main
 * face of every identity photo of FACEGRAPH_DATASETS, tight crops included) and prints, per bound, how many faces
 * the net is confident of and how many of those are confidently the other gender than their person's majority;
 * then each person's P(male) values.
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: gender-consistency.ts CACHE.json (from npm run eval -- --people --cache CACHE.json)');
const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { maleProbability?: number } | null>;
const byPerson = new Map<string, number[]>();
for (const [key, face] of Object.entries(cache)) {
  if (!key.startsWith('facegraph:') || face?.maleProbability === undefined) continue;
  const parts = key.slice('facegraph:'.length).split('/');
  // Group photos and photos without a face are no person's.
  if (parts.includes('groups') || parts.includes('groups-tight') || parts.includes('noface')) continue;
  const person = parts.slice(0, -1).join('/');
  byPerson.set(person, [...(byPerson.get(person) ?? []), face.maleProbability]);
}
const faces = [...byPerson.values()].reduce((n, ps) => n + ps.length, 0);
for (const bound of [0.7, 0.75, 0.8, 0.85, 0.9, 0.95]) {
  let confident = 0;
  let against = 0;
  for (const ps of byPerson.values()) {
    const male = ps.filter((p) => p >= 0.5).length * 2 >= ps.length;
    for (const p of ps) {
      if (p < bound && p > 1 - bound) continue;
      confident++;
      if (p >= bound !== male) against++;
    }
  }
  console.log(`bound ${bound}: ${confident} of ${faces} faces confident, ${against} confidently against their person`);
}
for (const [person, ps] of [...byPerson].sort()) console.log(`${person}: ${ps.map((p) => p.toFixed(2)).join(' ')}`);
