/**
 * Decoding the photos phones and cameras write, at the decoder: HEIC through libheif's
 * WebAssembly build (primary image, grid tiles, irot, colour profile, the size checked before
 * decoding), AVIF through sharp, RAW through its embedded JPEG preview, videos refused as videos,
 * and libheif's fuzzing corpus decoded or refused, never thrown past UNSUPPORTED_IMAGE.
 * The HEIC of face-api's sample1.jpg is committed (test/fixtures/photos/README.md); the real
 * files come from FACEGRAPH_DATASETS/formats.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';
import { photoContainer } from '../../src/metadata/photo-container.js';
import { largestRawPreview, rawFormatOf } from '../../src/metadata/raw-preview.js';
import { createEngine } from '../../src/vision/engine-factory.js';
import { FacePipeline } from '../../src/vision/face-pipeline.js';
import { decodeHeif } from '../../src/vision/heif-decoder.js';
import { decodePhoto, isSrgbProfile } from '../../src/vision/image-decoder.js';
import { PipelinePool, pipelineOptions } from '../../src/vision/pipeline-pool.js';
import { DEMO_DIR, PACKAGE_PHOTOS, datasetPath, needsDatasets } from '../support/datasets.js';
import { quickTimeHead } from '../support/quicktime.js';

const limits = { maxPixels: 100_000_000, maxSide: 1920 };
const formats = needsDatasets('formats');

/** Mean absolute difference per channel value. */
function meanDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, `an AppError, not ${String(err)}`);
  return err;
}

