/**
 * `npx tsx scripts/make-tight-crops.ts OUTDIR`: writes the two tight-crop sets
 * into OUTDIR, 150 x 150 grey crops inside a face (forehead and chin cut off),
 * the kind of crop SSD was never trained on (src/eval/tight-crops.ts cuts them;
 * the tests make the same crops on first use, test/support/datasets.ts):
 * - OUTDIR/lfw10-tight/<Person>/*: from lfw10, read from FACEGRAPH_DATASETS
 *   (skipped, saying so, where it is unset);
 * - OUTDIR/groups-tight/*: from face-api's demo group photos (its npm package).
 * Neither is to be committed: the crops are made from their source photos when needed.
 */
import path from 'node:path';
import { writeGroupTightCrops, writeLfwTightCrops } from '../src/eval/tight-crops.js';
import { LFW10_DIR, needsDatasets } from '../test/support/datasets.js';

const [out, ...extra] = process.argv.slice(2);
if (!out || extra.length > 0 || out.startsWith('-')) {
  process.stderr.write('usage: npx tsx scripts/make-tight-crops.ts OUTDIR\n');
  process.exit(2);
}
const missing = needsDatasets('lfw10');
if (missing) process.stderr.write(`lfw10-tight not made: ${missing}\n`);
else console.log(`wrote ${await writeLfwTightCrops(LFW10_DIR, path.resolve(out, 'lfw10-tight'))}`);
console.log(`wrote ${await writeGroupTightCrops(path.resolve(out, 'groups-tight'))}`);
