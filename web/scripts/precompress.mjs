// Writes .gz and .br beside every built text asset, so the server sends them
// compressed without compressing on each request, and prints what the page ships.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIST = path.resolve(import.meta.dirname, '..', 'dist');
const TEXT = /\.(html|js|css|svg|json|txt|map)$/;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (TEXT.test(entry.name) && !entry.name.endsWith('.map')) yield p;
  }
}

const rows = [];
for await (const file of files(DIST)) {
  const bytes = await readFile(file);
  const gz = gzipSync(bytes, { level: 9 });
  const br = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  await writeFile(`${file}.gz`, gz);
  await writeFile(`${file}.br`, br);
  rows.push({ file: path.relative(DIST, file), raw: (await stat(file)).size, gzip: gz.length, brotli: br.length });
}
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), {
  raw: 0,
  gzip: 0,
  brotli: 0,
});
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
for (const r of rows)
  console.log(`  ${r.file.padEnd(36)} ${kb(r.raw).padStart(9)}  gzip ${kb(r.gzip).padStart(8)}  brotli ${kb(r.brotli).padStart(8)}`);
console.log(`web page ships ${kb(total.raw)} (gzip ${kb(total.gzip)}, brotli ${kb(total.brotli)}) in ${rows.length} files`);
await writeFile(path.join(DIST, 'size.json'), JSON.stringify({ files: rows, total }, null, 2) + '\n');
