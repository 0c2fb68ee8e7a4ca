import os from 'node:os';
import path from 'node:path';

/**
 * facegraph's configuration: the only module that reads `process.env`. Every
 * variable is validated once at start-up and every problem is reported in one
 * error, so a misconfigured deployment fails fast and says all that is wrong.
 */
export interface Config {
  /** HTTP port of the GraphQL server (`PORT`, default 4000). */
  port: number;
  /**
   * Interface the server binds to (`HOST`, default 127.0.0.1). Without any API key the server is
   * single-user and refuses to listen on anything but loopback.
   */
  host: string;
  /** The key CLI commands with `--server` send (`FACEGRAPH_API_KEY`; not needed by a single-user server). */
  apiKey: string | undefined;
  /** Schema introspection (`FACEGRAPH_INTROSPECTION`, default on, off when NODE_ENV=production). */
  introspection: boolean;
  /** The GraphiQL page at GET /graphql (`FACEGRAPH_PLAYGROUND`, default on, off when NODE_ENV=production). */
  playground: boolean;
  /** PGlite database and stored photos live here (`FACEGRAPH_DATA_DIR`, default ./data). */
  dataDir: string;
  /** PostgreSQL connection string; unset means the embedded PGlite (`DATABASE_URL`). */
  databaseUrl: string | undefined;
  /**
   * HNSW candidates a k-NN query examines (`FACEGRAPH_HNSW_EF_SEARCH`; unset: db/knn.ts's
   * DEFAULT_EF_SEARCH): more finds more of the true nearest for a slower query (docs/benchmarks.md).
   */
  hnswEfSearch: number | undefined;
  /** The only folder `ingestPaths` may read (`FACEGRAPH_IMPORT_ROOT`, default: none, ingestPaths refused). */
  importRoot: string | undefined;
  /**
   * Labelled photo sets for `npm run eval`, `npm run bench` and the quality tests (`FACEGRAPH_DATASETS`,
   * default: none; those tests then skip): one folder a set, laid out as README, "Labelled photos", says.
   */
  datasets: string | undefined;
  /** Inference engine (`FACEGRAPH_ENGINE`: onnx | tfjs). */
  engine: 'onnx' | 'tfjs';
  /**
   * Intra-op threads for the ONNX engine in all (`FACEGRAPH_THREADS`, default = cores), shared out among
   * the analysis threads: each gets `threads / analyzers` (at least one).
   */
  threads: number;
  /**
   * Photos analysed at once, each in its own worker thread with its own ONNX Runtime sessions
   * (`FACEGRAPH_ANALYZERS`, default = cores, at most 4). 1 analyses in the main thread, one photo at a
   * time, with every intra-op thread on it. The tfjs engine always runs in the main thread.
   */
  analyzers: number;
  /**
   * Arithmetic of the ONNX engine's networks (`FACEGRAPH_PRECISION`: auto | int8 | fp32, default auto).
   * auto runs the detector and the recogniser in int8 where the CPU has VNNI or AMX int8, fp32 elsewhere;
   * int8 forces them. The int8 detector's boxes move a few pixels, so a detector pass whose box leaves the
   * face check in doubt runs again in float32 (`wantsFloat32Box` in face-check.ts). fp32 is the engine
   * with exact parity to tfjs. Speed and parity: docs/benchmarks.md, Detector passes and precision.
   */
  precision: 'auto' | 'int8' | 'fp32';
  vision: {
    /**
     * Detector score below which a face is dropped (`FACEGRAPH_MIN_SCORE`, default 0.5): a margin under
     * the weakest true face seen (docs/quality.md, Detector settings).
     */
    minScore: number;
    /**
     * Shorter side, in original pixels, below which a face is dropped (`FACEGRAPH_MIN_FACE_SIZE`,
     * default 24): small faces plain face-api keeps (docs/quality.md, Detector settings). Such small faces
     * are stored with a low `quality` and kept out of people.
     */
    minFaceSize: number;
    /** Faces per photo at most (`FACEGRAPH_MAX_FACES`). */
    maxFaces: number;
    /** Longer side of the working copy the networks see (`FACEGRAPH_MAX_SIDE`). */
    maxSide: number;
    /**
     * HEIC decoder (`FACEGRAPH_HEIF_DECODER`): `wasm` (default), libheif's WebAssembly build from npm;
     * `native`, the system's `heif-convert` (Debian libheif-examples), a little less CPU per photo.
     */
    heifDecoder: 'wasm' | 'native';
    /**
     * Tile side, in working-copy pixels, for finding small faces; 0 turns tiling off (`FACEGRAPH_DETECT_TILE`,
     * default 768; docs/quality.md, Detector settings).
     */
    detectTileSize: number;
    /**
     * Try the photo turned 90/270/180 degrees when no upright face scores >= 0.95, keeping the
     * orientation with the best face (`FACEGRAPH_DETECT_ROTATIONS`, default true).
     */
    detectRotations: boolean;
    /**
     * What the detector's input is (`FACEGRAPH_DETECT_INPUT`; ONNX engine only, the tfjs reference is always
     * `face-api`): `fit` (default) fits it to the photo: a photo of at most 256 px is searched at its own
     * scale instead of enlarged to 512, and a photo larger than a tile in one pass at the tiles' scale
     * instead of tiles; `face-api` searches 512-px squares and tiles, as face-api does. See vision/face-detector.ts.
     */
    detectInput: 'fit' | 'face-api';
    /**
     * The face check of vision/face-check.ts on every detector box, and the whole-image fallback for tight
     * crops (`FACEGRAPH_FACE_CHECK`, default true). Off gives the pipeline as it was before the check, for
     * before/after evaluations.
     */
    faceCheck: boolean;
  };
  limits: {
    /** Bytes per uploaded file (`FACEGRAPH_MAX_FILE_BYTES`, default 50 MB). */
    maxFileBytes: number;
    /** Files per request (`FACEGRAPH_MAX_FILES`, default 100). */
    maxFiles: number;
    /** Bytes per request, by its Content-Length, refused before it is read (`FACEGRAPH_MAX_REQUEST_BYTES`, default 200 MB). */
    maxRequestBytes: number;
    /** Declared pixels per image, checked before decoding (`FACEGRAPH_MAX_PIXELS`, default 100 MP). */
    maxPixels: number;
    /** Largest `first` / `limit` a query may ask for (`FACEGRAPH_MAX_PAGE`, default 200). */
    maxPage: number;
  };
  /** Durable ingestion jobs (see `src/jobs/`). */
  jobs: JobsConfig;
  /** Watched folders (`watchFolder`, `src/watch/`). */
  watch: {
    /**
     * How a watched folder is followed after its scan (`FACEGRAPH_WATCH_POLLING`: auto | always | never, default
     * auto): auto takes the file system's change events (inotify), and rescans every `pollSeconds` on network
     * file systems (NFS, SMB, FUSE, 9p, Ceph), whose changes made on other hosts raise no event here.
     */
    polling: 'auto' | 'always' | 'never';
    /** Seconds between rescans when polling, and between looks at a missing folder (`FACEGRAPH_WATCH_POLL_SECONDS`, default 60). */
    pollSeconds: number;
  };
  /**
   * Origins whose browser pages may call the API (`FACEGRAPH_CORS_ORIGINS`, comma-separated, such as
   * `http://localhost:5173,https://app.example.com`; default none: same origin only). Their preflights are
   * answered on /graphql and the photo, thumbnail and XMP routes, and their graphql-ws sockets accepted.
   */
  corsOrigins: readonly string[];
  /**
   * Free space the data folder must keep, in MB (`FACEGRAPH_MIN_FREE_MB`, default 100): an upload is refused
   * with INSUFFICIENT_STORAGE before staging when less is free, so that the database keeps room to write.
   */
  minFreeMb: number;
}

