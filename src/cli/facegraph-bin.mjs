#!/usr/bin/env node
// The `facegraph` command. In a checkout (tsx installed) it runs the TypeScript
// source, so it is never stale; in an install without dev dependencies it runs
// the build (`npm run build` first).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let tsx;
try {
  tsx = import.meta.resolve('tsx/esm/api');
} catch {
  tsx = undefined;
}
if (tsx) {
  const { register } = await import(tsx);
  register();
  await import(pathToFileURL(path.join(here, 'facegraph.ts')).href);
} else {
  await import(pathToFileURL(path.resolve(here, '../../dist/src/cli/facegraph.js')).href);
}
