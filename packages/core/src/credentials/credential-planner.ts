import { inject, injectable } from 'tsyringe';
import type { RouteDecision } from '../decision/route-decision';
import { TOKENS } from '../di-tokens';
import { CALLER_CREDENTIALS, type CredentialRegistry } from './credential-registry';
import { CredentialUnavailableError, type CredentialPlan, type CredentialRequest } from './types';

/**
 * Turns a decision's `credentialSource` into the plan the forwarder applies. `caller`
 * needs no plan (the caller's own credentials go upstream untouched); any other source
 * is resolved per request, and an unavailable one is a `CredentialUnavailableError`
 * (answered 401 with its hint, never forwarded with a placeholder).
 */
@injectable()
export class CredentialPlanner {
  constructor(@inject(TOKENS.CredentialRegistry) private readonly registry: CredentialRegistry) {}

  needsPlan(decision: RouteDecision): boolean {
    return decision.credentialSource !== CALLER_CREDENTIALS;
  }

  async planFor(decision: RouteDecision, request: CredentialRequest): Promise<CredentialPlan> {
    const source = this.registry.get(decision.credentialSource);
    if (!source) {
      throw new CredentialUnavailableError(
        `credential source "${decision.credentialSource}" for provider ${decision.provider ?? 'none'} is not available`,
        'check providers.<name>.credentials in your config and that the plugin providing it is loaded (tokenpak plugins)',
      );
    }
    const plan = await source.resolve(request);
    if (!plan) {
      throw new CredentialUnavailableError(`credential source "${source.name}" has no credentials`, 'log in with the tool that owns them');
    }
    return plan;
  }
}

/** True for errors with the CredentialUnavailableError shape (plugins may throw their own realm's class). */
export function isCredentialUnavailable(error: unknown): error is CredentialUnavailableError {
  return (
    !!error &&
    typeof error === 'object' &&
    (error as { name?: unknown }).name === 'CredentialUnavailableError' &&
    typeof (error as { hint?: unknown }).hint === 'string'
  );
}
