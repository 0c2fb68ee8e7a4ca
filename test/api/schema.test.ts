import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { buildFacegraphSchema, renderSdl } from '../../src/graphql/schema.js';

test('schema/schema.graphql is what the resolvers emit (run `npm run schema` after changing them)', async () => {
  const committed = await fs.readFile(path.resolve(import.meta.dirname, '../../schema/schema.graphql'), 'utf8');
  assert.equal(committed, renderSdl(await buildFacegraphSchema()));
});

test('the SDL keeps the contract clients rely on', async () => {
  const sdl = renderSdl(await buildFacegraphSchema());
  for (const needle of [
    'createAlbum(name: String!): Album!',
    'ingestImages(albumId: ID!, files: [Upload!]!): IngestBatch!',
    'ingestPaths(albumId: ID!, paths: [String!]!): IngestBatch!',
    'ingestBatch(id: ID!): IngestBatch',
    'compareFaces(faceA: ID!, faceB: ID!): FaceComparison!',
    'deleteAlbum(id: ID!)',
    'deleteImage(id: ID!)',
  ]) {
    assert.ok(sdl.includes(needle), needle);
  }
  assert.match(
    sdl,
    /similarFaces\(\s*(?:"""[^"]*"""\s*)?albumId: ID\s+faceId: ID!\s+limit: Int = 10\s+maxDistance: Float\s*\): \[FaceMatch!\]!/,
  );
  assert.match(sdl, /searchByPhoto\(albumId: ID, file: Upload!, limit: Int = 10, maxDistance: Float\): \[PhotoFaceMatches!\]!/);
});
