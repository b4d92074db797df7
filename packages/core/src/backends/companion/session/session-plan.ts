import { extendHash, systemHash } from './conversation-fingerprint';
import type { CompanionRequest, ConversationMessage } from '../messages/messages-request';
import { renderNewTurns, renderWholeConversation, type RenderedPrompt } from '../messages/render-conversation';
import type { CompanionSessionEntry } from './session-store';

/**
 * Which CLI session a request runs in, and what it must be told. The rule: the CLI is
 * never sent what its session already holds, and never misses what it does not.
 *
 * | situation                                          | CLI session        | stdin                         |
 * |----------------------------------------------------|--------------------|-------------------------------|
 * | platform session, request extends what was sent    | `--resume <id>`    | only the new turns            |
 * | platform session, new or history rewritten         | fresh              | system prompt + every turn    |
 * | no platform session, `companion.continue` on       | `--continue`       | turns after the last reply    |
 * | no platform session, `companion.continue` off      | fresh              | system prompt + every turn    |
 */
export type SessionMode = 'fresh' | 'continue' | 'resume';

export interface SessionPlan {
  mode: SessionMode;
  /** For `resume`: the CLI session id. */
  resumeId: string | null;
  prompt: RenderedPrompt;
  /** Why this plan (debug log). */
  reason: string;
}

export interface PlanContext {
  /** True when the platform supplied a session id. */
  platformSession: boolean;
  continueEnabled: boolean;
  /** What is remembered for the platform session, if anything. */
  entry: CompanionSessionEntry | undefined;
  /** `prefixHashes(request.messages)`. */
  hashes: readonly string[];
}

export function freshPlan(request: CompanionRequest, reason: string): SessionPlan {
  return { mode: 'fresh', resumeId: null, prompt: renderWholeConversation(request.system, request.messages), reason };
}

function lastAssistantIndex(messages: readonly ConversationMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'assistant') return i;
  return -1;
}

export function planSession(request: CompanionRequest, context: PlanContext): SessionPlan {
  if (context.platformSession) {
    const { entry } = context;
    if (!entry) return freshPlan(request, 'platform session seen for the first time');
    const extendsPrefix = entry.deliveredCount < request.messages.length && context.hashes[entry.deliveredCount] === entry.deliveredHash;
    if (!extendsPrefix) return freshPlan(request, 'the conversation does not extend what the CLI session holds (edited or compacted history)');
    const changedSystem = systemHash(request.system) === entry.systemHash ? null : request.system;
    return {
      mode: 'resume',
      resumeId: entry.cliSessionId,
      prompt: renderNewTurns(request.messages.slice(entry.deliveredCount), changedSystem),
      reason: `resuming: ${request.messages.length - entry.deliveredCount} new message(s)${changedSystem ? ', system prompt changed' : ''}`,
    };
  }
  if (!context.continueEnabled) return freshPlan(request, 'no platform session; companion.continue is off');
  const last = lastAssistantIndex(request.messages);
  // A conversation with no reply yet is new: the continued session cannot hold its system prompt.
  const prompt = last === -1 ? renderWholeConversation(request.system, request.messages) : renderNewTurns(request.messages.slice(last + 1), null);
  return { mode: 'continue', resumeId: null, prompt, reason: 'no platform session; continuing the latest CLI session' };
}

/** The entry to remember once the CLI answered `answer` to `request` in session `cliSessionId`. */
export function entryAfterAnswer(
  request: CompanionRequest,
  hashes: readonly string[],
  cliSessionId: string,
  answer: ConversationMessage,
  now = Date.now(),
): CompanionSessionEntry {
  const count = request.messages.length;
  return {
    cliSessionId,
    deliveredCount: count + 1,
    deliveredHash: extendHash(hashes[count]!, answer),
    systemHash: systemHash(request.system),
    updatedAt: now,
  };
}
