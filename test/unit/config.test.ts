import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, photosInFlight } from '../../src/config.js';

test('defaults: port 4000, ./data, embedded database, onnx engine', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4000);
  assert.equal(c.dataDir, path.resolve('data'));
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.importRoot, undefined);
  assert.equal(c.engine, 'onnx');
  assert.ok(Object.isFrozen(c));
});

test('every invalid variable is reported in one error', () => {
  try {
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', FACEGRAPH_ENGINE: 'gpu', FACEGRAPH_MIN_SCORE: '2' });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 4);
    assert.match(err.message, /PORT/);
    assert.match(err.message, /DATABASE_URL/);
    assert.match(err.message, /FACEGRAPH_ENGINE/);
    assert.match(err.message, /FACEGRAPH_MIN_SCORE/);
  }
});

test('a batch keeps one photo more in flight than analysis threads, one with a single analyser; FACEGRAPH_WORKERS overrides', () => {
  assert.deepEqual([1, 2, 4].map(photosInFlight), [1, 3, 5]);
  assert.equal(loadConfig({ FACEGRAPH_THREADS: '2', FACEGRAPH_ANALYZERS: '2' }).jobs.workers, 3);
  assert.equal(loadConfig({ FACEGRAPH_ANALYZERS: '1' }).jobs.workers, 1);
  assert.equal(loadConfig({ FACEGRAPH_ENGINE: 'tfjs' }).jobs.workers, 1);
  assert.equal(loadConfig({ FACEGRAPH_ANALYZERS: '2', FACEGRAPH_WORKERS: '2' }).jobs.workers, 2);
});

test('ingest mutations wait 5 s by default (small uploads finish, albums return at once); API-only processes do not wait', () => {
  assert.equal(loadConfig({}).jobs.ingestWaitSeconds, 5);
  assert.equal(loadConfig({ FACEGRAPH_WORKERS: '0' }).jobs.ingestWaitSeconds, 0);
  assert.equal(loadConfig({ FACEGRAPH_INGEST_WAIT_SECONDS: 'until-done' }).jobs.ingestWaitSeconds, Infinity);
});

test('a running job holds a 20 s lease by default, renewed for at most the 300 s timeout; both validated', () => {
  assert.deepEqual([loadConfig({}).jobs.leaseSeconds, loadConfig({}).jobs.timeoutSeconds], [20, 300]);
  assert.equal(loadConfig({ FACEGRAPH_JOB_LEASE_SECONDS: '8' }).jobs.leaseSeconds, 8);
  assert.throws(() => loadConfig({ FACEGRAPH_JOB_LEASE_SECONDS: '1' }), /FACEGRAPH_JOB_LEASE_SECONDS/);
  assert.throws(() => loadConfig({ FACEGRAPH_JOB_LEASE_SECONDS: 'soon' }), /FACEGRAPH_JOB_LEASE_SECONDS/);
});

test('k-NN queries examine 100 HNSW candidates unless FACEGRAPH_HNSW_EF_SEARCH says otherwise (10-1000)', () => {
  assert.equal(loadConfig({}).hnswEfSearch, undefined, "the database layer's default");
  assert.equal(loadConfig({ FACEGRAPH_HNSW_EF_SEARCH: '150' }).hnswEfSearch, 150);
  assert.throws(() => loadConfig({ FACEGRAPH_HNSW_EF_SEARCH: '5' }), /FACEGRAPH_HNSW_EF_SEARCH/);
  assert.throws(() => loadConfig({ FACEGRAPH_HNSW_EF_SEARCH: 'many' }), /FACEGRAPH_HNSW_EF_SEARCH/);
});

test("HEIC decodes with libheif's WebAssembly build unless FACEGRAPH_HEIF_DECODER=native", () => {
  assert.equal(loadConfig({}).vision.heifDecoder, 'wasm');
  assert.equal(loadConfig({ FACEGRAPH_HEIF_DECODER: 'native' }).vision.heifDecoder, 'native');
  assert.throws(() => loadConfig({ FACEGRAPH_HEIF_DECODER: 'gpu' }), /FACEGRAPH_HEIF_DECODER/);
});

test('watched folders: change events, rescans on network file systems every 60 s; FACEGRAPH_WATCH_POLLING and _POLL_SECONDS checked', () => {
  assert.deepEqual(loadConfig({}).watch, { polling: 'auto', pollSeconds: 60 });
  assert.deepEqual(loadConfig({ FACEGRAPH_WATCH_POLLING: 'always', FACEGRAPH_WATCH_POLL_SECONDS: '5' }).watch, {
    polling: 'always',
    pollSeconds: 5,
  });
  assert.throws(
    () => loadConfig({ FACEGRAPH_WATCH_POLLING: 'sometimes', FACEGRAPH_WATCH_POLL_SECONDS: '0' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      return true;
    },
  );
});

test('FACEGRAPH_CORS_ORIGINS: none by default (same origin only); each entry must be an origin, kept as browsers send it', () => {
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(loadConfig({ FACEGRAPH_CORS_ORIGINS: 'http://localhost:5173, https://App.example.com/' }).corsOrigins, [
    'http://localhost:5173',
    'https://app.example.com',
  ]);
  assert.deepEqual(loadConfig({ FACEGRAPH_CORS_ORIGINS: 'https://app.example.com:443' }).corsOrigins, ['https://app.example.com']);
  for (const bad of ['*', 'app.example.com', 'https://app.example.com/path', 'ftp://files.example.com', 'https://u:p@example.com']) {
    assert.throws(() => loadConfig({ FACEGRAPH_CORS_ORIGINS: bad }), /FACEGRAPH_CORS_ORIGINS/, bad);
  }
});

test('FACEGRAPH_MIN_FREE_MB: uploads need 100 MB free by default; 0 turns the check off', () => {
  assert.equal(loadConfig({}).minFreeMb, 100);
  assert.equal(loadConfig({ FACEGRAPH_MIN_FREE_MB: '0' }).minFreeMb, 0);
  assert.throws(() => loadConfig({ FACEGRAPH_MIN_FREE_MB: '-1' }), /FACEGRAPH_MIN_FREE_MB/);
  assert.throws(() => loadConfig({ FACEGRAPH_MIN_FREE_MB: 'lots' }), /FACEGRAPH_MIN_FREE_MB/);
});
