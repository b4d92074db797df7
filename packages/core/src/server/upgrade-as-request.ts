import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderName } from '../http/header-names';

/** Header names a `Connection` header lists (hop-by-hop for this message, RFC 9110 §7.6.1). */
function connectionListed(rawHeaders: readonly string[]): Set<string> {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== HeaderName.connection) continue;
    for (const token of rawHeaders[i + 1]!.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive') listed.add(name);
    }
  }
  return listed;
}

/**
 * Serves an upgrade TokenPak does not proxy (`Upgrade: h2c`, …) as the plain request it
 * also is (RFC 9110 §7.8: a server may ignore `Upgrade`). Node's parser stopped at the
 * head of such a request and detached the socket, so the head is written back — same
 * method, target, header order and spelling, minus `Connection`, `Upgrade` and what
 * `Connection` lists — in front of the body bytes, and the socket is handed back to the HTTP
 * server as a new connection: the request then takes the normal data plane, body intact.
 */
export function serveAsPlainRequest(server: Server, incoming: IncomingMessage, socket: Duplex, head: Buffer): void {
  const listed = connectionListed(incoming.rawHeaders);
  let text = `${incoming.method ?? 'GET'} ${incoming.url ?? '/'} HTTP/${incoming.httpVersion}\r\n`;
  for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
    const lower = incoming.rawHeaders[i]!.toLowerCase();
    if (lower === HeaderName.connection || lower === 'upgrade' || listed.has(lower)) continue;
    text += `${incoming.rawHeaders[i]}: ${incoming.rawHeaders[i + 1]}\r\n`;
  }
  // Node decoded the head as latin1, so latin1 gives back the bytes the client sent.
  socket.unshift(Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head]));
  server.emit('connection', socket);
}
