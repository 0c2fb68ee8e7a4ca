import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertConsistent } from '../helpers/consistency.js';
import { gql, gqlUpload } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { malformedFiles } from './malformed-inputs.js';

/** What each kind of file must give: a stored image, a given error code, or either (valid images in disguise). */
const EXPECTED: Record<string, 'stored' | 'UNSUPPORTED_IMAGE' | 'PAYLOAD_TOO_LARGE' | 'any'> = {
  truncated: 'any', // a cut at the very end can still be a whole image
  'bit-flips': 'any', // some flips only change pixels
  random: 'UNSUPPORTED_IMAGE',
  zero: 'UNSUPPORTED_IMAGE',
  'magic-only': 'UNSUPPORTED_IMAGE',
  'huge-dimensions': 'PAYLOAD_TOO_LARGE',
  svg: 'UNSUPPORTED_IMAGE',
  pdf: 'UNSUPPORTED_IMAGE',
  html: 'UNSUPPORTED_IMAGE',
  text: 'UNSUPPORTED_IMAGE',
  polyglot: 'any',
  'wrong-extension': 'stored',
  'corrupt-exif': 'any',
  cmyk: 'stored',
  '16-bit': 'stored',
  animated: 'stored',
  'other-format': 'stored',
};
const FILE_ERROR_CODES = new Set(['UNSUPPORTED_IMAGE', 'PAYLOAD_TOO_LARGE']);

let server: TestServer;
let albumId: string;
before(async () => {
  server = await startTestServer();
  albumId = (await gql(server.url, 'mutation { createAlbum(name: "matrix") { id } }')).data.createAlbum.id;
});
after(async () => server?.destroy());

test('malformed files: no crash, every error coded, database and data folder agree', async () => {
  const files = await malformedFiles();
  assert.ok(files.length >= 200, `only ${files.length} inputs`);
  const tally: Record<string, number> = {};
  for (let i = 0; i < files.length; i += 12) {
    const chunk = files.slice(i, i + 12);
    const r = await gqlUpload(
      server.url,
      'mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { id status items { fileName image { id width height } error { code message } } } }',
      { a: albumId },
      'f',
      chunk,
    );
    assert.equal(r.status, 200);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    let batch = r.data.ingestImages;
    // A large batch may be finished by a job: wait for it.
    for (let waited = 0; batch.status !== 'DONE' && batch.status !== 'FAILED' && waited < 600; waited++) {
      await new Promise((res) => setTimeout(res, 500));
      batch = (
        await gql(
          server.url,
          'query($b: ID!) { ingestBatch(id: $b) { id status items { fileName image { id width height } error { code message } } } }',
          { b: batch.id },
        )
      ).data.ingestBatch;
    }
    assert.equal(batch.items.length, chunk.length);
    batch.items.forEach((item: any, k: number) => {
      const { kind, name } = chunk[k];
      const outcome = item.error ? item.error.code : 'stored';
      tally[`${kind}:${outcome}`] = (tally[`${kind}:${outcome}`] ?? 0) + 1;
      if (item.error) {
        assert.equal(item.image, null);
        assert.ok(FILE_ERROR_CODES.has(item.error.code), `${name}: unexpected code ${item.error.code} (${item.error.message})`);
        assert.ok(item.error.message.length > 0);
      } else {
        assert.ok(item.image.width > 0 && item.image.height > 0, name);
      }
      const expected = EXPECTED[kind];
      if (expected !== 'any') assert.equal(outcome, expected, `${kind} ${name}: ${item.error?.message ?? 'stored'}`);
    });
  }
  console.log(`bad-input matrix: ${files.length} malformed files tried; outcomes ${JSON.stringify(tally)}`);
  assert.equal((await fetch(new URL('/healthz', server.url))).status, 200);
  await assertConsistent(server);
});

