/**
 * An upload refused before its body is read (here: an invalid album id) must
 * not stall the connection it came on: clients keep connections alive, and the
 * next request on it waited behind the unread upload until the server's header
 * timeout (66 s) and then failed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { codes, gqlUpload } from '../helpers/graphql-client.js';
import { startTestServer, type TestServer } from '../helpers/harness.js';
import { ONEFACE_DIR } from '../support/datasets.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => server?.destroy());

describe('an upload refused before it is read', () => {
  test('leaves the connection usable: three refusals in a row on one keep-alive connection are each answered at once', async () => {
    // ~790 kB: more than the socket buffers hold, so the unread rest blocks the connection.
    const photo = await fs.readFile(path.join(ONEFACE_DIR, 'astronaut.png'));
    const INGEST = 'mutation($albumId: ID!, $files: [Upload!]!) { ingestImages(albumId: $albumId, files: $files) { id } }';
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const r = await Promise.race([
        gqlUpload(server.url, INGEST, { albumId: 'abc' }, 'files', [{ name: 'astronaut.png', bytes: photo }]),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`upload ${i + 1} not answered within 15 s`)), 15_000).unref()),
      ]);
      assert.deepEqual(codes(r), ['BAD_USER_INPUT'], `upload ${i + 1}: ${JSON.stringify(r.errors)}`);
      assert.ok(performance.now() - started < 15_000);
    }
  });
});
