import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { runMigrateTo } from '../../src/cli/migrate-command.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { openDatabase } from '../../src/db/database.js';
import { DEMO_PHOTOS } from '../../src/eval/demo-photos.js';
import { fileFromPath, gql, gqlUpload } from '../helpers/graphql-client.js';
import { astronautPhotos, DEMO_DIR, startTestServer, usingPostgres, type TestServer } from '../helpers/harness.js';

// `facegraph migrate-to`: a library made through the product on the embedded PGlite, copied into a fresh
// PostgreSQL database, then served from it with the same data folder: the same albums, images, faces (ids),
// people, search results and photo URLs, with the same API key.

const SKIP = usingPostgres() ? false : "needs PostgreSQL: set DATABASE_URL (runs in CI's PostgreSQL pass)";

/** Everything a user sees of the library, through GraphQL (in several queries: each stays under the cost limit). */
async function snapshot(url: string, headers: Record<string, string>, faceId: string) {
  const ask = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql(url, query, variables, headers);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data;
  };
  const albums = (await ask(`{ albums(first: 20) { edges { node { id name imageCount faceCount } } } }`)).albums.edges.map(
    (e: any) => e.node,
  );
  for (const album of albums) {
    const { images } = (
      await ask(`query($a: ID!) { album(id: $a) { images(first: 50) { edges { node { id fileName sha256 width height url } } } } }`, {
        a: album.id,
      })
    ).album;
    album.images = images.edges.map((e: any) => e.node);
    const { faces } = await ask(
      `query($a: ID!) { faces(albumId: $a, first: 100) { edges { node { id score quality thumbnail box { x y width height } embedding image { id } } } } }`,
      { a: album.id },
    );
    album.faces = faces.edges.map((e: any) => e.node);
    album.people = (
      await ask(`query($a: ID!) { album(id: $a) { people(includeHidden: true) { id name faceCount hidden thumbnail } } }`, { a: album.id })
    ).album.people;
    for (const person of album.people) {
      const { faces } = (await ask(`query($p: ID!) { person(id: $p) { faces(first: 100) { edges { node { id } } } } }`, { p: person.id }))
        .person;
      person.faces = faces.edges.map((e: any) => e.node.id);
    }
  }
  const { similarFaces } = await ask(`query($f: ID!) { similarFaces(faceId: $f, limit: 10) { distance face { id } } }`, { f: faceId });
  return { albums, similarFaces };
}

