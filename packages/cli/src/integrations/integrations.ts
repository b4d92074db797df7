import { claudeCodeIntegration } from './claude-code-integration';
import type { ClientIntegration, IntegrationClient } from './client-integration';
import { codexIntegration } from './codex-integration';
import { openclawIntegration } from './openclaw-integration';

/** Every client `tokenpak integrate` can point at TokenPak, by name. */
export const INTEGRATIONS: Readonly<Record<IntegrationClient, ClientIntegration>> = {
  'claude-code': claudeCodeIntegration,
  codex: codexIntegration,
  openclaw: openclawIntegration,
};
