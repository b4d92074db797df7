import { performance } from 'node:perf_hooks';
import { TURN_ENDS, TURN_START, readClientEvent, readEventType, readServerEvent } from '../usage/websocket-events';
import { WebSocketMessageReader, watchedExtensions } from '../usage/websocket-message-reader';
import type { TokenUsage } from '../usage/token-usage';

/** Why a tunnel ended: which side closed first, or TokenPak's shutdown. Also the error kind of a turn it cut. */
export type TunnelCloseCause = 'client_closed' | 'upstream_closed' | 'server_shutdown';

/** What a WebSocket backend reports while it relays: copies of the bytes each way, already passed on, and the end. */
export interface TunnelObserver {
  fromClient(chunk: Buffer): void;
  fromUpstream(chunk: Buffer): void;
  closed(cause: TunnelCloseCause): void;
}

/** One Responses turn on a WebSocket, as measured. Times in milliseconds; bytes are message payload bytes (after permessage-deflate). */
export interface WebSocketTurn {
  /** 1 for the socket's first turn. */
  index: number;
  /** Epoch milliseconds of the `response.create` frame. */
  startedAt: number;
  /** From `response.create` to the first server frame after it. */
  ttfbMs: number | null;
  totalMs: number;
  bytesIn: number;
  bytesOut: number;
  model: string | null;
  /** From `response.completed` (or failed/incomplete); null when unknown (never a guess). */
  usage: TokenUsage | null;
  /** The end event's error type, or how the socket ended the turn (`client_closed`, `upstream_closed`, `server_shutdown`, `frames_unreadable`). */
  errorType: string | null;
}

interface OpenTurn {
  index: number;
  startedAt: number;
  startedTick: number;
  firstFrameTick: number | null;
  bytesIn: number;
  bytesOut: number;
  model: string | null;
}

const since = (tick: number): number => Math.round((performance.now() - tick) * 1000) / 1000;

/**
 * Turns a WebSocket's frames into ledger turns (ARCHITECTURE §2.7, §9): a turn opens at a
 * client `response.create` and ends at the server's `response.completed|failed|incomplete`
 * or `error`; the socket closing ends any open turn with the close's cause. Frames that
 * cannot be read (an extension other than permessage-deflate, a protocol error, a message
 * over 64 MiB) end the reading: turns still open are then recorded without usage, with the
 * error kind `frames_unreadable`.
 */
export class WebSocketTurnMeter implements TunnelObserver {
  private readonly fromClientReader: WebSocketMessageReader | null;
  private readonly fromUpstreamReader: WebSocketMessageReader | null;
  private readonly open: OpenTurn[] = [];
  private turns = 0;
  /** The upstream's frames stopped being readable: open turns can no longer be seen to end. */
  private upstreamUnreadable = false;
  private ended = false;

  /** `agreedExtensions`: the upstream's `Sec-WebSocket-Extensions` on its 101. */
  constructor(
    agreedExtensions: string | undefined,
    private readonly recordTurn: (turn: WebSocketTurn) => void,
  ) {
    const extensions = watchedExtensions(agreedExtensions);
    if (!extensions) {
      this.fromClientReader = null;
      this.fromUpstreamReader = null;
      return;
    }
    // A client reader that fails only stops new turns from being seen; nothing to mark.
    this.fromClientReader = new WebSocketMessageReader(
      true,
      extensions.fromClient,
      (message, isBinary) => this.clientMessage(message, isBinary),
      () => undefined,
    );
    this.fromUpstreamReader = new WebSocketMessageReader(
      false,
      extensions.fromUpstream,
      (message, isBinary) => this.upstreamMessage(message, isBinary),
      () => {
        this.upstreamUnreadable = true;
      },
    );
  }

  fromClient(chunk: Buffer): void {
    this.fromClientReader?.push(chunk);
  }

  fromUpstream(chunk: Buffer): void {
    this.fromUpstreamReader?.push(chunk);
  }

  closed(cause: TunnelCloseCause): void {
    if (this.ended) return;
    this.ended = true;
    this.fromClientReader?.close();
    this.fromUpstreamReader?.close();
    for (const turn of this.open.splice(0)) this.finish(turn, null, this.upstreamUnreadable ? 'frames_unreadable' : cause);
  }

  private clientMessage(message: Buffer, isBinary: boolean): void {
    const event = isBinary ? null : readClientEvent(message);
    if (event?.type === TURN_START) {
      this.open.push({
        index: ++this.turns,
        startedAt: Date.now(),
        startedTick: performance.now(),
        firstFrameTick: null,
        bytesIn: message.length,
        bytesOut: 0,
        model: event.model,
      });
      return;
    }
    const current = this.open.at(-1);
    if (current) current.bytesIn += message.length;
  }

  private upstreamMessage(message: Buffer, isBinary: boolean): void {
    // Responses answers one turn at a time, in order: server events belong to the oldest open turn.
    const turn = this.open[0];
    if (!turn) return;
    turn.firstFrameTick ??= performance.now();
    turn.bytesOut += message.length;
    if (isBinary) return;
    // Nearly every frame is a delta: only its type is read; an end event is read in full.
    const type = readEventType(message);
    if (type === null || !TURN_ENDS.has(type)) return;
    const event = readServerEvent(message);
    turn.model ??= event.model;
    this.open.shift();
    this.finish(turn, event.usage, event.errorType);
  }

  private finish(turn: OpenTurn, usage: TokenUsage | null, errorType: string | null): void {
    this.recordTurn({
      index: turn.index,
      startedAt: turn.startedAt,
      ttfbMs: turn.firstFrameTick === null ? null : Math.round((turn.firstFrameTick - turn.startedTick) * 1000) / 1000,
      totalMs: since(turn.startedTick),
      bytesIn: turn.bytesIn,
      bytesOut: turn.bytesOut,
      model: turn.model,
      usage,
      errorType,
    });
  }
}
