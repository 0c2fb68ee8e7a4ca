import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import express from 'express';
import { after, before, test } from 'node:test';
import { webUiRouter } from '../../src/server/web-ui.js';

// The router alone, on a made-up build: what it sends, with which caching and encoding.
let dir: string;
let server: http.Server;
let base: string;
const JS = 'console.log("facegraph");\n'.repeat(50);
const CSS = 'body { margin: 0 }\n'.repeat(50);

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-webui-'));
  await fs.mkdir(path.join(dir, 'assets'));
  await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
  await fs.writeFile(path.join(dir, 'assets', 'index-abc123.js'), JS);
  await fs.writeFile(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(JS));
  await fs.writeFile(path.join(dir, 'assets', 'app-def456.css'), CSS);
  await fs.writeFile(path.join(dir, 'assets', 'app-def456.css.gz'), gzipSync(CSS));
  await fs.writeFile(path.join(dir, 'assets', 'app-def456.css.br'), brotliCompressSync(CSS));
  const app = express();
  app.use(webUiRouter({ dir }));
  app.use('/missing', webUiRouter({ dir: path.join(dir, 'nope') }));
  app.use((_req, res) => res.status(404).send('fallthrough'));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

/** A raw GET, so that Content-Encoding is seen as sent (fetch would decode it). */
function get(
  p: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(base + p, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

test('the page at / must be revalidated, carries a same-origin CSP, and answers 304 to its ETag', async () => {
  const res = await get('/');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
  assert.ok(res.headers.etag);
  const again = await get('/', { 'if-none-match': String(res.headers.etag) });
  assert.equal(again.status, 304);
});

test('hashed assets are immutable for a year and sent gzipped to clients that accept it', async () => {
  const plain = await get('/assets/index-abc123.js');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(plain.headers['content-type']), /javascript/);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), JS);

  const gz = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(gz.headers['content-encoding'], 'gzip', 'no .br was built, so gzip');
  const br = await get('/assets/app-def456.css', { 'accept-encoding': 'gzip, deflate, br, zstd' });
  assert.equal(br.headers['content-encoding'], 'br', 'brotli, though listed after gzip, when the build made it');
  assert.match(String(br.headers['content-type']), /^text\/css/);
  assert.equal(brotliDecompressSync(br.body).toString(), CSS);
  assert.match(String(gz.headers['content-type']), /javascript/, 'the type is the asset’s, not application/gzip');
  assert.match(String(gz.headers.vary), /Accept-Encoding/i);
  assert.ok(gz.body.length < JS.length);
  assert.equal(gunzipSync(gz.body).toString(), JS);
});

test('unknown or odd asset paths fall through to the rest of the app', async () => {
  for (const p of ['/assets/nope.js', '/assets/..%2Findex.html', '/assets/index-abc123.js.gz', '/graphql']) {
    const res = await get(p);
    assert.equal(res.status, 404, p);
    assert.equal(res.body.toString(), 'fallthrough', p);
  }
});

test('an unbuilt page says how to build it instead of failing obscurely', async () => {
  const res = await get('/missing/');
  assert.equal(res.status, 503);
  assert.match(res.body.toString(), /npm run build:web/);
});
