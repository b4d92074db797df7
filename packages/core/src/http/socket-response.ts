import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Writes a whole HTTP/1.1 response head (and optional body) on a raw socket: the upgrade
 * path has no `ServerResponse`. `flatHeaders` is `[name, value, …]`.
 */
export function writeSocketHead(socket: Duplex, status: number, statusMessage: string | undefined, flatHeaders: readonly string[]): void {
  let head = `HTTP/1.1 ${status} ${statusMessage || STATUS_CODES[status] || ''}\r\n`;
  for (let i = 0; i < flatHeaders.length; i += 2) head += `${flatHeaders[i]}: ${flatHeaders[i + 1]}\r\n`;
  socket.write(`${head}\r\n`);
}

/** A complete response that closes the connection (errors on the upgrade path). */
export function endSocketWithResponse(socket: Duplex, status: number, flatHeaders: readonly string[], body: string | Buffer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  writeSocketHead(socket, status, undefined, [...flatHeaders, 'content-length', String(Buffer.byteLength(body)), 'connection', 'close']);
  socket.end(body);
}
