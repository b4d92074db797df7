import path from 'node:path';
import { shownPath } from '../home-dir';
import type { ClientIntegration } from './client-integration';
import { readCodexLogin } from './codex-login';
import { TomlConfigText } from './toml-config-edit';

const PROVIDER = ['model_providers', 'tokenpak'];

/**
 * Codex reads `~/.codex/config.toml` (or `$CODEX_HOME/config.toml`). TokenPak owns
 * `model_provider = "tokenpak"` and the `[model_providers.tokenpak]` keys, in one of two modes
 * (shapes from captures/codex/01-…config.toml and 08-…config.toml):
 * * ChatGPT login (auth.json holds one): `base_url = "<proxy>/backend-api/codex"`,
 *   `requires_openai_auth = true`, and top-level `chatgpt_base_url = "<proxy>/backend-api/"`;
 * * API key: `base_url = "<proxy>/v1"`, `env_key = "OPENAI_API_KEY"` (→ provider tokenpak-openai).
 */
export const codexIntegration: ClientIntegration = {
  client: 'codex',
  title: 'Codex',
  configFile: ({ env, home }) => path.join(env.CODEX_HOME || path.join(home, '.codex'), 'config.toml'),
  seed: '',
  parse: (text, file) => TomlConfigText.parse(text, file),
  async plan(_config, { proxyUrl, codexAuthFile, env }) {
    const login = await readCodexLogin(codexAuthFile);
    const common = [
      { path: ['model_provider'], value: 'tokenpak' },
      { path: [...PROVIDER, 'name'], value: 'TokenPak' },
      { path: [...PROVIDER, 'wire_api'], value: 'responses' },
    ];
    if (login.kind === 'chatgpt') {
      return {
        keys: [
          ...common,
          { path: [...PROVIDER, 'base_url'], value: `${proxyUrl}/backend-api/codex` },
          { path: [...PROVIDER, 'requires_openai_auth'], value: true },
          { path: [...PROVIDER, 'env_key'], value: undefined },
          { path: ['chatgpt_base_url'], value: `${proxyUrl}/backend-api/` },
        ],
        notes: [`mode: ChatGPT login (found in ${shownPath(codexAuthFile, env)}): Codex keeps using your ChatGPT login, through TokenPak`],
      };
    }
    return {
      keys: [
        ...common,
        { path: [...PROVIDER, 'base_url'], value: `${proxyUrl}/v1` },
        { path: [...PROVIDER, 'env_key'], value: 'OPENAI_API_KEY' },
        { path: [...PROVIDER, 'requires_openai_auth'], value: undefined },
      ],
      notes: [
        `mode: API key (${login.kind === 'api-key' ? `${shownPath(codexAuthFile, env)} holds an API key, not a ChatGPT login` : `no ChatGPT login: ${login.reason}`}): ` +
          'Codex sends $OPENAI_API_KEY to TokenPak, which forwards it to the OpenAI API',
      ],
    };
  },
};
