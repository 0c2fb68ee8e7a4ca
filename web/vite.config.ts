import { defineConfig } from 'vite';

/**
 * A plain Vite build: Preact's JSX through Vite's own transform (no plugin),
 * hashed assets under /assets/ (served as immutable by src/server/web-ui.ts),
 * and the dev server proxying the API to a facegraph on :4000.
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small page: a single chunk loads in one round trip.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/graphql': 'http://127.0.0.1:4000', '/thumbnails': 'http://127.0.0.1:4000', '/photos': 'http://127.0.0.1:4000' },
  },
});
