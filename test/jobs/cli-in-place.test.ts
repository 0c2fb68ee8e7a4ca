import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../../src/db/database.js';
import { astronautPhotos, usingPostgres } from '../helpers/harness.js';
import { ONEFACE_DIR } from '../support/datasets.js';
import { CLI, REPO } from '../support/worker-process.js';

/**
 * `facegraph ingest DIR --in-place` and `facegraph watch DIR --album NAME` as a
 * user runs them (issue 36, item 3): photos under FACEGRAPH_IMPORT_ROOT indexed
 * where they lie, nothing copied into the data folder; `watch` keeps the album
 * in step with the folder until Ctrl-C.
 */
let root: string;
let dataDir: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-cli-root-'));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-cli-data-'));
  await fs.mkdir(path.join(root, 'pics', 'sub'), { recursive: true });
  const [a, b] = await astronautPhotos(2);
  await fs.writeFile(path.join(root, 'pics', a.name), a.bytes);
  await fs.writeFile(path.join(root, 'pics', 'sub', b.name), b.bytes);
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

function cli(args: string[], onStderr?: (err: string, interrupt: () => void) => void): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: '', FACEGRAPH_DATA_DIR: dataDir, FACEGRAPH_IMPORT_ROOT: root, FACEGRAPH_THREADS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      onStderr?.(err, () => child.kill('SIGINT'));
    });
    child.on('exit', (code) => resolve({ code, err }));
  });
}

async function images(album: string): Promise<{ file_name: string; source_kind: string; source_path: string | null }[]> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    return await database.db
      .selectFrom('images')
      .innerJoin('albums', 'albums.id', 'images.album_id')
      .select(['images.file_name', 'images.source_kind', 'images.source_path'])
      .where('albums.name', '=', album)
      .orderBy('images.id')
      .execute();
  } finally {
    await database.close();
  }
}

describe('facegraph in place (embedded)', { skip: usingPostgres() ? 'embedded PGlite: runs in the PGlite pass' : false }, () => {
  test('ingest --in-place indexes the photos where they lie; nothing is copied', async () => {
    const run = await cli(['ingest', path.join(root, 'pics'), '--album', 'once', '--in-place', '--progress', 'lines']);
    assert.equal(run.code, 0, run.err);
    const rows = await images('once');
    assert.deepEqual(rows.map((r) => [r.source_kind, r.source_path]).sort(), [
      ['in_place', 'pics/astronaut-001.jpg'],
      ['in_place', 'pics/sub/astronaut-002.jpg'],
    ]);
    assert.deepEqual(await fs.readdir(path.join(dataDir, 'photos')).catch(() => []), []);

    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-cli-outside-'));
    const refused = await cli(['ingest', outside, '--album', 'once', '--in-place']);
    await fs.rm(outside, { recursive: true, force: true });
    assert.notEqual(refused.code, 0);
  });

  test('watch indexes the folder and follows it: a photo copied in is indexed, until Ctrl-C', async () => {
    let copied = false;
    const run = await cli(['watch', path.join(root, 'pics'), '--album', 'kept'], (err, interrupt) => {
      if (!copied && /WATCHING 2 files/.test(err)) {
        copied = true;
        void fs.copyFile(path.join(ONEFACE_DIR, 'camera.png'), path.join(root, 'pics', 'camera.png'));
      }
      if (/new photo, image/.test(err)) interrupt();
    });
    assert.equal(run.code, 0, run.err);
    assert.ok(copied, run.err);
    const rows = await images('kept');
    assert.deepEqual(rows.map((r) => r.source_path).sort(), ['pics/astronaut-001.jpg', 'pics/camera.png', 'pics/sub/astronaut-002.jpg']);
  });
});
