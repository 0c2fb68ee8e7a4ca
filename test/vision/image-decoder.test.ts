/**
 * Colour profiles in decoding: an embedded sRGB profile is not run through
 * lcms (the identity, at ~30 ms a 1920-px photo), any other profile is still
 * converted to sRGB. Real photos, decoded with and without the conversion.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodePhoto, isSrgbProfile } from '../../src/vision/image-decoder.js';
import { DEMO_DIR } from '../support/datasets.js';

const limits = { maxPixels: 100_000_000, maxSide: 1920 };

/** The photo as sharp decodes it with its embedded profile converted to sRGB (or ignored). */
async function converted(bytes: Buffer, ignoreIcc: boolean): Promise<Buffer> {
  return sharp(bytes, { ignoreIcc }).rotate().flatten({ background: '#fff' }).toColourspace('srgb').removeAlpha().raw().toBuffer();
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('decodePhoto and embedded colour profiles', () => {
  it('skips the conversion of an embedded sRGB profile, with the same pixels as converting it', async () => {
    // The demo group photos embed HP / Microsoft's "sRGB IEC61966-2.1".
    const bytes = await readFile(path.join(DEMO_DIR, 'sample1.jpg'));
    assert.equal(isSrgbProfile((await sharp(bytes).metadata()).icc), true);
    const photo = await decodePhoto(bytes, limits);
    assert.equal(maxDifference(photo.image.data, await converted(bytes, false)), 0);
  });

  it('still converts a profile that is not sRGB (Display P3)', async () => {
    const source = await readFile(path.join(DEMO_DIR, 'sample6.jpg'));
    const bytes = await sharp(source).resize(640).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
    assert.equal(isSrgbProfile((await sharp(bytes).metadata()).icc), false);
    const photo = await decodePhoto(bytes, limits);
    assert.equal(maxDifference(photo.image.data, await converted(bytes, false)), 0);
    assert.ok(maxDifference(photo.image.data, await converted(bytes, true)) > 10, 'P3 pixels taken as sRGB would differ');
  });

  it('takes a damaged or missing profile as not sRGB', async () => {
    const { icc } = await sharp(await readFile(path.join(DEMO_DIR, 'sample1.jpg'))).metadata();
    assert.equal(isSrgbProfile(icc!.subarray(0, 200)), false);
    assert.equal(isSrgbProfile(Buffer.alloc(0)), false);
    assert.equal(isSrgbProfile(undefined), false);
  });
});
