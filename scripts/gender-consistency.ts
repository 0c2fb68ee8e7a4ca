/**
 * `FACEGRAPH_DATASETS=... npx tsx scripts/gender-consistency.ts`: does face-api's age/gender net give every photo of
 * one person the same gender when it is confident? (issue 37: a confident opposite gender as a cannot-link between
 * two faces would have to hold on every set). Plain face-api (tfjs-wasm, its SSD at 0.3, its alignment) on every
 * identity photo of lfw10 and of public/; per person the genders and their probabilities, then per confidence
 * bound how many faces reach it and how many of those disagree with their person's majority.
 */
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { FACE_API_MODEL_DIR, loadFaceApi } from '../src/vision/tfjs-engine.js';
const api = await loadFaceApi();
await api.nets.ageGenderNet.loadFromDisk(FACE_API_MODEL_DIR);
const root = loadConfig().datasets;
if (!root) throw new Error('set FACEGRAPH_DATASETS');
const files = execSync(
  `find ${root}/lfw10 ${root}/public/*/ -mindepth 1 -type f \\( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \\) | grep -v /groups/ | grep -v /noface/`,
)
  .toString()
  .trim()
  .split('\n');
const rows: { set: string; id: string; file: string; gender: string; p: number }[] = [];
for (const file of files) {
  const parts = file.slice(root.length + 1).split('/');
  const set = parts[0] === 'public' ? parts[1] : parts[0];
  const id = parts[parts.length - 2];
  const { data, info } = await sharp(readFileSync(file))
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const t = api.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
  const r = await api
    .detectSingleFace(t as never, new api.SsdMobilenetv1Options({ minConfidence: 0.3 }))
    .withFaceLandmarks()
    .withAgeAndGender();
  t.dispose();
  if (r) rows.push({ set, id, file: parts.slice(-1)[0], gender: r.gender, p: r.genderProbability });
}
const byId = new Map<string, typeof rows>();
for (const r of rows) (byId.get(`${r.set}/${r.id}`) ?? byId.set(`${r.set}/${r.id}`, []).get(`${r.set}/${r.id}`)!).push(r);
for (const [id, rs] of byId) {
  const male = rs.filter((r) => r.gender === 'male').length;
  console.log(`${id}: ${rs.length} faces, ${male} male; ${rs.map((r) => `${r.gender[0]}${r.p.toFixed(2)}`).join(' ')}`);
}
for (const c of [0.7, 0.8, 0.9, 0.95, 0.98]) {
  let wrong = 0;
  let confident = 0;
  for (const rs of byId.values()) {
    const male = rs.filter((r) => r.gender === 'male').length;
    const major = male * 2 >= rs.length ? 'male' : 'female';
    for (const r of rs)
      if (r.p >= c) {
        confident++;
        if (r.gender !== major) wrong++;
      }
  }
  console.log(`confidence >= ${c}: ${confident} of ${rows.length} faces, ${wrong} against their person's majority`);
}
