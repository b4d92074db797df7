import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import type { TokenPakEnv } from './hono-env';
import { isLoopbackHost } from './loopback-guard';

/** `packages/core/dashboard` (from `src/server` under ts-jest and `dist/server` when built). */
export const DASHBOARD_DIR = path.resolve(__dirname, '..', '..', 'dashboard');

interface Asset {
  body: string;
  contentType: string;
}

/** Only the proxy's own files and endpoints; no inline code, no other origin, no framing. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

function loadAssets(dir: string): Map<string, Asset> {
  const read = (file: string, contentType: string): Asset => ({ body: readFileSync(path.join(dir, file), 'utf8'), contentType });
  return new Map([
    ['/tokenpak/', read('index.html', 'text/html; charset=utf-8')],
    ['/tokenpak/dashboard.js', read('dashboard.js', 'text/javascript; charset=utf-8')],
    ['/tokenpak/dashboard.css', read('dashboard.css', 'text/css; charset=utf-8')],
  ]);
}

/**
 * The dashboard at `GET /tokenpak/` (static files read once at start, served from
 * memory). Behind the app-wide Host/Origin guard like everything else, and additionally
 * only to a peer on this machine: the page shows what every agent did.
 */
export function mountDashboard(app: Hono<TokenPakEnv>, dir: string = DASHBOARD_DIR): void {
  const assets = loadAssets(dir);
  app.get('/tokenpak', (c) => c.redirect('/tokenpak/', 308));
  for (const [route, asset] of assets) {
    app.get(route, (c) => {
      const peer = c.env.incoming.socket.remoteAddress ?? '';
      if (!isLoopbackHost(peer)) return c.text('The TokenPak dashboard is only served to this machine.\n', 403);
      return c.body(asset.body, 200, { 'content-type': asset.contentType, ...SECURITY_HEADERS });
    });
  }
}
