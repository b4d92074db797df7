import type { HttpBindings } from '@hono/node-server';

/** Typed context variables set by TokenPak's middleware. */
declare module 'hono' {
  interface ContextVariableMap {
    /** Unique id of this request; echoed as `x-tokenpak-request-id`. */
    requestId: string;
  }
}

/** The Hono env of TokenPak's app: Node bindings (`c.env.incoming` / `c.env.outgoing`). */
export type TokenPakEnv = { Bindings: HttpBindings };