describe('HEIC', () => {
  it("gives the JPEG's pixels for a HEIC made from it (sample1.heic, heif-enc -q 80)", async () => {
    const heic = await decodePhoto(await readFile(path.join(PACKAGE_PHOTOS, 'sample1.heic')), limits);
    const jpeg = await decodePhoto(await readFile(path.join(DEMO_DIR, 'sample1.jpg')), limits);
    assert.equal(heic.format, 'heic');
    assert.deepEqual([heic.width, heic.height, heic.scale], [jpeg.width, jpeg.height, jpeg.scale]);
    // Lossy HEVC against lossy JPEG of the same photo: close, not equal (a wrong colour matrix or shift gives > 20).
    const diff = meanDifference(heic.image.data, jpeg.image.data);
    assert.ok(diff < 4, `mean difference ${diff}`);
  });

  it('checks the size in the header against maxPixels before decoding', async () => {
    const bytes = await readFile(path.join(PACKAGE_PHOTOS, 'sample1.heic'));
    const err = await refusal(decodePhoto(bytes, { maxPixels: 1920 * 1280 - 1, maxSide: 1920 }));
    assert.equal(err.code, 'PAYLOAD_TOO_LARGE');
    assert.match(err.message, /1920x1280/);
  });

  it('decodes every real HEIC and AVIF: iPhone grids of tiles, a collection, libheif examples', { skip: formats }, async () => {
    const sizes: Record<string, string> = {};
    for (const f of readdirSync(datasetPath('formats', 'heic')).sort()) {
      const photo = await decodePhoto(await readFile(datasetPath('formats', 'heic', f)), limits);
      sizes[f] = `${photo.format} ${photo.width}x${photo.height}`;
    }
    assert.deepEqual(sizes, {
      'heic-collection.heic': 'heic 1440x960',
      'heic-iphone.heic': 'heic 4032x3024',
      'heic-iphone7.heic': 'heic 4032x3024',
      'heic-maybebroken.heic': 'heic 4032x3024',
      'heic-single.heic': 'heic 1440x960',
      'libheif-example.avif': 'avif 800x533',
      'libheif-example.heic': 'heic 1280x854',
    });
  });

  it('gives the primary image of a collection: the one pitm names', { skip: formats }, async () => {
    const bytes = await readFile(datasetPath('formats', 'heic', 'heic-collection.heic'));
    const primary = await decodePhoto(bytes, limits);
    // pitm (version 0): item id 1002, the first of the collection's images; name the second (1008) instead.
    const other = Buffer.from(bytes);
    const pitm = other.indexOf('pitm', 0, 'latin1');
    assert.equal(other.readUInt16BE(pitm + 8), 1002);
    other.writeUInt16BE(1008, pitm + 8);
    const second = await decodePhoto(other, limits);
    assert.deepEqual([second.width, second.height], [primary.width, primary.height]);
    assert.ok(meanDifference(primary.image.data, second.image.data) > 10, 'another photo');
  });

  it("turns the photo as its irot says, and converts the iPhone's Display P3 profile to sRGB", { skip: formats }, async () => {
    const bytes = await readFile(datasetPath('formats', 'heic', 'heic-iphone7.heic'));
    const meta = await sharp(bytes).metadata();
    assert.equal(isSrgbProfile(meta.icc), false, 'the iPhone embeds Display P3');
    const upright = await decodePhoto(bytes, { maxPixels: limits.maxPixels, maxSide: 640 });
    // irot angle 1: a quarter turn anticlockwise (ISO/IEC 23008-12 §6.5.10), written over the iPhone's angle 0.
    const turned = Buffer.from(bytes);
    const irot = turned.indexOf('irot', 0, 'latin1');
    assert.ok(irot > 0 && turned[irot + 4] === 0);
    turned[irot + 4] = 1;
    const photo = await decodePhoto(turned, { maxPixels: limits.maxPixels, maxSide: 640 });
    assert.deepEqual([photo.width, photo.height], [3024, 4032]);
    const expected = await sharp(upright.image.data, { raw: { width: upright.image.width, height: upright.image.height, channels: 3 } })
      .rotate(270)
      .raw()
      .toBuffer();
    assert.ok(meanDifference(photo.image.data, expected) < 1);
    // The profile is applied: the plain decode's pixels (taken as sRGB) differ from the converted ones.
    const plain = (await decodeHeif(bytes, limits.maxPixels)).pixels;
    const small = await sharp(plain.data, { raw: { width: plain.width, height: plain.height, channels: 3 } })
      .resize(upright.image.width, upright.image.height, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer();
    assert.ok(meanDifference(small, upright.image.data) > 0.5, 'Display P3 converted to sRGB');
  });
});

describe('HEIC at half size for a smaller working copy', () => {
  it("gives libheif's colours at half the size from 4:2:0 (the nclx matrix and range applied)", { skip: formats }, async () => {
    const bytes = await readFile(datasetPath('formats', 'heic', 'heic-iphone7.heic'));
    const full = await decodeHeif(bytes, limits.maxPixels);
    const half = await decodeHeif(bytes, limits.maxPixels, { minSide: 1920 });
    assert.deepEqual([half.width, half.height, half.pixels.width, half.pixels.height], [4032, 3024, 2016, 1512]);
    const reference = await sharp(full.pixels.data, { raw: { width: 4032, height: 3024, channels: 3 } })
      .resize(2016, 1512, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
    assert.ok(meanDifference(half.pixels.data, reference) < 2);
    // No colour cast: a wrong matrix or range moves a channel's mean by several levels.
    for (let channel = 0; channel < 3; channel++) {
      let bias = 0;
      for (let i = channel; i < reference.length; i += 3) bias += half.pixels.data[i] - reference[i];
      assert.ok(Math.abs(bias / (reference.length / 3)) < 0.5, `channel ${channel}: bias ${bias / (reference.length / 3)}`);
    }
    // Not asked for, or too small to halve: full size.
    assert.equal((await decodeHeif(bytes, limits.maxPixels, { minSide: 2500 })).pixels.width, 4032);
  });
});

describe('HEIC in an analysis thread', () => {
  it("decodes a HEIC in the pool's thread: its faces and its rendition for browsers", async () => {
    const config = loadConfig({ ...process.env, FACEGRAPH_ANALYZERS: '1' });
    const modelId = new FacePipeline(createEngine({ ...config, threads: 1 }), pipelineOptions(config)).modelId;
    const pool = new PipelinePool(config, 1, modelId);
    try {
      await pool.load();
      const bytes = await readFile(path.join(PACKAGE_PHOTOS, 'sample1.heic'));
      const photo = await pool.analyze(bytes);
      assert.deepEqual([photo.format, photo.faces.length], ['heic', 3]);
      const meta = await sharp(Buffer.from(await pool.renderForBrowser(bytes))).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 1920, 1280]);
      const err = await refusal(pool.renderForBrowser(bytes.subarray(0, 3000)));
      assert.equal(err.code, 'UNSUPPORTED_IMAGE');
      // A photo that outlives the time limit (as a decoder looping on a hostile file would) is refused, its thread replaced.
      pool.jobTimeoutMs = 1;
      const slow = await refusal(pool.analyze(bytes));
      assert.equal(slow.code, 'UNSUPPORTED_IMAGE');
      assert.match(slow.message, /analysis thread was restarted/);
      pool.jobTimeoutMs = 120_000;
      assert.equal((await pool.analyze(bytes)).faces.length, 3);
    } finally {
      await pool.close();
    }
  });
});

describe('FACEGRAPH_HEIF_DECODER=native', () => {
  const missing = spawnSync('heif-convert', ['--help']).error ? 'heif-convert (Debian libheif-examples) is not installed' : false;
  it("gives the WebAssembly decoder's pixels through the system's heif-convert", { skip: missing }, async () => {
    const bytes = await readFile(path.join(PACKAGE_PHOTOS, 'sample1.heic'));
    // A 640-px working copy of the 1920-px photo: the half-size path, which the native decoder takes.
    const wasm = await decodePhoto(bytes, { ...limits, maxSide: 640, heifDecoder: 'wasm' });
    const native = await decodePhoto(bytes, { ...limits, maxSide: 640, heifDecoder: 'native' });
    assert.deepEqual([native.width, native.height, native.image.width], [1920, 1280, 640]);
    assert.ok(meanDifference(native.image.data, wasm.image.data) < 0.5);
    const err = await refusal(
      decodePhoto(Buffer.concat([bytes.subarray(0, 2000), Buffer.alloc(2000)]), { ...limits, maxSide: 640, heifDecoder: 'native' }),
    );
    assert.equal(err.code, 'UNSUPPORTED_IMAGE');
  });
});

