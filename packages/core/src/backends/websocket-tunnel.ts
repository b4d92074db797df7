import type { Duplex } from 'node:stream';
import { FrameBoundary } from '../http/frame-boundary';
import { CLOSE_GOING_AWAY, closeFrame } from '../http/ws-framing';
import type { TunnelCloseCause, TunnelObserver } from '../ledger/websocket-turn-meter';

/** How long one side may linger after the other ended before it is destroyed. */
const LINGER_MS = 10_000;

/**
 * One direction of a tunnel: bytes from `source` written to `sink` as they come, with
 * backpressure (what `pipe` does), the frame boundaries tracked so a close frame can be
 * put between two frames, and a copy of each chunk handed to the observer after the write.
 */
class Relay {
  private readonly boundary = new FrameBoundary();
  private closeWanted: Buffer | null = null;
  /** Our close frame went out: the source's further bytes are dropped (RFC 6455 §5.5.1: nothing follows a close). */
  private closeSent = false;

  constructor(
    private readonly source: Duplex,
    private readonly sink: Duplex,
    private readonly observe: (chunk: Buffer) => void,
  ) {
    source.on('data', (chunk: Buffer) => this.relay(chunk));
    sink.on('drain', () => source.resume());
  }

  /** Relays one chunk from the source (also used for the bytes that came with the handshake). */
  relay(chunk: Buffer): void {
    if (this.closeSent || chunk.length === 0) return;
    if (this.closeWanted) {
      const until = this.boundary.untilBoundary(chunk);
      this.write(until === -1 ? chunk : chunk.subarray(0, until));
      if (until !== -1) this.sendClose();
      return;
    }
    this.boundary.advance(chunk);
    this.write(chunk);
  }

  /** Sends `frame` (a close) to the sink at the next frame boundary. */
  closeWith(frame: Buffer): void {
    if (this.closeSent || this.closeWanted) return;
    this.closeWanted = frame;
    if (this.boundary.atBoundary) this.sendClose();
  }

  private write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.sink.writable) return;
    if (!this.sink.write(chunk)) this.source.pause();
    this.observe(chunk);
  }

  private sendClose(): void {
    const frame = this.closeWanted;
    if (!frame || this.closeSent) return;
    this.closeSent = true;
    this.source.resume();
    if (this.sink.writable) this.sink.write(frame);
  }
}

/**
 * A proxied WebSocket: the client's and the upstream's sockets joined, frames passed
 * untouched both ways. Either side closing closes the other; `goingAway` (shutdown) sends
 * close 1001 both ways, each between two frames; `destroy` ends it at once.
 */
export class WebSocketTunnel {
  private cause: TunnelCloseCause | null = null;
  private readonly toUpstream: Relay;
  private readonly toClient: Relay;
  private readonly whenClosed: Array<() => void> = [];

  constructor(
    private readonly client: Duplex,
    private readonly upstream: Duplex,
    private readonly observer: TunnelObserver | null,
  ) {
    this.toUpstream = new Relay(client, upstream, (chunk) => observer?.fromClient(chunk));
    this.toClient = new Relay(upstream, client, (chunk) => observer?.fromUpstream(chunk));
    // One side ending (FIN after the close handshake, RFC 6455 §7.1.1) or closing ends the other
    // gracefully, so bytes still queued for it (the peer's close frame) go out first.
    const ended = (cause: TunnelCloseCause, other: Duplex) => (): void => {
      this.settle(cause);
      other.end();
      setTimeout(() => this.destroy(), LINGER_MS).unref();
    };
    client.on('end', ended('client_closed', upstream));
    client.on('close', ended('client_closed', upstream));
    upstream.on('end', ended('upstream_closed', client));
    upstream.on('close', ended('upstream_closed', client));
    client.on('error', () => this.end('client_closed'));
    upstream.on('error', () => this.end('upstream_closed'));
    let open = 2;
    const gone = (): void => {
      if (--open === 0) this.whenClosed.splice(0).forEach((callback) => callback());
    };
    client.once('close', gone);
    upstream.once('close', gone);
  }

  /** Bytes that came with the handshake on either side. */
  start(clientHead: Buffer, upstreamHead: Buffer): void {
    this.toClient.relay(upstreamHead);
    this.toUpstream.relay(clientHead);
  }

  /** Shutdown: close 1001 to both peers (masked towards the upstream, RFC 6455 §5.3). */
  goingAway(): void {
    if (this.cause) return;
    this.settle('server_shutdown');
    this.toClient.closeWith(closeFrame(CLOSE_GOING_AWAY, 'TokenPak is shutting down', false));
    this.toUpstream.closeWith(closeFrame(CLOSE_GOING_AWAY, 'TokenPak is shutting down', true));
  }

  destroy(): void {
    this.end(this.cause ?? 'server_shutdown');
  }

  /** Calls back once both sockets are gone. */
  onClosed(callback: () => void): void {
    if (this.client.destroyed && this.upstream.destroyed) callback();
    else this.whenClosed.push(callback);
  }

  /** The first end decides the cause the observer records. */
  private settle(cause: TunnelCloseCause): void {
    this.cause ??= cause;
    this.observer?.closed(this.cause);
  }

  private end(cause: TunnelCloseCause): void {
    this.settle(cause);
    this.client.destroy();
    this.upstream.destroy();
  }
}
