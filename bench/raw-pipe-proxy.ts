import http from 'node:http';
import { listenOnLoopback } from './bench-child';

/**
 * Child process: the baseline. The smallest correct node:http proxy — the incoming
 * request is piped into an `http.request` on a keep-alive agent, and the upstream
 * response is piped back with its status and headers. No routing, no header rewriting,
 * no logging: whatever TokenPak costs on top of this is what the bench reports.
 * Usage: raw-pipe-proxy.ts <upstream port>
 */

const upstreamPort = Number(process.argv[2]);
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('usage: raw-pipe-proxy.ts <upstream port>\n');
  process.exit(2);
}

// Same pool settings as TokenPak's forwarder, so the comparison is about everything else.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });

const server = http.createServer((request, response) => {
  const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: request.method, path: request.url, headers: request.headers, agent });
  upstream.on('response', (upstreamResponse) => {
    response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
    upstreamResponse.pipe(response);
  });
  upstream.on('error', () => {
    if (!response.headersSent) response.writeHead(502);
    response.end();
  });
  request.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
listenOnLoopback(server, 'raw pipe proxy');
