import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { TestServer } from './harness.js';

/**
 * The database and the data folder agree: every image row has its photo file,
 * every photo file has a row, no face lacks its image, no upload is left staged.
 */
export async function assertConsistent(server: TestServer): Promise<void> {
  const { db } = server.facegraph.database;
  const rows = await server.facegraph.services.albums; // keep services referenced for clarity
  void rows;
  // Photos indexed in place (watched folders) have no file in the store.
  const images = await db.selectFrom('images').select(['sha256', 'format']).where('source_kind', '=', 'store').execute();
  const files = await server.facegraph.photos.list();
  const fileShas = new Set(files.map((f) => f.sha256));
  const rowShas = new Set(images.map((i) => i.sha256));
  for (const img of images) {
    const p = server.facegraph.photos.pathFor(img.sha256, img.format);
    await fs.access(p).catch(() => assert.fail(`image row ${img.sha256} has no file at ${p}`));
  }
  for (const sha of fileShas) assert.ok(rowShas.has(sha), `file ${sha} has no image row`);
  const orphanFaces = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM faces f LEFT JOIN images i ON i.id = f.image_id WHERE i.id IS NULL`.execute(db);
  assert.equal(orphanFaces.rows[0].n, 0, 'faces without image');
  const staging = await fs.readdir(path.join(server.dataDir, 'staging')).catch(() => []);
  assert.deepEqual(staging, [], 'staged uploads left behind');
}
