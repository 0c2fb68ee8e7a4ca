import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(REPO, 'src/cli/facegraph.ts');

/**
 * A real `facegraph worker` process (through tsx, from source). Resolves once
 * it says it is ready — models loaded, consuming — so that timings and kills
 * happen while it works, not while it starts.
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  private exited: Promise<number | null>;

  private constructor(
    env: Record<string, string>,
    readonly name: string,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker'], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>, name: string, timeoutMs = 180_000): Promise<WorkerProcess> {
    const worker = new WorkerProcess(env, name);
    const deadline = Date.now() + timeoutMs;
    while (!/facegraph worker: ready/.test(worker.output)) {
      if (worker.child.exitCode !== null) throw new Error(`worker ${name} exited early:\n${worker.output}`);
      if (Date.now() > deadline) {
        worker.kill('SIGKILL');
        throw new Error(`worker ${name} not ready after ${timeoutMs} ms:\n${worker.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return worker;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM and wait; returns the job counts the worker printed on its way out. */
  async stop(): Promise<Record<string, Record<string, number>>> {
    this.kill('SIGTERM');
    const code = await this.exited;
    const m = /facegraph worker: stopped (\{.*\})/.exec(this.output);
    if (code !== 0 || !m) throw new Error(`worker ${this.name} did not stop cleanly (exit ${code}):\n${this.output.slice(-3000)}`);
    return JSON.parse(m[1]);
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

/** The environment for workers that share a test server's database and data folder. */
export function workerEnv(config: { databaseUrl?: string; dataDir: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl ?? '',
    FACEGRAPH_DATA_DIR: config.dataDir,
    FACEGRAPH_ENGINE: 'onnx',
    // Two cores for the whole machine: one intra-op thread per worker.
    FACEGRAPH_THREADS: '1',
    FACEGRAPH_JOB_POLL_SECONDS: '0.5',
    ...extra,
  };
}