test('malformed GraphQL requests: every one answered with a coded error, server keeps serving', async () => {
  const mega = 'x'.repeat(1_000_000);
  const deep = `{ albums { edges { node { ${'images { edges { node { album { '.repeat(8)}id${' } } } }'.repeat(8)} } } } }`;
  /** `itemErrors`: the request is valid GraphQL, and the broken upload fails as its own coded item. */
  const cases: { name: string; send: () => Promise<{ status: number; body: any }>; itemErrors?: boolean }[] = [];
  const json = (query: string, variables?: unknown) => async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const raw = (body: string | FormData, headers: Record<string, string>) => async () => {
    const res = await fetch(server.url, { method: 'POST', headers, body });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  for (const id of ['-1', '0', '1e3', 'abc', '', '9'.repeat(40), '١٢٣', '1 OR 1=1', "1'; DROP TABLE faces; --", ' 1']) {
    cases.push({ name: `album id ${JSON.stringify(id)}`, send: json('query($id: ID!) { album(id: $id) { id } }', { id }) });
    cases.push({
      name: `similarFaces id ${JSON.stringify(id)}`,
      send: json('query($id: ID!) { similarFaces(faceId: $id) { distance } }', { id }),
    });
  }
  cases.push({ name: 'wrong literal type', send: json('{ similarFaces(faceId: "1", limit: "ten") { distance } }') });
  cases.push({
    name: 'wrong variable type',
    send: json('query($l: Int) { similarFaces(faceId: "1", limit: $l) { distance } }', { l: 'ten' }),
  });
  cases.push({ name: 'float limit', send: json('query($l: Int) { similarFaces(faceId: "1", limit: $l) { distance } }', { l: 2.5 }) });
  cases.push({
    name: 'maxDistance NaN-ish',
    send: json('query($d: Float) { similarFaces(faceId: "1", maxDistance: $d) { distance } }', { d: 'NaN' }),
  });
  cases.push({ name: 'missing argument', send: json('{ similarFaces { distance } }') });
  cases.push({ name: 'unknown field', send: json('{ albums { edges { node { password } } } }') });
  cases.push({ name: 'unknown operation field', send: json('{ dropEverything }') });
  cases.push({ name: 'syntax error', send: json('{ albums { ') });
  cases.push({ name: 'empty query', send: json('') });
  cases.push({ name: 'megabyte album name', send: json('mutation($n: String!) { createAlbum(name: $n) { id } }', { n: mega }) });
  cases.push({ name: 'megabyte query text', send: json(`{ albums { edges { node { id } } } } # ${mega}`) });
  cases.push({ name: 'deeply nested query', send: json(deep) });
  cases.push({
    name: 'alias flood',
    send: json(`{ ${Array.from({ length: 200 }, (_, i) => `a${i}: albums { edges { node { id } } }`).join(' ')} }`),
  });
  cases.push({ name: 'negative first', send: json('{ albums(first: -5) { edges { node { id } } } }') });
  cases.push({ name: 'huge first', send: json('{ albums(first: 2147483647) { edges { node { id } } } }') });
  cases.push({ name: 'out-of-int first', send: json('{ albums(first: 99999999999) { edges { node { id } } } }') });
  cases.push({ name: 'forged cursor', send: json('{ albums(first: 2, after: "aWQ6LTE") { edges { node { id } } } }') });
  cases.push({ name: 'body not JSON', send: raw('{"query": "{ albums', { 'content-type': 'application/json' }) });
  const form = (ops: string, map: string, withFile: boolean) => {
    const f = new FormData();
    f.append('operations', ops);
    f.append('map', map);
    if (withFile) f.append('0', new Blob([new Uint8Array(10)]), 'x.jpg');
    return f;
  };
  const upload = 'mutation($f: [Upload!]!) { ingestImages(albumId: "1", files: $f) { id } }';
  const preflight = { 'apollo-require-preflight': 'true' };
  const uploadItems = 'mutation($f: [Upload!]!) { ingestImages(albumId: "1", files: $f) { items { error { code } } } }';
  cases.push({
    name: 'multipart map points at a missing file',
    itemErrors: true,
    send: raw(
      form(JSON.stringify({ query: uploadItems, variables: { f: [null, null] } }), '{"0":["variables.f.0"],"1":["variables.f.1"]}', true),
      preflight,
    ),
  });
  cases.push({
    name: 'multipart map points at a missing variable',
    send: raw(form(JSON.stringify({ query: upload, variables: { f: [null] } }), '{"0":["variables.nothing.here"]}', true), preflight),
  });
  cases.push({ name: 'multipart operations not JSON', send: raw(form('{not json', '{"0":["variables.f.0"]}', true), preflight) });
  cases.push({
    name: 'multipart map not JSON',
    send: raw(form(JSON.stringify({ query: upload, variables: { f: [null] } }), '[[[', true), preflight),
  });
  cases.push({
    name: 'multipart without files',
    send: raw(form(JSON.stringify({ query: upload, variables: { f: [null] } }), '{}', false), preflight),
  });
  cases.push({
    name: 'upload where a string is expected',
    send: raw(
      form(
        JSON.stringify({ query: 'mutation($n: String!) { createAlbum(name: $n) { id } }', variables: { n: null } }),
        '{"0":["variables.n"]}',
        true,
      ),
      preflight,
    ),
  });
  cases.push({
    name: 'multipart without CSRF preflight header',
    send: raw(form(JSON.stringify({ query: upload, variables: { f: [null] } }), '{"0":["variables.f.0"]}', true), {}),
  });

  for (const c of cases) {
    const { status, body } = await c.send();
    assert.ok(status < 500, `${c.name}: HTTP ${status}`);
    if (c.itemErrors) {
      const items = body?.data?.ingestImages?.items ?? [];
      assert.ok(
        items.length > 0 && items.every((i: any) => typeof i.error?.code === 'string'),
        `${c.name}: ${JSON.stringify(body).slice(0, 300)}`,
      );
      continue;
    }
    assert.ok(
      body && Array.isArray(body.errors) && body.errors.length > 0,
      `${c.name}: no errors in ${JSON.stringify(body)?.slice(0, 200)}`,
    );
    for (const e of body.errors) {
      assert.equal(typeof e.extensions?.code, 'string', `${c.name}: error without code: ${JSON.stringify(e).slice(0, 200)}`);
      assert.notEqual(e.extensions.code, 'INTERNAL_SERVER_ERROR', `${c.name}: ${e.message}`);
    }
  }
  console.log(`bad-input matrix: ${cases.length} malformed GraphQL requests tried`);
  const ok = await gql(server.url, '{ albums { edges { node { id } } } }');
  assert.equal(ok.errors, undefined);
  await assertConsistent(server);
});
