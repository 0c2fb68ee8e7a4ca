import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { Browser, BrowserContext, Page } from '../../web/node_modules/playwright-core/index.js';
import { webUiRouter } from '../../src/server/web-ui.js';

export type { Browser, BrowserContext, Page };

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const WEB_DIR = path.join(ROOT, 'web');
export const CHROMIUM = process.env.FACEGRAPH_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots for people to look at; test-results/ is git-ignored (the test writes its .gitignore). */
export const SHOTS_DIR = path.join(ROOT, 'test-results', 'web');

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (CI does) or set FACEGRAPH_CHROMIUM`;
  }
  if (!existsSync(path.join(WEB_DIR, 'node_modules', 'playwright-core'))) {
    return 'web/node_modules has no playwright-core: run `npm install` (its prepare script installs web/)';
  }
  if (!existsSync(path.join(WEB_DIR, 'dist', 'index.html'))) {
    return 'the web page is not built: run `npm run build:web`';
  }
  return undefined;
}

/**
 * Debian's Chromium through playwright-core (no browser download). The flags
 * keep it from reaching for Google's services, which this machine's closed
 * network refuses at every start.
 */
export async function launchChromium(): Promise<Browser> {
  const require = createRequire(path.join(WEB_DIR, 'package.json'));
  const { chromium } = require('playwright-core') as typeof import('../../web/node_modules/playwright-core/index.js');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * The origin that serves the page in front of a test server. When the app
 * mounts webUiRouter itself, that is the server; otherwise a small front
 * serves the page and passes every other request (GraphQL, thumbnails) to
 * the server untouched, so the page still talks only to the real API.
 */
export async function pageOrigin(apiUrl: string): Promise<{ origin: string; mounted: boolean; close(): Promise<void> }> {
  const api = new URL(apiUrl);
  const res = await fetch(new URL('/', api), { headers: { accept: 'text/html' } });
  const body = await res.text();
  if (res.ok && body.includes('id="app"')) return { origin: api.origin, mounted: true, close: async () => {} };

  const app = express();
  app.use(webUiRouter());
  app.use((req, res) => {
    const upstream = http.request(
      { host: api.hostname, port: api.port, method: req.method, path: req.originalUrl, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => res.status(502).end(String(err)));
    req.pipe(upstream);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    mounted: false,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Empties test-results/web, so that what is there after a run is that run's. */
export async function resetScreenshots(): Promise<void> {
  await fs.rm(SHOTS_DIR, { recursive: true, force: true });
}

/** A full-page screenshot under test-results/web/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(SHOTS_DIR, { recursive: true });
  const ignore = path.join(ROOT, 'test-results', '.gitignore');
  if (!existsSync(ignore)) await fs.writeFile(ignore, '*\n');
  const file = path.join(SHOTS_DIR, `${name}.png`);
  // Lazy images below the fold must have loaded for the picture to show them.
  await page.locator('img').evaluateAll(async (imgs: any[]) => {
    imgs.forEach((img) => (img.loading = 'eager'));
    await Promise.all(
      imgs.map(
        (img) =>
          img.complete ||
          new Promise((r) => {
            img.addEventListener('load', r, { once: true });
            img.addEventListener('error', r, { once: true });
          }),
      ),
    );
  });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
