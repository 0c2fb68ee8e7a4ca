import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { codes, gql } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';

/** A server configured for production: no introspection, no playground, a small request byte limit. */
let server: TestServer;
before(async () => {
  server = await startTestServer({ NODE_ENV: 'production', FACEGRAPH_MAX_REQUEST_BYTES: '100000' });
});
after(async () => server?.destroy());

test('NODE_ENV=production turns introspection and the playground off', async () => {
  const r = await gql(server.url, '{ __schema { queryType { name } } }');
  assert.deepEqual(codes(r), ['GRAPHQL_VALIDATION_FAILED']);
  const page = await fetch(server.url, { headers: { accept: 'text/html' } });
  assert.doesNotMatch(await page.text(), /GraphiQL/);
  // Ordinary operations still work.
  assert.deepEqual((await gql(server.url, '{ albums { edges { node { id } } } }')).data, { albums: { edges: [] } });
});

test('a request over FACEGRAPH_MAX_REQUEST_BYTES is refused from its Content-Length with PAYLOAD_TOO_LARGE', async () => {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({ query: 'mutation($f: [Upload!]!) { ingestImages(albumId: "1", files: $f) { id } }', variables: { f: [null, null] } }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.f.0'], 1: ['variables.f.1'] }));
  form.append('0', new Blob([new Uint8Array(60_000)]), 'a.jpg');
  form.append('1', new Blob([new Uint8Array(60_000)]), 'b.jpg');
  const res = await fetch(server.url, { method: 'POST', body: form, headers: { 'apollo-require-preflight': 'true' } });
  assert.equal(res.status, 413);
  const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
  // The server is still there.
  assert.equal((await fetch(new URL('/healthz', server.url))).status, 200);
});
