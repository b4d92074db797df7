/**
 * What a credential source does to a request before it goes upstream. Applied to the
 * outgoing headers case-insensitively, so a header never ends up in two spellings.
 */
export interface CredentialPlan {
  /** Header names to remove (e.g. the caller's placeholder key). */
  strip?: readonly string[];
  /** Headers to set, replacing any caller value (the caller's spelling of the name is kept). */
  set?: Readonly<Record<string, string>>;
  /** Comma-token headers to merge with the caller's value (caller's tokens first, case-insensitive de-dup). */
  merge?: Readonly<Record<string, readonly string[]>>;
  /** Why, for the decision's reasons (never a secret). */
  note?: string;
}

/** Thrown by `resolve` when the source's credentials are unavailable: the caller gets a 401 with `hint`. */
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

/**
 * A named credential source (`claude-login`, `codex-login`, …), chosen per provider by
 * `providers.<name>.credentials`. `resolve` runs per request (credential files rotate), and
 * returns the plan, or null when its credentials are unavailable (→ 401).
 */
export interface CredentialProvider {
  name: string;
  resolve(request: CredentialRequest): CredentialPlan | null | Promise<CredentialPlan | null>;
}
