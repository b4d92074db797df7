/**
 * What a credential source does to a request before it goes upstream. Applied on a
 * WHATWG `Headers` copy, so header names never end up in two spellings.
 */
export interface CredentialPlan {
  /** Header names to remove (e.g. the caller's placeholder key). */
  strip?: readonly string[];
  /** Headers to set, replacing any caller value. */
  set?: Readonly<Record<string, string>>;
  /** Comma-token headers to merge with the caller's value (caller first, case-insensitive de-dup). */
  merge?: Readonly<Record<string, readonly string[]>>;
  /** A different upstream base URL for this request. */
  upstream?: string;
}

/** Thrown by `resolve` when the source's credentials are unavailable: becomes a 401 with `hint`. */
export class CredentialUnavailableError extends Error {
  override readonly name = 'CredentialUnavailableError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export interface CredentialRequest {
  path: string;
  headers: Headers;
}

/** A named credential source, e.g. `caller`, `claude-login`, `codex-login`. */
export interface CredentialProvider {
  name: string;
  resolve(request: CredentialRequest): CredentialPlan | null | Promise<CredentialPlan | null>;
}