describe('RAW previews, videos and hostile files', () => {
  it('analyses a CR3 from its largest preview and refuses the pruned DNG, naming it and why', { skip: formats }, async () => {
    const cr3 = await readFile(datasetPath('formats', 'raw', 'Canon-R6-pruned.CR3'));
    assert.equal(rawFormatOf(cr3), 'cr3');
    const photo = await decodePhoto(cr3, limits);
    assert.deepEqual([photo.format, photo.width, photo.height], ['cr3', 1620, 1080]);
    const dng = await readFile(datasetPath('formats', 'raw', 'iphone12pro-pruned.dng'));
    assert.equal(rawFormatOf(dng), 'dng');
    assert.match((largestRawPreview(dng, 'dng') as { reason: string }).reason, /outside the file/);
    const err = await refusal(decodePhoto(dng, limits));
    assert.equal(err.code, 'UNSUPPORTED_IMAGE');
    assert.match(err.message, /DNG raw file: its preview JPEG lies outside the file/);
  });

  it('finds the full-size JPEG of a TIFF-based RAW through its SubIFDs', async () => {
    // A NEF-like file: IFD0 with a thumbnail-free Make, a SubIFD with JPEGInterchangeFormat, a CFA SubIFD.
    const jpeg = await sharp(path.join(DEMO_DIR, 'sample1.jpg')).resize(800).jpeg().toBuffer();
    const raw = tinyTiffRaw(jpeg);
    assert.equal(rawFormatOf(raw), 'nef');
    const photo = await decodePhoto(raw, limits);
    assert.deepEqual([photo.format, photo.width, photo.height], ['nef', 800, 533]);
  });

  it('refuses a video as a video, by its ftyp brand whatever the name', async () => {
    assert.deepEqual(photoContainer(quickTimeHead()), { kind: 'video', brand: 'qt' });
    const err = await refusal(decodePhoto(quickTimeHead(), limits));
    assert.equal(err.code, 'UNSUPPORTED_IMAGE');
    assert.match(err.message, /video/);
  });

  it("decodes or refuses (UNSUPPORTED_IMAGE) each of libheif's 132 fuzzing files", { skip: formats }, async () => {
    const dir = datasetPath('formats', 'heif-malformed');
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 132);
    let decoded = 0;
    for (const f of files) {
      try {
        await decodePhoto(await readFile(path.join(dir, f)), limits);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof AppError, `${f}: ${String(err)}`);
        assert.equal(err.code, 'UNSUPPORTED_IMAGE', `${f}: ${err.message}`);
        assert.ok(err.message.length > 20, `${f}: a message that says why (${err.message})`);
      }
    }
    assert.ok(decoded >= 5, `${decoded} decoded`);
    const after = await decodePhoto(await readFile(path.join(PACKAGE_PHOTOS, 'sample1.heic')), limits);
    assert.equal(after.width, 1920);
  });
});

/** A little-endian TIFF RAW: IFD0 (Make NIKON), SubIFD 1 the JPEG (tags 513/514), SubIFD 2 a CFA image. */
function tinyTiffRaw(jpeg: Buffer): Buffer {
  const entry = (tag: number, type: number, count: number, value: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt16LE(tag, 0);
    b.writeUInt16LE(type, 2);
    b.writeUInt32LE(count, 4);
    if (type === 3 && count === 1) b.writeUInt16LE(value, 8);
    else b.writeUInt32LE(value, 8);
    return b;
  };
  const ifd = (entries: Buffer[]) => Buffer.concat([Buffer.from([entries.length, 0]), ...entries, Buffer.alloc(4)]);
  const make = Buffer.from('NIKON CORPORATION\0', 'latin1');
  // Layout: header 8 | IFD0 at 8 (3 entries: 38 bytes) | SubIFD offsets (8) | SubIFD A | SubIFD B | make | jpeg
  const ifd0At = 8;
  const subsAt = ifd0At + 2 + 3 * 12 + 4;
  const aAt = subsAt + 8;
  const bAt = aAt + 2 + 3 * 12 + 4;
  const makeAt = bAt + 2 + 2 * 12 + 4;
  const jpegAt = makeAt + make.length;
  const header = Buffer.from([0x49, 0x49, 42, 0, ifd0At, 0, 0, 0]);
  const ifd0 = ifd([entry(271, 2, make.length, makeAt), entry(274, 3, 1, 1), entry(330, 4, 2, subsAt)]);
  const subs = Buffer.alloc(8);
  subs.writeUInt32LE(aAt, 0);
  subs.writeUInt32LE(bAt, 4);
  const a = ifd([entry(254, 4, 1, 1), entry(513, 4, 1, jpegAt), entry(514, 4, 1, jpeg.length)]);
  const b = ifd([entry(254, 4, 1, 0), entry(262, 3, 1, 32803)]);
  return Buffer.concat([header, ifd0, subs, a, b, make, jpeg]);
}
