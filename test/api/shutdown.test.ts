import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { gql } from '../helpers/graphql-client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`npm start's process stops cleanly on ${signal}, after serving a request`, { timeout: 120_000 }, async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'facegraph-shutdown-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', FACEGRAPH_DATA_DIR: dataDir };
    delete env.DATABASE_URL; // its own embedded database, whichever suite runs this
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = /GraphQL API and playground at (\S+graphql)/.exec(output);
          if (m) resolve(m[1]);
        };
        child.stdout.on('data', check);
        void exited.then(() => reject(new Error(`exited before listening:\n${output}`)));
      });
      assert.deepEqual((await gql(url, '{ albums { edges { node { id } } } }')).data, { albums: { edges: [] } });
      child.kill(signal);
      // Within the test's timeout: a hang fails it.
      const { code } = await exited;
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`${signal}, shutting down`));
      await assert.rejects(fs.access(path.join(dataDir, 'facegraph.lock')), 'the data folder is released');
    } finally {
      child.kill('SIGKILL');
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
}
