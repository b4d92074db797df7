import type { ServerResponse } from 'node:http';
import { HeaderName } from '../../../http/header-names';
import { apiErrorEvent, type ProxyError } from '../../../http/api-errors';
import type { SseSink } from './stream-json-to-sse';

/** Keeps idle streams alive through proxies and client read timeouts while the CLI works (e.g. runs its tools). */
export const PING_INTERVAL_MS = 15_000;

/** Pauses / resumes the producer when the client cannot keep up. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** Told how many body bytes went to the client (`content` false for keep-alive pings): the ledger's ttfb and bytes out. */
export type BodyBytesListener = (bytes: number, content: boolean) => void;

/** A complete JSON answer. */
export function writeJsonResponse(outgoing: ServerResponse, status: number, body: unknown, headers: readonly string[], onBody?: BodyBytesListener): void {
  if (outgoing.headersSent || outgoing.destroyed) return;
  const text = JSON.stringify(body);
  const bytes = Buffer.byteLength(text);
  outgoing.writeHead(status, [...headers, HeaderName.contentType, 'application/json', HeaderName.contentLength, String(bytes)]);
  outgoing.end(text);
  onBody?.(bytes, true);
}

/**
 * An Anthropic SSE answer on a raw Node response. The status line goes out with the
 * first event — not before — so failures that happen before the CLI says anything
 * still get a proper HTTP status. Writes respect backpressure through `FlowControl`.
 */
export class SseResponse implements SseSink {
  private opened = false;
  private waitingForDrain = false;
  private flow: FlowControl | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly outgoing: ServerResponse,
    private readonly headers: readonly string[],
    private readonly pingIntervalMs = PING_INTERVAL_MS,
    private readonly onBody?: BodyBytesListener,
  ) {
    outgoing.once('close', () => this.stopPings());
  }

  get started(): boolean {
    return this.opened;
  }

  setFlowControl(flow: FlowControl): void {
    this.flow = flow;
  }

  send(name: string, data: unknown): void {
    if (!this.writable()) return;
    this.open();
    const frame = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const ok = this.outgoing.write(frame);
    this.onBody?.(Buffer.byteLength(frame), name !== 'ping');
    if (!ok && !this.waitingForDrain && this.flow) {
      this.waitingForDrain = true;
      const flow = this.flow;
      flow.pause();
      this.outgoing.once('drain', () => {
        this.waitingForDrain = false;
        flow.resume();
      });
    }
  }

  end(): void {
    this.stopPings();
    if (this.writable()) this.outgoing.end();
  }

  /** A failure after the stream started: an SSE `error` event, then the end. */
  fail(error: ProxyError): void {
    this.stopPings();
    if (!this.writable()) return;
    const frame = apiErrorEvent('anthropic', error);
    this.outgoing.end(frame);
    this.onBody?.(Buffer.byteLength(frame), true);
  }

  private writable(): boolean {
    return !this.outgoing.writableEnded && !this.outgoing.destroyed;
  }

  /**
   * Sends the status line and headers now and starts the pings, before any event: a model
   * slow to its first token must not look like a dead connection. From here on, failures
   * are `event: error`.
   */
  openNow(): void {
    if (this.writable()) this.open();
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.outgoing.writeHead(200, [...this.headers, HeaderName.contentType, 'text/event-stream; charset=utf-8', 'cache-control', 'no-cache']);
    this.outgoing.flushHeaders();
    this.pingTimer = setInterval(() => this.send('ping', { type: 'ping' }), this.pingIntervalMs);
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
