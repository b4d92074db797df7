import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiShape } from '../http/api-errors';
import type { RequestMeter } from '../ledger/request-meter';

/** One client exchange, handed from the server to a backend. */
export interface Exchange {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
  shape: ApiShape;
  /** Flat `[name, value, …]` headers every response to this request carries. */
  responseHeaders: readonly string[];
  /** Body bytes already read for inspection. */
  bodyPrefix?: Buffer;
  /** The ledger's meter for this request (absent when the ledger is off); backends report what they relay or know to it. */
  meter?: RequestMeter;
  /**
   * Set when a fallback exists for an unavailable backend (ARCHITECTURE §7). A backend that
   * cannot serve at all (the companion: CLI missing, not logged in) calls it before writing
   * anything; `true` means the request was handed on and the backend must not answer.
   */
  unavailable?: (reason: string) => boolean;
}
