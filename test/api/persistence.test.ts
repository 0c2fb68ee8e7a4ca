import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileFromPath, gql, gqlUpload } from '../helpers/graphql-client.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { startTestServer } from '../helpers/harness.js';

test('albums, images and faces survive a restart (PGlite data folder or PostgreSQL)', async () => {
  const first = await startTestServer();
  const databaseUrl = first.config.databaseUrl;
  try {
    const a = (await gql(first.url, `mutation { createAlbum(name: "kept") { id } }`)).data.createAlbum.id;
    const file = await fileFromPath(path.join(ONEFACE_DIR, 'astronaut.png'));
    const up = await gqlUpload(
      first.url,
      `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { items { image { faces { id } } } } }`,
      { a },
      'f',
      [file],
    );
    const faceId = up.data.ingestImages.items[0].image.faces[0].id;
    await first.stop();

    const second = await startTestServer({}, { dataDir: first.dataDir, databaseUrl });
    try {
      const r = await gql(
        second.url,
        `query($a: ID!, $f: ID!) { album(id: $a) { name imageCount faceCount } face(id: $f) { embedding } }`,
        { a, f: faceId },
      );
      assert.deepEqual(r.data.album, { name: 'kept', imageCount: 1, faceCount: 1 });
      assert.equal(r.data.face.embedding.length, 128);
    } finally {
      await second.destroy();
    }
  } finally {
    await first.destroy();
  }
});
