// Serves the npm build of RSSHub (a library build without a server) on $HOST:$PORT
// (127.0.0.1 unless HOST says otherwise: the compose test runs it in a container).
// Test-only peer for hotpress: RSSHub is AGPL-3.0 and is never shipped with hotpress.
// Usage: node_modules/.bin/node server.mjs   (environment: see tests/rsshub_peer.py)
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { serve } from '@hono/node-server';
import { init } from 'rsshub';

// IS_PACKAGE='' makes routes render feeds (RSS/Atom/JSON Feed) instead of raw JSON data.
await init({ IS_PACKAGE: '' });

// The package exports only init/request; its Hono app lives in a module whose file name is
// hashed per build. init() has just imported it, so read the name from the entry module and
// import the same (cached) instance.
const entry = fileURLToPath(import.meta.resolve('rsshub'));
const source = await readFile(entry, 'utf8');
const found = source.match(/import\("\.\/(app-[\w-]+\.mjs)"\)/);
if (!found) {
  console.error(`server.mjs: cannot find the app module in ${entry}`);
  process.exit(2);
}
const { default: app } = await import(pathToFileURL(path.join(path.dirname(entry), found[1])).href);

const port = Number.parseInt(process.env.PORT ?? '1200', 10);
const hostname = process.env.HOST || '127.0.0.1';
const server = serve({ fetch: app.fetch, port, hostname }, (info) => {
  console.log(`rsshub listening on http://${hostname}:${info.port}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
