import { inject, injectable } from 'tsyringe';
import type { Disposer } from '../bridge/types';
import type { ResolvedConfig } from '../config/load-config';
import { TOKENS } from '../di-tokens';
import { claudeLoginCredentials } from './claude-login-credentials';
import type { CredentialProvider } from './types';

/** The caller's own credentials, forwarded untouched. Always present. */
export const CALLER_CREDENTIALS = 'caller';

/** Credential sources by name; one instance per container. `claude-login` is built in; plugins add more. */
@injectable()
export class CredentialRegistry {
  private readonly providers = new Map<string, CredentialProvider>();

  constructor(@inject(TOKENS.Config) resolved: ResolvedConfig) {
    const claudeLogin = claudeLoginCredentials(resolved.config.credentials.claudeCode);
    this.providers.set(claudeLogin.name, claudeLogin);
  }

  register(provider: CredentialProvider): Disposer {
    if (!provider || typeof provider.name !== 'string' || provider.name.trim() === '' || typeof provider.resolve !== 'function') {
      throw new TypeError('a credential provider needs a non-empty "name" and a "resolve" function');
    }
    if (provider.name === CALLER_CREDENTIALS) throw new TypeError(`"${CALLER_CREDENTIALS}" is built in and cannot be replaced`);
    this.providers.set(provider.name, provider);
    return () => {
      if (this.providers.get(provider.name) === provider) this.providers.delete(provider.name);
    };
  }

  get(name: string): CredentialProvider | undefined {
    return this.providers.get(name);
  }

  names(): string[] {
    return [CALLER_CREDENTIALS, ...this.providers.keys()];
  }
}
