import type { IncomingMessage } from 'node:http';

export interface BodyPrefix {
  /** Bytes read so far. */
  bytes: Buffer;
  /** True when `bytes` is the whole body; false when reading stopped at the limit. */
  complete: boolean;
}

/**
 * Reads the request body up to `limit` bytes. Past the limit it stops and pauses the
 * stream, so the caller can forward `bytes` and then pipe the rest: nothing is lost and
 * at most `limit` (plus one chunk) is held in memory.
 */
export function readBodyPrefix(incoming: IncomingMessage, limit: number): Promise<BodyPrefix> {
  return new Promise((resolve, reject) => {
    if (incoming.readableEnded) {
      resolve({ bytes: Buffer.alloc(0), complete: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        incoming.pause();
        cleanup();
        resolve({ bytes: Buffer.concat(chunks, size), complete: false });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ bytes: Buffer.concat(chunks, size), complete: true });
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      if (!incoming.complete) onError(new Error('client closed the request before sending the whole body'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
