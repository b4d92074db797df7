/**
 * A provider identity's transport facts: where its traffic goes and how an incoming
 * path maps onto that upstream. Core defines the built-in API providers from config;
 * plugins add their own (a Codex provider maps `/v1/responses` onto its upstream).
 */
export interface ProviderDefinition {
  name: string;
  /** Default upstream base URL; `providers.<name>.upstream` in the config wins. */
  upstream?: string;
  /**
   * Upstream URL for a request path. Default: the upstream base URL with the incoming
   * path and query appended. Return null when this provider does not serve the path.
   */
  mapUrl?(request: { path: string; search: string }, upstream: URL): string | null;
  /** Extra top-level path prefixes (besides `/v1/`) this provider's traffic arrives on. */
  pathPrefixes?: readonly string[];
}
