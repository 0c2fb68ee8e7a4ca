import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/harness.js';

/**
 * FACEGRAPH_CORS_ORIGINS: a page on a listed origin may call the API from a browser (preflights answered on
 * /graphql and the photo, thumbnail and XMP routes; graphql-ws sockets accepted); any other origin gets no
 * CORS header and no socket; and Apollo's CSRF prevention still refuses a request no preflight guarded.
 */
const APP = 'http://localhost:5173';
const OTHER = 'https://evil.example';

async function preflight(server: TestServer, route: string, origin: string, headers = 'authorization,content-type') {
  return fetch(new URL(route, server.url), {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': route === '/graphql' ? 'POST' : 'GET', 'access-control-request-headers': headers },
  });
}

/** The WebSocket handshake's outcome: 'open', or the HTTP status it was refused with. */
function handshake(server: TestServer, origin?: string): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

const ROUTES = [
  '/graphql',
  '/photos/1-00000000000000000000000000000000',
  '/thumbnails/faces/1-000000000000000000000000.jpg',
  '/images/1.xmp',
];

describe('FACEGRAPH_CORS_ORIGINS set', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ FACEGRAPH_CORS_ORIGINS: `${APP},https://app.example.com` });
  });
  after(() => server?.destroy());

  for (const route of ROUTES) {
    test(`a preflight from a listed origin is answered on ${route.split('/').slice(0, 2).join('/')}`, async () => {
      const res = await preflight(server, route, APP, 'authorization,content-type,apollo-require-preflight,x-apollo-operation-name');
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), APP);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
      for (const h of ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name']) {
        assert.ok(allowed.includes(h), `${h} allowed: ${allowed}`);
      }
      assert.match(res.headers.get('vary') ?? '', /origin/i);
    });

    test(`a preflight from another origin gets no CORS header on ${route.split('/').slice(0, 2).join('/')}`, async () => {
      const res = await preflight(server, route, OTHER);
      for (const [name] of res.headers) assert.ok(!name.startsWith('access-control-'), `${name} sent to ${OTHER}`);
    });
  }

  test('the real request from a listed origin carries the origin; from another origin none', async () => {
    const query = JSON.stringify({ query: '{ albums(first: 1) { edges { node { id } } } }' });
    const mine = await fetch(server.url, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: query });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get('access-control-allow-origin'), APP);
    const theirs = await fetch(server.url, { method: 'POST', headers: { origin: OTHER, 'content-type': 'application/json' }, body: query });
    assert.equal(theirs.headers.get('access-control-allow-origin'), null);
    // Photos too: a 404 for a made-up URL, but one the listed page may read.
    const photo = await fetch(new URL(ROUTES[1], server.url), { headers: { origin: APP } });
    assert.equal(photo.status, 404);
    assert.equal(photo.headers.get('access-control-allow-origin'), APP);
  });

  test("Apollo's CSRF prevention still refuses a request no preflight guarded, from a listed origin too", async () => {
    // A simple request (text/plain, no custom header) is one a browser sends cross-site without asking first.
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ albums(first: 1) { edges { node { id } } } }' }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /CSRF|preflight/i);
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: '{ __typename }' }));
    form.append('map', '{}');
    const multipart = await fetch(server.url, { method: 'POST', headers: { origin: APP }, body: form });
    assert.equal(multipart.status, 400, 'a multipart request without apollo-require-preflight');
  });

  test('graphql-ws: a listed origin, the server itself and a client without Origin may connect; another origin is refused', async () => {
    assert.equal(await handshake(server, APP), 'open');
    assert.equal(await handshake(server, 'https://app.example.com'), 'open');
    assert.equal(await handshake(server), 'open', 'no Origin: not a browser');
    assert.equal(await handshake(server, new URL(server.url).origin), 'open', 'same origin');
    assert.equal(await handshake(server, OTHER), 403);
  });
});

describe('FACEGRAPH_CORS_ORIGINS unset: same origin only, as before', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.destroy());

  test('a preflight from any other origin gets no CORS header', async () => {
    for (const route of ROUTES) {
      const res = await preflight(server, route, APP);
      for (const [name] of res.headers) assert.ok(!name.startsWith('access-control-'), `${route}: ${name}`);
    }
  });

  test('graphql-ws: only the server itself and clients without Origin', async () => {
    assert.equal(await handshake(server), 'open');
    assert.equal(await handshake(server, new URL(server.url).origin), 'open');
    assert.equal(await handshake(server, APP), 403);
  });
});
