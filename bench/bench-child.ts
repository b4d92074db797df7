import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Startup for the bench's own child servers (mock upstream, raw pipe proxy).
 * The parent waits for the `listening on http://127.0.0.1:<port>` line, the same line
 * format TokenPak prints, so one readiness check serves all three children.
 */
export function listenOnLoopback(server: Server, name: string): void {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${name} listening on http://127.0.0.1:${port}\n`);
  });
  exitWithParent();
}

/**
 * The parent holds our stdin open; when it goes away (even by SIGKILL, where it cannot
 * clean up) the pipe closes and we exit, so no bench server is ever left orphaned.
 */
function exitWithParent(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
