import path from 'node:path';
import { startServerChild, type ServerChild } from './child-processes';

/** The bench's own TypeScript servers run under jiti, as `npm run bench` itself does (no build step). */
function jitiCli(): string {
  const packageJson = require.resolve('jiti/package.json');
  return path.join(path.dirname(packageJson), 'lib', 'jiti-cli.mjs');
}

function benchScript(file: string): string {
  return path.join(__dirname, file);
}

export function startMockUpstream(): Promise<ServerChild> {
  return startServerChild({ name: 'mock upstream', command: process.execPath, args: [jitiCli(), benchScript('mock-upstream-server.ts')] });
}

export function startRawPipeProxy(upstream: ServerChild): Promise<ServerChild> {
  const upstreamPort = new URL(upstream.url).port;
  return startServerChild({ name: 'raw pipe proxy', command: process.execPath, args: [jitiCli(), benchScript('raw-pipe-proxy.ts'), upstreamPort] });
}