export interface JobsConfig {
  /**
   * Job consumers this process runs (`FACEGRAPH_WORKERS`, default {@link photosInFlight}: one more than
   * analysis threads). 0 makes an API-only process that enqueues but never processes: run `facegraph worker`s.
   */
  workers: number;
  /**
   * How long `ingestImages` / `ingestPaths` wait for their batch to finish before
   * returning it as it stands, QUEUED or RUNNING, to be followed with
   * `ingestBatch(id)` (`FACEGRAPH_INGEST_WAIT_SECONDS`). 0 returns at once; a few
   * seconds lets small uploads come back done; `until-done` waits for the whole
   * batch, as the API did before jobs. Unset: 5 s in a process that runs workers
   * (a few photos come back DONE, an album comes back at once, QUEUED or RUNNING),
   * 0 in an API-only process (FACEGRAPH_WORKERS=0), which must not wait on workers
   * it cannot see.
   */
  ingestWaitSeconds: number;
  /**
   * How long a claimed job stays with its worker without news from it (`FACEGRAPH_JOB_LEASE_SECONDS`,
   * default 20). The worker renews the lease every quarter of it while the job runs, however slow the
   * photo; a worker that dies (kill -9, lost host) stops renewing, and within about a lease and a quarter
   * its job is failed back to the queue for a retry on another worker.
   */
  leaseSeconds: number;
  /**
   * The longest a job may run (`FACEGRAPH_JOB_TIMEOUT_SECONDS`, default 300): past it the worker stops
   * renewing the lease, so a handler stuck for good has its job retried elsewhere a lease later.
   */
  timeoutSeconds: number;
  /** Retries of a job that failed unexpectedly, before its dead letter (`FACEGRAPH_JOB_RETRIES`, default 3). */
  retries: number;
  /** First retry delay; doubles with each retry, with jitter (`FACEGRAPH_JOB_RETRY_DELAY_SECONDS`, default 5). */
  retryDelaySeconds: number;
  /** How often an idle worker looks for jobs (`FACEGRAPH_JOB_POLL_SECONDS`, default 1). */
  pollSeconds: number;
}