const admin = async (statement: string) => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
};
const madeDatabases: string[] = [];
/** A new empty database on DATABASE_URL's server. */
async function newDatabase(): Promise<string> {
  const name = `facegraph_t_migrate_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  madeDatabases.push(name);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}
async function rows(url: string, statement: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

/** runMigrateTo on the test's data folder, its output collected. */
async function migrateTo(url: string, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runMigrateTo(url, {
    config: loadConfig({ FACEGRAPH_DATA_DIR: dataDir, ...env }),
    // Small pages, so that every table of some size is read and written in several.
    pageRows: 7,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  }).catch((e: Error) => ({ error: e }));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let dataDir = '';
let embedded: TestServer | undefined;
let headers: Record<string, string> = {};
let astronautFace = '';
let before_: any;

describe('facegraph migrate-to', { skip: SKIP }, () => {
  before(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-migrate-'));
    // Embedded, whatever DATABASE_URL says: the library a user outgrows.
    embedded = await startTestServer({}, { dataDir });
    const url = embedded.url;
    const album = async (name: string) =>
      (await gql(url, `mutation($n: String!) { createAlbum(name: $n) { id } }`, { n: name })).data.createAlbum.id;
    const ingest = async (albumId: string, files: { name: string; bytes: Uint8Array }[]) => {
      const r = await gqlUpload(
        url,
        `mutation($a: ID!, $f: [Upload!]!) { ingestImages(albumId: $a, files: $f) { done items { image { faces { id } } } } }`,
        { a: albumId },
        'f',
        files,
      );
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.ingestImages.done, files.length);
      return r.data.ingestImages.items;
    };
    const astronaut = await album('Astronaut');
    const items = await ingest(astronaut, await astronautPhotos(6));
    astronautFace = items[0].image.faces[0].id;
    await ingest(await album('Demo'), await Promise.all(DEMO_PHOTOS.map((f) => fileFromPath(path.join(DEMO_DIR, f)))));
    assert.equal((await gql(url, `mutation { clusterLibrary { faces } }`)).errors, undefined);
    const person = (await gql(url, `query($f: ID!) { face(id: $f) { person { id } } }`, { f: astronautFace })).data.face.person.id;
    assert.equal(
      (await gql(url, `mutation($p: ID!) { renamePerson(id: $p, name: "Eileen Collins") { id } }`, { p: person })).errors,
      undefined,
    );
    // From now on every request needs the key, on PostgreSQL too once copied.
    headers = { authorization: `Bearer ${(await embedded.facegraph.services.keys.create('local')).key}` };
    before_ = await snapshot(url, headers, astronautFace);
  });
  after(async () => {
    await embedded?.stop();
    for (const name of madeDatabases) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('the library made for the test has albums, faces, a named person and an API key', () => {
    const albums = before_.albums;
    assert.deepEqual(albums.map((a: any) => a.name).sort(), ['Astronaut', 'Demo']);
    assert.ok(albums.reduce((n: number, a: any) => n + a.faceCount, 0) > 20);
    assert.ok(albums.some((a: any) => a.people.some((p: any) => p.name === 'Eileen Collins')));
    assert.ok(before_.similarFaces.length >= 5);
  });

  test('refuses while the embedded server holds the data folder', async () => {
    const r = await migrateTo(await newDatabase());
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /in use by process \d+.*Stop the facegraph server/s);
  });

  test('refuses when DATABASE_URL is set (already PostgreSQL), or with no embedded database in the data folder', async () => {
    const target = await newDatabase();
    const onPostgres = await migrateTo(target, { DATABASE_URL: target });
    assert.equal(onPostgres.code, 2);
    assert.match(onPostgres.err, /DATABASE_URL is set/);
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-migrate-empty-'));
    try {
      const none = await migrateTo(target, { FACEGRAPH_DATA_DIR: empty });
      assert.equal(none.code, 2);
      assert.match(none.err, /no embedded database in .*pglite/);
      await assert.rejects(fs.stat(path.join(empty, 'pglite')), 'it must not create one');
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });

  test('(the embedded server stops: the folder is free)', async () => {
    await embedded!.stop();
  });

  test('a target error midway leaves the target as it was: all or nothing', async () => {
    const target = await newDatabase();
    const db = await openDatabase({ databaseUrl: target, dataDir: null });
    try {
      await migrateToLatest(db.db);
      // people is copied after albums, images and faces: this fails the copy with those already written.
      await sql`CREATE FUNCTION refuse_people() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`.execute(
        db.db,
      );
      await sql`CREATE TRIGGER refuse_people BEFORE INSERT ON people FOR EACH STATEMENT EXECUTE FUNCTION refuse_people()`.execute(db.db);
    } finally {
      await db.close();
    }
    const [secret] = await rows(target, `SELECT value FROM instance_secrets`);
    const r = await migrateTo(target);
    assert.match(String((r.code as { error?: Error }).error?.message), /injected failure/);
    assert.match(r.out, /faces: \d+ rows copied/, 'the failure comes after faces were written');
    for (const table of ['albums', 'images', 'faces', 'api_keys', 'face_people']) {
      assert.equal((await rows(target, `SELECT count(*)::int AS n FROM ${table}`))[0].n, 0, table);
    }
    assert.deepEqual(await rows(target, `SELECT id::int, name FROM owners`), [{ id: 1, name: 'local' }]);
    assert.deepEqual(await rows(target, `SELECT value FROM instance_secrets`), [secret]);
    const indexes = (await rows(target, `SELECT indexname FROM pg_indexes WHERE tablename = 'faces'`)).map((i) => i.indexname);
    assert.ok(indexes.includes('faces_embedding_hnsw_idx'), String(indexes));
  });

  let target = '';
  test('copies the library; served from PostgreSQL with the same data folder it is the same library', async () => {
    target = await newDatabase();
    const r = await migrateTo(target);
    assert.equal(r.code, 0, `${r.err}\n${r.out}\n${(r.code as { error?: Error }).error?.stack ?? ''}`);
    for (const table of ['owners', 'albums', 'images', 'faces', 'people', 'face_people', 'api_keys', 'instance_secrets']) {
      assert.match(r.out, new RegExp(`^  ${table}: \\d+ rows copied$`, 'm'), table);
    }
    assert.match(r.out, /verified: row counts of all \d+ tables match/);
    assert.match(r.out, /not copied: .*local_jobs \(0 rows\)/);
    assert.match(r.out, /no pending ingestion jobs/);
    assert.match(r.out, /export DATABASE_URL=/);
    assert.doesNotMatch(r.out, /kysely_migration[^_]* \d+ rows copied/);

    const served = await startTestServer({}, { dataDir, databaseUrl: target });
    try {
      assert.equal(served.facegraph.database.kind, 'postgres');
      const anonymous = await gql(served.url, `{ albums(first: 1) { edges { node { id } } } }`);
      assert.equal(anonymous.status, 401, 'the copied key turned keys on');
      const { similarFaces: nearAfter, ...restAfter } = await snapshot(served.url, headers, astronautFace);
      const { similarFaces: nearBefore, ...restBefore } = before_;
      // Ids, names, boxes, embeddings (exact), people and signed URLs: all as they were.
      assert.deepEqual(restAfter, restBefore);
      // Distances are computed again, by pgvector compiled natively instead of to WebAssembly.
      assert.deepEqual(nearAfter.map((m: any) => m.face.id).sort(), nearBefore.map((m: any) => m.face.id).sort());
      for (const m of nearAfter) {
        const was = nearBefore.find((b: any) => b.face.id === m.face.id);
        assert.ok(Math.abs(m.distance - was.distance) < 1e-5, `${m.face.id}: ${m.distance} vs ${was.distance}`);
      }

      const image = restAfter.albums[0].images[0];
      const photo = await fetch(new URL(image.url, served.url), { headers });
      assert.equal(photo.status, 200);
      const bytes = Buffer.from(await photo.arrayBuffer());
      assert.equal((await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'), image.sha256);
      const person = restAfter.albums.flatMap((a: any) => a.people).find((p: any) => p.thumbnail);
      assert.equal((await fetch(new URL(person.thumbnail, served.url), { headers })).status, 200);

      // Sequences were set past the copied ids: new rows get new ids.
      const ids = restAfter.albums.map((a: any) => Number(a.id));
      const created = await gql(served.url, `mutation { createAlbum(name: "After the move") { id } }`, {}, headers);
      assert.equal(created.errors, undefined, JSON.stringify(created.errors));
      assert.ok(Number(created.data.createAlbum.id) > Math.max(...ids));
    } finally {
      await served.stop();
    }
  });

  test('a second migrate-to into the now non-empty target refuses and says how to start over', async () => {
    assert.ok(target, 'needs the copy above');
    const r = await migrateTo(target);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /already holds a library \(rows in .*albums/);
    assert.match(r.err, /To start over, drop and create it again/);
    assert.equal((await rows(target, `SELECT count(*)::int AS n FROM albums WHERE name = 'After the move'`))[0].n, 1, 'left as it was');
  });
});
