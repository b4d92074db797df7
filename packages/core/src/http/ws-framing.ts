import wsModule from 'ws';

/**
 * The parts of the `ws` package TokenPak uses to read and write WebSocket frames (RFC 6455)
 * without owning a socket: its frame `Receiver`, the `permessage-deflate` extension (RFC 7692),
 * `Sender.frame` and the `Sec-WebSocket-Extensions` parser. `ws` exports them from its main
 * module (`index.js`) but `@types/ws` does not describe them, so they are typed here — only
 * what is called. Checked against ws 8.23.
 */

/** Negotiated extension objects, keyed by extension name (what `Receiver` expects). */
export type NegotiatedExtensions = Record<string, PerMessageDeflateExtension>;

export interface ReceiverOptions {
  /** `true` reads client→server frames (must be masked); `false` reads server→client frames. */
  isServer: boolean;
  extensions: NegotiatedExtensions;
  /** Largest message in bytes (after decompression); larger → an `error` event. */
  maxPayload: number;
  binaryType: 'nodebuffer';
  skipUTF8Validation: boolean;
}

/** A Writable that parses frames: `message` (data, isBinary) per whole message, `conclude` on a close frame, `error` on a protocol violation. */
export interface FrameReceiver extends NodeJS.WritableStream {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'conclude', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): this;
  destroy(error?: Error): this;
}

export interface PerMessageDeflateExtension {
  /** Accepts the negotiated parameters (a parsed `Sec-WebSocket-Extensions` entry); throws on invalid ones. */
  accept(configurations: ExtensionParams[]): Record<string, unknown>;
  params: Record<string, unknown> | null;
  cleanup(): void;
}

export type ExtensionParams = Record<string, Array<string | true>>;

interface WsFramingModule {
  Receiver: new (options: ReceiverOptions) => FrameReceiver;
  PerMessageDeflate: (new (options: { isServer: boolean; maxPayload: number }) => PerMessageDeflateExtension) & { readonly extensionName: string };
  Sender: { frame(data: Buffer, options: { fin: boolean; mask: boolean; opcode: number; readOnly: boolean; rsv1: boolean }): Buffer[] };
  extension: { parse(header: string): Record<string, ExtensionParams[]> };
}

const framing = wsModule as unknown as WsFramingModule;

export const { Receiver, PerMessageDeflate, Sender } = framing;

/** `Sec-WebSocket-Extensions` parsed; throws on a malformed header. */
export function parseExtensions(header: string): Record<string, ExtensionParams[]> {
  return framing.extension.parse(header);
}

/** RFC 6455 §7.4.1 close code 1001: the endpoint is going away (server shutdown). */
export const CLOSE_GOING_AWAY = 1001;
const OPCODE_CLOSE = 0x08;

/**
 * One close frame (RFC 6455 §5.5.1) as bytes: masked when sent by the client side (towards
 * the upstream, §5.3), unmasked towards the client. Built by `ws`'s `Sender.frame`.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return Buffer.concat(framing.Sender.frame(payload, { fin: true, mask: masked, opcode: OPCODE_CLOSE, readOnly: false, rsv1: false }));
}
