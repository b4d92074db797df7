import path from 'node:path';
import type { ClientIntegration } from './client-integration';
import { JsonConfigText } from './json-config-edit';

/**
 * Claude Code reads `env` from `~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`)
 * into every session; TokenPak owns `env.ANTHROPIC_BASE_URL` there. The CLI then sends
 * `HEAD /` and `POST /v1/messages?beta=true` to the proxy (captures/claude-code).
 */
export const claudeCodeIntegration: ClientIntegration = {
  client: 'claude-code',
  title: 'Claude Code',
  configFile: ({ env, home }) => path.join(env.CLAUDE_CONFIG_DIR || path.join(home, '.claude'), 'settings.json'),
  seed: '{}\n',
  parse: (text, file) => Promise.resolve(JsonConfigText.parse(text, file)),
  plan: (_config, { proxyUrl, env }) =>
    Promise.resolve({
      keys: [{ path: ['env', 'ANTHROPIC_BASE_URL'], value: proxyUrl }],
      notes:
        env.ANTHROPIC_BASE_URL && env.ANTHROPIC_BASE_URL !== proxyUrl
          ? [`ANTHROPIC_BASE_URL=${env.ANTHROPIC_BASE_URL} is set in this shell; unset it so Claude Code uses the settings file`]
          : [],
    }),
};
