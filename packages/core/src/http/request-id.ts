import { randomUUID } from 'node:crypto';

/** A new request id (`req_` + 32 hex chars), echoed as `x-tokenpak-request-id`. */
export function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, '')}`;
}
