import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { browserSkipReason, launchChromium, pageOrigin, screenshot, type Browser, type Page } from './browser.js';

/**
 * A HEIC photo in Debian's Chromium, which cannot decode HEIC itself: uploaded through the web page, the
 * album shows it (Image.url is its JPEG rendition) with its three face boxes on the faces. The fixture is
 * face-api's sample1.jpg made HEIC with heif-enc (test/fixtures/photos/README.md).
 */
const skip = browserSkipReason();
if (skip) console.log(`# HEIC web test skipped: ${skip}`);

const HEIC = path.join(import.meta.dirname, '../fixtures/photos/sample1.heic');
const INGEST_TIMEOUT = 180_000;

let server: TestServer | undefined;
let front: Awaited<ReturnType<typeof pageOrigin>> | undefined;
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  server = await startTestServer({ FACEGRAPH_INGEST_WAIT_SECONDS: '0' });
  front = await pageOrigin(server.url);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await front?.close();
  await server?.destroy();
});

test('the album page shows a HEIC photo, as a JPEG rendition, with its three face boxes on the faces', { skip }, async () => {
  const page: Page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !(r.request().postData() ?? '').includes('PhotoUrlProbe')) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });

  await page.goto(`${front!.origin}/`);
  await page.getByLabel('New album name').fill('Phone photos');
  await page.getByRole('button', { name: 'Create album' }).click();
  await page.getByRole('heading', { name: 'Phone photos' }).waitFor();
  await page.getByTestId('upload-input').setInputFiles([{ name: 'sample1.heic', mimeType: 'image/heic', buffer: readFileSync(HEIC) }]);
  const item = page.locator('.upload-item[data-file="sample1.heic"]');
  await page
    .locator('.upload-item[data-file="sample1.heic"]:is([data-phase="done"], [data-phase="failed"])')
    .waitFor({ timeout: INGEST_TIMEOUT });
  assert.equal(await item.getAttribute('data-phase'), 'done', (await item.textContent()) ?? '');
  assert.equal((await item.locator('.upload-state').textContent())?.trim(), '3 faces');

  await page.locator('.photo-grid .photo').first().waitFor();
  await page.waitForLoadState('networkidle');
  const img = page.locator('.photo-grid img').first();
  await page.waitForFunction(() => {
    const i = (globalThis as any).document.querySelector('.photo-grid img');
    return i?.complete && i.naturalWidth > 0;
  });
  const shown = await img.evaluate((i) => {
    const el = i as any;
    const frame = el.closest('.photo-frame')!.getBoundingClientRect();
    return { src: el.currentSrc, width: el.naturalWidth, height: el.naturalHeight, frame: { width: frame.width, height: frame.height } };
  });
  assert.match(new URL(shown.src).pathname, /^\/photos\/\d+-[0-9a-f]+\.jpg$/, 'the rendition, not the HEIC');
  // sample1 is 1920 x 1280; the rendition keeps its size, and the frame its aspect.
  assert.deepEqual([shown.width, shown.height], [1920, 1280]);
  assert.ok(Math.abs(shown.frame.width / shown.frame.height - 1920 / 1280) < 0.01, JSON.stringify(shown.frame));

  const boxes = await page.locator('.photo-grid .face-box').evaluateAll((els) =>
    els.map((el) => {
      const b = el.getBoundingClientRect();
      const f = el.closest('.photo-frame')!.getBoundingClientRect();
      return { x: (b.left - f.left) / f.width, y: (b.top - f.top) / f.height, w: b.width / f.width, h: b.height / f.height };
    }),
  );
  assert.equal(boxes.length, 3);
  for (const b of boxes)
    assert.ok(b.w > 0.02 && b.h > 0.02 && b.x >= 0 && b.y >= 0 && b.x + b.w <= 1.001 && b.y + b.h <= 1.001, JSON.stringify(b));
  // On the faces: each box's middle is skin, not the page's background (the pixels the box covers, from the rendition).
  const skin = await img.evaluate(async (i, rects) => {
    const el = i as any;
    const canvas = (globalThis as any).document.createElement('canvas');
    canvas.width = el.naturalWidth;
    canvas.height = el.naturalHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(el, 0, 0);
    return rects.map((r) => {
      const [red, green, blue] = ctx.getImageData(
        Math.round((r.x + r.w / 2) * el.naturalWidth),
        Math.round((r.y + r.h / 2) * el.naturalHeight),
        1,
        1,
      ).data;
      return { red, green, blue };
    });
  }, boxes);
  for (const p of skin) assert.ok(p.red > p.blue && p.red > 60, `a face's colour at the box's middle: ${JSON.stringify(p)}`);
  await screenshot(page, 'heic-album');
  assert.deepEqual(problems, []);
  await page.close();
});
