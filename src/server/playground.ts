import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** Files of the playground, all from npm packages: the page works with no internet access. */
const ASSETS: Record<string, string> = {
  'react.js': path.join(pkgDir('react'), 'umd/react.production.min.js'),
  'react-dom.js': path.join(pkgDir('react-dom'), 'umd/react-dom.production.min.js'),
  'graphiql.js': path.join(pkgDir('graphiql'), 'graphiql.min.js'),
  'graphiql.css': path.join(pkgDir('graphiql'), 'graphiql.min.css'),
  'graphql-ws.js': path.join(pkgDir('graphql-ws'), 'umd/graphql-ws.min.js'),
};

const PAGE = (endpoint: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>facegraph GraphQL playground</title>
  <link rel="stylesheet" href="/playground/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script src="/playground/graphql-ws.js"></script>
  <script>
    // Subscriptions go over a WebSocket on the same path. Browsers cannot set headers on it, so the key from
    // GraphiQL's Headers tab ({"Authorization": "Bearer fg_..."}) is sent in connection_init instead.
    const wsUrl = new URL(${JSON.stringify(endpoint)}, location.href);
    wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const connectionParams = () => {
      try {
        const headers = JSON.parse(localStorage.getItem('graphiql:headers') || '{}');
        const authorization = headers.Authorization || headers.authorization;
        return authorization ? { authorization } : {};
      } catch {
        return {};
      }
    };
    const wsClient = graphqlWs.createClient({ url: wsUrl.href, connectionParams, lazy: true });
    const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)}, wsClient });
    const defaultQuery = '# Welcome to facegraph.\\n# Try: { albums(first: 10) { edges { node { id name imageCount faceCount } } } }\\n';
    ReactDOM.createRoot(document.getElementById('graphiql'))
      .render(React.createElement(GraphiQL, { fetcher, defaultQuery }));
  </script>
</body>
</html>`;

/**
 * GraphiQL, served by facegraph itself: the page at GET /graphql (browsers) and its assets under /playground.
 * Its fetcher runs subscriptions over graphql-ws on the same path.
 */
export function playgroundRouter(endpoint: string): Router {
  const router = express.Router();
  router.get('/playground/:file', (req, res, next) => {
    const file = ASSETS[req.params.file];
    if (!file) return next();
    res.sendFile(file, { maxAge: '1d' });
  });
  router.get(endpoint, (req, res, next) => {
    // Only browsers asking for HTML get the page; GraphQL GET queries pass through to Apollo.
    if (req.accepts(['application/json', 'text/html']) !== 'text/html' || req.query.query) return next();
    res.type('html').send(PAGE(endpoint));
  });
  return router;
}
