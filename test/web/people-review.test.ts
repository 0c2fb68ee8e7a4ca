import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { refreshPeople } from '../../src/repositories/people-write.js';
import { gql, gqlUpload } from '../helpers/graphql-client.js';
import { astronautPhotos, DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';
import { browserSkipReason, launchChromium, pageOrigin, screenshot, type Browser, type Page } from './browser.js';

/**
 * The "Who is this?" review of the album page and the People together page in
 * Debian's Chromium, on package photos: four photos of the astronaut (one
 * person) two of whose faces are taken out of her, and face-api's sample1.jpg
 * (three people, each a person of their own with minFaces 1). Yes puts a face
 * in the suggested person, Skip shows the next, No stores "not this person";
 * picking two of sample1's people shows sample1, and "only them" does not; the
 * person page sets and clears a birth date.
 */
const skip = browserSkipReason();
if (skip) console.log(`# people review web tests skipped: ${skip}`);

let server: TestServer | undefined;
let front: Awaited<ReturnType<typeof pageOrigin>> | undefined;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];

async function ok(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const r = await gql(server!.url, query, variables);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data;
}
const personOfFace = async (face: string): Promise<string | null> =>
  (await ok(`query($f: ID!) { face(id: $f) { person { id } } }`, { f: face })).face.person?.id ?? null;

let album: string;
let astronaut: string;
/** The astronaut's faces taken out of her, for the review. */
let loose: string[];
/** sample1's people, left to right. */
let sample1People: string[];
let sample1: string;

before(async () => {
  if (skip) return;
  server = await startTestServer();
  front = await pageOrigin(server.url);
  browser = await launchChromium();
  album = (await ok(`mutation { createAlbum(name: "Review") { id } }`)).createAlbum.id;
  const files = [...(await astronautPhotos(4)), { name: 'sample1.jpg', bytes: readFileSync(path.join(DEMO_DIR, 'sample1.jpg')) }];
  const r = await gqlUpload(
    server.url,
    `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { image { id faces { id box { x } } } } } }`,
    { a: album },
    'f',
    files,
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  await server.facegraph.services.clustering.settled();
  const images = r.data.ingestImages.items.map((i: any) => i.image);
  await ok(`mutation($a: ID!) { clusterFaces(albumId: $a, minFaces: 1) { faces } }`, { a: album });
  const astronautFaces: string[] = images.slice(0, 4).map((i: any) => i.faces[0].id);
  astronaut = (await personOfFace(astronautFaces[0]))!;
  for (const f of astronautFaces) assert.equal(await personOfFace(f), astronaut, 'the astronaut is one person');
  // Two of her faces become nobody's yet, as faces clustering has not placed are.
  loose = astronautFaces.slice(2);
  const db = server.facegraph.database.db;
  await db.deleteFrom('face_people').where('face_id', 'in', loose.map(Number)).execute();
  await refreshPeople(db, [Number(astronaut)]);
  sample1 = images[4].id;
  const faces = [...images[4].faces].sort((a: any, b: any) => a.box.x - b.box.x);
  sample1People = (await Promise.all(faces.map((f: any) => personOfFace(f.id)))).filter((p): p is string => p !== null);
  assert.equal(new Set(sample1People).size, 3, `sample1's three women are three people: ${sample1People}`);

  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && !(res.request().postData() ?? '').includes('PhotoUrlProbe'))
      problems.push(`HTTP ${res.status()} ${res.url()}`);
  });
});
after(async () => {
  await browser?.close();
  await front?.close();
  await server?.destroy();
});

