import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/harness.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => server?.destroy());

test('GET /graphql from a browser is GraphiQL, served entirely by facegraph (no CDN)', async () => {
  const res = await fetch(server.url, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /GraphiQL/);
  assert.doesNotMatch(html, /https?:\/\//, 'no external URL in the page');
  const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(scripts.length >= 5);
  assert.ok(scripts.includes('/playground/graphql-ws.js'), 'the WebSocket client for subscriptions');
  assert.match(html, /wsClient/, 'the fetcher runs subscriptions over the WebSocket');
  for (const asset of scripts) {
    const r = await fetch(new URL(asset, server.url));
    assert.equal(r.status, 200, asset);
    const body = await r.text();
    assert.ok(body.length > 1000, asset);
  }
});

test('GraphQL over JSON still works at the same path, and /healthz answers', async () => {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ albums { edges { node { id } } } }' }),
  });
  assert.deepEqual(await res.json(), { data: { albums: { edges: [] } } });
  assert.equal((await fetch(new URL('/healthz', server.url))).status, 200);
});
