import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_DIR, startTestServer, type TestServer } from '../helpers/harness.js';
import { browserSkipReason, launchChromium, type Browser, type Page } from './browser.js';

/**
 * A page on another origin, in Debian's Chromium, as docs/api.md's minimal client does it: with its origin in
 * FACEGRAPH_CORS_ORIGINS it queries with its key (preflighted), uploads a photo (multipart with
 * Apollo-Require-Preflight), fetches the photo with its key and opens a graphql-ws socket; a page on an origin
 * not listed can do none of it (the browser refuses the answers, the server the socket).
 */
const skip = browserSkipReason();
if (skip) console.log(`# cross-origin web test skipped: ${skip}`);

let server: TestServer | undefined;
let browser: Browser | undefined;
let key = '';
const pages: http.Server[] = [];

/** An empty page on its own port of `localhost` (another origin than the API's 127.0.0.1). */
async function pageServer(): Promise<string> {
  const s = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>'));
  s.listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  pages.push(s);
  return `http://localhost:${(s.address() as AddressInfo).port}`;
}

let allowed = '';
let other = '';

before(async () => {
  if (skip) return;
  allowed = await pageServer();
  other = await pageServer();
  server = await startTestServer({ FACEGRAPH_CORS_ORIGINS: allowed });
  key = (await server.facegraph.services.keys.create('app')).key;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  for (const s of pages) s.close();
  await server?.destroy();
});

/** What the page can do against the API: each step's outcome, or the error it met. */
async function tryFromPage(origin: string): Promise<Record<string, string>> {
  const page: Page = await browser!.newPage();
  try {
    await page.goto(`${origin}/`);
    const photo = readFileSync(path.join(DEMO_DIR, 'sample1.jpg')).toString('base64');
    // Sent as source text: tsx's transform would add helpers (__name) the page does not have.
    return await page.evaluate(`(async ({ api, key, photo }) => {
        const out = {};
        const auth = { authorization: \`Bearer \${key}\` };
        const step = async (name, fn) => {
          try {
            out[name] = await fn();
          } catch (err) {
            out[name] = \`error: \${err.message}\`;
          }
        };
        let album = '';
        let url = '';
        await step('query', async () => {
          const r = await fetch(api, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ query: 'mutation { createAlbum(name: "from another origin") { id } }' }),
          });
          album = (await r.json()).data.createAlbum.id;
          return 'ok';
        });
        await step('upload', async () => {
          const bytes = Uint8Array.from(atob(photo), (c) => c.charCodeAt(0));
          const form = new FormData();
          form.append(
            'operations',
            JSON.stringify({
              query: 'mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { image { url faces { id } } } } }',
              variables: { a: album, f: [null] },
            }),
          );
          form.append('map', JSON.stringify({ 0: ['variables.f.0'] }));
          form.append('0', new Blob([bytes], { type: 'image/jpeg' }), 'sample1.jpg');
          const r = await fetch(api, { method: 'POST', body: form, headers: { ...auth, 'apollo-require-preflight': 'true' } });
          const image = (await r.json()).data.ingestImages.items[0].image;
          url = image.url;
          return \`\${image.faces.length} faces\`;
        });
        await step('photo', async () => {
          const r = await fetch(new URL(url, api), { headers: auth });
          return \`\${r.status} \${r.headers.get('content-type')} \${(await r.blob()).size > 0}\`;
        });
        await step('socket', async () => {
          const ws = new WebSocket(api.replace(/^http/, 'ws'), 'graphql-transport-ws');
          return await new Promise((resolve) => {
            ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: auth }));
            ws.onmessage = (m) => {
              resolve(JSON.parse(m.data).type);
              ws.close();
            };
            ws.onerror = () => resolve('refused');
          });
        });
        return out;
})(${JSON.stringify({ api: server!.url, key, photo })})`);
  } finally {
    await page.close();
  }
}

test('a page on a listed origin queries, uploads, fetches photos and subscribes with its key', { skip }, async () => {
  const outcome = await tryFromPage(allowed);
  assert.deepEqual(outcome, { query: 'ok', upload: '3 faces', photo: '200 image/jpeg true', socket: 'connection_ack' });
});

test('a page on an origin not listed can do none of it', { skip }, async () => {
  const outcome = await tryFromPage(other);
  assert.match(outcome.query, /^error: Failed to fetch/);
  assert.match(outcome.upload, /^error: /);
  assert.match(outcome.photo, /^error: /);
  assert.equal(outcome.socket, 'refused');
});