describe('people review and together pages', () => {
  test('"Who is this?": Yes moves the face, Skip shows the next, No refuses the pair for good', { skip }, async () => {
    const queue = (await ok(`query($a: ID) { reviewQueue(albumId: $a) { face { id } person { id } } }`, { a: album })).reviewQueue;
    assert.deepEqual(
      queue.map((s: any) => s.person.id),
      [astronaut, astronaut],
    );
    const [first, second] = queue.map((s: any) => s.face.id as string);
    assert.deepEqual([first, second].sort(), [...loose].sort());

    await page.goto(`${front!.origin}/#/albums/${encodeURIComponent(album)}`);
    const review = page.getByRole('group', { name: 'Who is this?' });
    await page.locator(`[data-testid="who-is-this"][data-face-id="${first}"][data-person-id="${astronaut}"]`).waitFor();
    assert.equal(await review.locator('img.face-thumb').count(), 2, 'the face and the person');
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('[data-testid="who-is-this"] img')].every(
        (i: any) => i.complete && i.naturalWidth > 0,
      ),
    );
    await screenshot(page, 'who-is-this');

    await review.getByRole('button', { name: 'Yes' }).click();
    await page.locator(`[data-testid="who-is-this"][data-face-id="${second}"]`).waitFor();
    assert.equal(await personOfFace(first), astronaut, 'Yes: moved into the person');

    await review.getByRole('button', { name: 'Skip' }).click();
    await review.waitFor({ state: 'detached' });
    assert.equal(await personOfFace(second), null, 'Skip changes nothing');

    // Skipped only for this visit: back on the page, it is asked again; No refuses it.
    await page.reload();
    await page.locator(`[data-testid="who-is-this"][data-face-id="${second}"]`).waitFor();
    await review.getByRole('button', { name: 'No' }).click();
    // The pair is gone; the face may come back with the next person it could be (one of sample1's women).
    await page.waitForFunction(
      ([face, person]) =>
        !(globalThis as any).document.querySelector(`[data-testid="who-is-this"][data-face-id="${face}"][data-person-id="${person}"]`),
      [second, astronaut],
    );
    const rejections = await server!.facegraph.database.db.selectFrom('face_person_rejections').selectAll().execute();
    assert.deepEqual(
      rejections.map((r) => [String(r.face_id), String(r.person_id)]),
      [[second, astronaut]],
    );
    const left = (await ok(`query($a: ID) { reviewQueue(albumId: $a) { face { id } person { id } } }`, { a: album })).reviewQueue;
    assert.ok(!left.some((s: any) => s.person.id === astronaut), JSON.stringify(left));
    assert.deepEqual(problems, []);
  });

  test('People together: two of sample1\'s people show sample1; "only them" does not', { skip }, async () => {
    const [a, b] = sample1People;
    await page.goto(`${front!.origin}/#/together`);
    await page.getByRole('heading', { name: 'People together' }).waitFor();
    await page.locator(`.together-person[data-person-id="${a}"] input`).check();
    await page.locator(`.together-person[data-person-id="${b}"] input`).check();
    const photos = page.getByRole('region', { name: 'Photos together' });
    await page.getByTestId('together-count').filter({ hasText: '1 photo with 2 people' }).waitFor();
    assert.equal(await photos.locator('figure.photo').count(), 1);
    assert.equal(await photos.locator('figure.photo img').first().getAttribute('alt'), 'sample1.jpg');
    await screenshot(page, 'people-together');

    await page.getByLabel('Only them (nobody else in the photo)').check();
    await page.getByTestId('together-count').filter({ hasText: '0 photos with 2 people' }).waitFor();
    // All three of sample1's people, only them: sample1 again.
    await page.locator(`.together-person[data-person-id="${sample1People[2]}"] input`).check();
    await page.getByTestId('together-count').filter({ hasText: `1 photo with 3 people` }).waitFor();
    const all = (
      await ok(`query($p: [ID!]!) { peopleTogether(personIds: $p, only: true) { edges { node { id } } } }`, { p: sample1People })
    ).peopleTogether.edges;
    assert.deepEqual(
      all.map((e: any) => e.node.id),
      [sample1],
    );
    assert.deepEqual(problems, []);
  });
  test('the person page sets and clears a birth date', { skip }, async () => {
    const birth = async () => (await ok(`query($p: ID!) { person(id: $p) { birthDate } }`, { p: astronaut })).person.birthDate;
    await page.goto(`${front!.origin}/#/people/${encodeURIComponent(astronaut)}`);
    await page.getByLabel('Birth date').fill('1956-11-19');
    await page.getByRole('button', { name: 'Save birth date' }).click();
    await page.getByTestId('birth-date').filter({ hasText: 'born 1956-11-19' }).waitFor();
    assert.equal(await birth(), '1956-11-19');
    await page.getByLabel('Birth date').fill('');
    await page.getByRole('button', { name: 'Clear birth date' }).click();
    await page.getByTestId('birth-date').waitFor({ state: 'detached' });
    assert.equal(await birth(), null);
    assert.deepEqual(problems, []);
  });
});