/** How long an ingest mutation waits for its batch by default: small uploads finish, large ones return at once. */
export const DEFAULT_INGEST_WAIT_SECONDS = 5;
/** Analysis threads by default at most: each holds its own copy of the networks (~150 MB). */
const MAX_DEFAULT_ANALYZERS = 4;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Photos a batch keeps in flight by default (job consumers, and `facegraph ingest`'s): one more than the
 * analysis threads, so that a thread finds the next photo waiting while the main thread stores the last
 * one (its file, its rows, the batch's counts); with as many as threads, each thread waited for that.
 * The CPU is the limit, so the gain is only what the main thread's file and database waits left idle
 * (docs/benchmarks.md, The main thread). One analysis thread (the engine in the main thread, or tfjs)
 * gains nothing from a second photo: 1.
 */
export function photosInFlight(analyzers: number): number {
  return analyzers > 1 ? analyzers + 1 : 1;
}

/** Reads and validates the configuration from `env` (default `process.env`). */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      problems.push(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL must start with postgres:// or postgresql://`);
  }
  const engine = (env.FACEGRAPH_ENGINE || 'onnx') as Config['engine'];
  if (engine !== 'onnx' && engine !== 'tfjs') problems.push(`FACEGRAPH_ENGINE must be onnx or tfjs, got "${engine}"`);

  const threads = int('FACEGRAPH_THREADS', os.availableParallelism(), 1, 256);
  const analyzers = engine === 'onnx' ? int('FACEGRAPH_ANALYZERS', Math.min(threads, MAX_DEFAULT_ANALYZERS), 1, 64) : 1;
  const precision = (env.FACEGRAPH_PRECISION || 'auto') as Config['precision'];
  if (!['auto', 'int8', 'fp32'].includes(precision)) problems.push(`FACEGRAPH_PRECISION must be auto, int8 or fp32, got "${precision}"`);
  const heifDecoder = (env.FACEGRAPH_HEIF_DECODER || 'wasm') as Config['vision']['heifDecoder'];
  if (heifDecoder !== 'wasm' && heifDecoder !== 'native') {
    problems.push(`FACEGRAPH_HEIF_DECODER must be wasm or native, got "${heifDecoder}"`);
  }
  const detectInput = (env.FACEGRAPH_DETECT_INPUT || 'fit') as Config['vision']['detectInput'];
  if (detectInput !== 'fit' && detectInput !== 'face-api')
    problems.push(`FACEGRAPH_DETECT_INPUT must be fit or face-api, got "${detectInput}"`);

  const workers = int('FACEGRAPH_WORKERS', photosInFlight(analyzers), 0, 64);
  const watchPolling = (env.FACEGRAPH_WATCH_POLLING || 'auto') as Config['watch']['polling'];
  if (!['auto', 'always', 'never'].includes(watchPolling))
    problems.push(`FACEGRAPH_WATCH_POLLING must be auto, always or never, got "${watchPolling}"`);

  const corsOrigins = (env.FACEGRAPH_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '')
    .map((o) => {
      const origin = parseOrigin(o);
      if (!origin) problems.push(`FACEGRAPH_CORS_ORIGINS: "${o}" is not an origin (scheme://host[:port], no path)`);
      return origin ?? o;
    });

  const production = env.NODE_ENV === 'production';
  const config: Config = {
    port: int('PORT', 4000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    apiKey: env.FACEGRAPH_API_KEY || undefined,
    introspection: bool('FACEGRAPH_INTROSPECTION', !production),
    playground: bool('FACEGRAPH_PLAYGROUND', !production),
    dataDir: path.resolve(env.FACEGRAPH_DATA_DIR || './data'),
    databaseUrl,
    hnswEfSearch: env.FACEGRAPH_HNSW_EF_SEARCH ? int('FACEGRAPH_HNSW_EF_SEARCH', 0, 10, 1000) : undefined,
    importRoot: env.FACEGRAPH_IMPORT_ROOT ? path.resolve(env.FACEGRAPH_IMPORT_ROOT) : undefined,
    datasets: env.FACEGRAPH_DATASETS ? path.resolve(env.FACEGRAPH_DATASETS) : undefined,
    engine,
    threads,
    analyzers,
    precision,
    vision: {
      // face-api treats 0 as "unset" (0.5) and fails at 1, so both ends are excluded.
      minScore: num('FACEGRAPH_MIN_SCORE', 0.5, 0.01, 0.99),
      minFaceSize: int('FACEGRAPH_MIN_FACE_SIZE', 24, 0, 100_000),
      maxFaces: int('FACEGRAPH_MAX_FACES', 100, 1, 1000),
      maxSide: int('FACEGRAPH_MAX_SIDE', 1920, 256, 8192),
      heifDecoder,
      detectTileSize: int('FACEGRAPH_DETECT_TILE', 768, 0, 8192),
      detectRotations: bool('FACEGRAPH_DETECT_ROTATIONS', true),
      detectInput,
      faceCheck: bool('FACEGRAPH_FACE_CHECK', true),
    },
    limits: {
      maxFileBytes: int('FACEGRAPH_MAX_FILE_BYTES', 50 * 1024 * 1024, 1, 2 ** 31),
      maxFiles: int('FACEGRAPH_MAX_FILES', 100, 1, 10_000),
      maxRequestBytes: int('FACEGRAPH_MAX_REQUEST_BYTES', 200 * 1024 * 1024, 1, 2 ** 40),
      maxPixels: int('FACEGRAPH_MAX_PIXELS', 100_000_000, 1, 2 ** 31),
      maxPage: int('FACEGRAPH_MAX_PAGE', 200, 1, 10_000),
    },
    jobs: {
      workers,
      ingestWaitSeconds:
        env.FACEGRAPH_INGEST_WAIT_SECONDS === 'until-done'
          ? Infinity
          : num('FACEGRAPH_INGEST_WAIT_SECONDS', workers > 0 ? DEFAULT_INGEST_WAIT_SECONDS : 0, 0, 86_400),
      leaseSeconds: int('FACEGRAPH_JOB_LEASE_SECONDS', 20, 2, 3600),
      timeoutSeconds: int('FACEGRAPH_JOB_TIMEOUT_SECONDS', 300, 2, 86_400),
      retries: int('FACEGRAPH_JOB_RETRIES', 3, 0, 100),
      retryDelaySeconds: int('FACEGRAPH_JOB_RETRY_DELAY_SECONDS', 5, 0, 3600),
      pollSeconds: num('FACEGRAPH_JOB_POLL_SECONDS', 1, 0.5, 60),
    },
    watch: {
      polling: watchPolling,
      pollSeconds: num('FACEGRAPH_WATCH_POLL_SECONDS', 60, 1, 86_400),
    },
    corsOrigins: Object.freeze(corsOrigins),
    minFreeMb: int('FACEGRAPH_MIN_FREE_MB', 100, 0, 2 ** 30),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** `o` as a browser sends it in `Origin` (`https://app.example.com`, lower case, default port dropped), or undefined. */
function parseOrigin(o: string): string | undefined {
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password || /\/\/[^/]*\/./.test(o)) return undefined;
  return url.origin;
}
