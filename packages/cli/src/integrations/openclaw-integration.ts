import path from 'node:path';
import type { DesiredKey } from './apply-owned-keys';
import { ClientConfigError } from './client-config-error';
import type { ClientIntegration } from './client-integration';
import { JsonConfigText } from './json-config-edit';

/** OpenClaw provider `api` values and the base URL each expects (the SDK appends `/v1/messages`, `/responses`, …). */
const ANTHROPIC_APIS = new Set(['anthropic-messages']);
const OPENAI_APIS = new Set(['openai-responses', 'openai-completions']);

/**
 * OpenClaw keeps its model providers in `~/.openclaw/openclaw.json` (or `$OPENCLAW_CONFIG_PATH`)
 * under `models.providers.<name>`: `{ baseUrl, api, apiKey, headers, models }` (OpenClaw's
 * custom-provider reference; no config file is among the captures, which show the resulting
 * requests: `POST /v1/messages`, `/v1/responses`, `/v1/chat/completions`). TokenPak owns the
 * `baseUrl` of each entry that talks to Anthropic or OpenAI themselves (named `anthropic` /
 * `openai`, or whose `baseUrl` is api.anthropic.com / api.openai.com, or already the proxy);
 * entries for other services are not TokenPak's to redirect.
 */
export const openclawIntegration: ClientIntegration = {
  client: 'openclaw',
  title: 'OpenClaw',
  configFile: ({ env, home }) => env.OPENCLAW_CONFIG_PATH || path.join(home, '.openclaw', 'openclaw.json'),
  seed: '{}\n',
  parse: (text, file) => Promise.resolve(JsonConfigText.parse(text, file)),
  plan(config, { proxyUrl }) {
    const providers = config.get(['models', 'providers']);
    const keys: DesiredKey[] = [];
    const notes: string[] = [];
    if (providers && typeof providers === 'object' && !Array.isArray(providers)) {
      for (const [name, entry] of Object.entries(providers as Record<string, unknown>)) {
        if (!entry || typeof entry !== 'object') continue;
        const { api, baseUrl } = entry as { api?: unknown; baseUrl?: unknown };
        const host = typeof baseUrl === 'string' ? hostOf(baseUrl) : undefined;
        const ours = typeof baseUrl === 'string' && baseUrl.startsWith(proxyUrl);
        const kind = typeof api === 'string' ? api : name === 'anthropic' ? 'anthropic-messages' : name === 'openai' ? 'openai-responses' : '';
        if (ANTHROPIC_APIS.has(kind) && (name === 'anthropic' || host === 'api.anthropic.com' || ours)) {
          keys.push({ path: ['models', 'providers', name, 'baseUrl'], value: proxyUrl });
          notes.push(`provider ${name} (${kind}) → ${proxyUrl}`);
        } else if (OPENAI_APIS.has(kind) && (name === 'openai' || host === 'api.openai.com' || ours)) {
          keys.push({ path: ['models', 'providers', name, 'baseUrl'], value: `${proxyUrl}/v1` });
          notes.push(`provider ${name} (${kind}) → ${proxyUrl}/v1`);
        }
      }
    }
    if (keys.length === 0) {
      throw new ClientConfigError(
        'OpenClaw has no Anthropic or OpenAI provider entry to point at TokenPak: add one under models.providers ' +
          '(e.g. "anthropic": { "baseUrl": "https://api.anthropic.com", "api": "anthropic-messages", "models": [...] }) and run this again; left unchanged',
      );
    }
    return Promise.resolve({ keys, notes });
  },
};

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
