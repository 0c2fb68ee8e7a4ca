import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { gql } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { DATASETS, datasetPath, describeWithDatasets } from '../support/datasets.js';
import { browserSkipReason, launchChromium, pageOrigin, screenshot, type Browser, type Page } from './browser.js';

/**
 * The album page's "Same person?" review in Debian's Chromium, on lfw10's ten
 * people: it shows mergeSuggestions' closest pair with the people's
 * thumbnails; "Not the same" dismisses it and the next pair shows; "Merge"
 * merges that pair and the review moves on again.
 */
const skip = browserSkipReason();
if (skip) console.log(`# "Same person?" web test skipped: ${skip}`);

let server: TestServer | undefined;
let front: Awaited<ReturnType<typeof pageOrigin>> | undefined;
let browser: Browser | undefined;

async function ok(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const r = await gql(server!.url, query, variables);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data;
}

interface Pair {
  a: { id: string; thumbnail: string };
  b: { id: string; thumbnail: string };
}
const firstPairs = async (album: string, limit: number): Promise<Pair[]> =>
  (
    await ok(`query($a: ID!, $l: Int) { mergeSuggestions(albumId: $a, limit: $l) { a { id thumbnail } b { id thumbnail } } }`, {
      a: album,
      l: limit,
    })
  ).mergeSuggestions;
const pairOf = (p: Pair) => `${p.a.id}:${p.b.id}`;

before(async () => {
  if (skip || !DATASETS) return;
  server = await startTestServer({ FACEGRAPH_IMPORT_ROOT: DATASETS });
  front = await pageOrigin(server.url);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await front?.close();
  await server?.destroy();
});

describeWithDatasets(['lfw10'], 'the "Same person?" review on the album page (lfw10)', () => {
  test('shows the closest pair; "Not the same" and "Merge" answer it and the next one shows', { skip }, async () => {
    const album = (await ok(`mutation { createAlbum(name: "Look-alikes") { id } }`)).createAlbum.id;
    const paths: string[] = [];
    for (const who of (await fs.readdir(datasetPath('lfw10'))).sort()) {
      for (const f of (await fs.readdir(datasetPath('lfw10', who))).sort()) paths.push(`lfw10/${who}/${f}`);
    }
    assert.equal(
      (await ok(`mutation($a: ID!, $p: [String!]!) { ingestPaths(albumId: $a, paths: $p) { done } }`, { a: album, p: paths })).ingestPaths
        .done,
      paths.length,
    );
    await ok(`mutation($a: ID!) { clusterFaces(albumId: $a) { faces } }`, { a: album });
    const [first, second] = await firstPairs(album, 2);
    assert.ok(first && second, 'lfw10 has look-alike pairs to review');

    const page: Page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.request().postData() ?? '').includes('PhotoUrlProbe')) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.goto(`${front!.origin}/#/albums/${encodeURIComponent(album)}`);
    const review = page.getByRole('group', { name: 'Same person?' });
    await review.waitFor();
    await page.locator(`[data-testid="same-person"][data-pair="${pairOf(first)}"]`).waitFor();

    // The two people's own thumbnails, side by side, loaded.
    const images = review.locator('img.face-thumb');
    assert.equal(await images.count(), 2);
    assert.deepEqual(await images.evaluateAll((imgs: any[]) => imgs.map((i) => new URL(i.src).pathname + new URL(i.src).search)), [
      first.a.thumbnail,
      first.b.thumbnail,
    ]);
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('[data-testid="same-person"] img')].every(
        (i: any) => i.complete && i.naturalWidth > 0,
      ),
    );
    await screenshot(page, 'same-person');

    // "Not the same": stored as a dismissal; the next pair shows.
    await review.getByRole('button', { name: 'Not the same' }).click();
    await page.locator(`[data-testid="same-person"][data-pair="${pairOf(second)}"]`).waitFor();
    assert.ok(!(await firstPairs(album, 200)).some((p) => pairOf(p) === pairOf(first)), 'the dismissed pair is not suggested again');
    const stored = await server!.facegraph.database.db.selectFrom('person_dismissals').selectAll().execute();
    assert.equal(stored.length, 1);

    // "Merge": the second person joins the first, leaves the people strip, and the review moves on.
    const before = (await ok(`query($p: ID!) { person(id: $p) { faceCount } }`, { p: second.a.id })).person.faceCount;
    await review.getByRole('button', { name: 'Merge' }).click();
    await page.locator(`.people-strip [data-person-id="${second.b.id}"]`).waitFor({ state: 'detached' });
    const merged = await ok(`query($a: ID!, $b: ID!) { a: person(id: $a) { faceCount } b: person(id: $b) { id } }`, {
      a: second.a.id,
      b: second.b.id,
    });
    assert.equal(merged.b, null, 'merged away');
    assert.ok(merged.a.faceCount > before);
    const [next] = await firstPairs(album, 1);
    if (next) await page.locator(`[data-testid="same-person"][data-pair="${pairOf(next)}"]`).waitFor();
    else await review.waitFor({ state: 'detached' });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
