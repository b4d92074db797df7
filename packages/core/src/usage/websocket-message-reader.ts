import { PerMessageDeflate, Receiver, parseExtensions, type FrameReceiver, type NegotiatedExtensions } from '../http/ws-framing';

/** Messages larger than this (after decompression) are not read: their turn's usage stays unknown. */
export const MAX_WATCHED_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The extensions each direction's reader needs, from the upstream's `Sec-WebSocket-Extensions` on the 101. */
export interface WatchedExtensions {
  /** For client→upstream frames (read in server mode: masked, client_* deflate parameters). */
  fromClient: NegotiatedExtensions;
  /** For upstream→client frames. */
  fromUpstream: NegotiatedExtensions;
}

/**
 * The agreed extensions, or null when frames cannot be read (an extension other than
 * permessage-deflate, or a header `ws` rejects): then usage is unknown, never guessed.
 */
export function watchedExtensions(agreed: string | undefined): WatchedExtensions | null {
  if (!agreed || agreed.trim() === '') return { fromClient: {}, fromUpstream: {} };
  try {
    const offers = parseExtensions(agreed);
    const name = PerMessageDeflate.extensionName;
    if (Object.keys(offers).some((other) => other !== name)) return null;
    const params = offers[name];
    if (!params) return { fromClient: {}, fromUpstream: {} };
    const fromUpstream = new PerMessageDeflate({ isServer: false, maxPayload: MAX_WATCHED_MESSAGE_BYTES });
    fromUpstream.accept(params);
    // The same agreement, read from the other end: server mode inflates with the client_* parameters.
    const fromClient = new PerMessageDeflate({ isServer: true, maxPayload: MAX_WATCHED_MESSAGE_BYTES });
    fromClient.params = fromUpstream.params;
    return { fromClient: { [name]: fromClient }, fromUpstream: { [name]: fromUpstream } };
  } catch {
    return null;
  }
}

/**
 * Reads whole messages out of one direction's bytes with `ws`'s frame Receiver (chosen over
 * a hand-written parser: it handles fragmentation, control frames interleaved in fragmented
 * messages, masking, UTF-8 checks and permessage-deflate, and is what the `ws` server and
 * client themselves run). It gets copies of chunks already passed on, so it never changes or
 * delays a frame; a protocol error or an oversized message stops it and calls `failed` once.
 */
export class WebSocketMessageReader {
  private receiver: FrameReceiver | null;
  /**
   * The Receiver unmasks client frames in place, in the very buffer it is given, and that
   * buffer may still be queued on the upstream socket: client chunks are copied first so the
   * bytes going upstream are never touched. Upstream frames are unmasked and only read.
   */
  private readonly copyChunks: boolean;

  constructor(
    fromClient: boolean,
    private readonly extensions: NegotiatedExtensions,
    onMessage: (message: Buffer, isBinary: boolean) => void,
    private readonly failed: () => void,
  ) {
    this.copyChunks = fromClient;
    const receiver = new Receiver({
      isServer: fromClient,
      extensions,
      maxPayload: MAX_WATCHED_MESSAGE_BYTES,
      binaryType: 'nodebuffer',
      skipUTF8Validation: true,
    });
    receiver.on('message', (data, isBinary) => onMessage(data, isBinary));
    receiver.on('error', () => this.stop(true));
    // Pings, pongs and close frames carry nothing the ledger reads.
    receiver.on('conclude', () => undefined);
    receiver.on('ping', () => undefined);
    receiver.on('pong', () => undefined);
    this.receiver = receiver;
  }

  get reading(): boolean {
    return this.receiver !== null;
  }

  push(chunk: Buffer): void {
    if (!this.receiver) return;
    try {
      this.receiver.write(this.copyChunks ? Buffer.from(chunk) : chunk);
    } catch {
      this.stop(true);
    }
  }

  /** Stops reading and frees the inflater (tunnel closed). */
  close(): void {
    this.stop(false);
  }

  private stop(failure: boolean): void {
    const receiver = this.receiver;
    if (!receiver) return;
    this.receiver = null;
    receiver.on('error', () => undefined);
    receiver.destroy();
    for (const extension of Object.values(this.extensions)) extension.cleanup();
    if (failure) this.failed();
  }
}
