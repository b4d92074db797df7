import { createHash } from 'node:crypto';
import type { ContentBlock, ConversationMessage } from '../messages/messages-request';

/**
 * Fingerprints of a conversation prefix, so TokenPak can tell whether a request extends
 * what a CLI session already holds without storing the conversation itself.
 *
 * A chained hash: H0 = seed, Hi = sha256(H(i-1) ‖ canonical(message i)). The canonical
 * form ignores what a client may legitimately reshape when it echoes a turn back (string
 * vs. one text block, surrounding whitespace, cache_control, earlier thinking) and keeps
 * everything that changes meaning.
 */

const SEED = 'tokenpak-companion-prefix-v1';
const BLOCK_SEPARATOR = '\u0001';
const FIELD_SEPARATOR = '\u0000';

function canonicalBlock(block: ContentBlock): string | null {
  switch (block.type) {
    case 'text': {
      const text = block.text.trim();
      return text.length > 0 ? `t${FIELD_SEPARATOR}${text}` : null;
    }
    case 'image':
    case 'document':
      return `m${FIELD_SEPARATOR}${block.type}${FIELD_SEPARATOR}${createHash('sha256').update(JSON.stringify(block.source)).digest('base64')}`;
    case 'tool_use':
      return `u${FIELD_SEPARATOR}${block.id}${FIELD_SEPARATOR}${block.name}${FIELD_SEPARATOR}${JSON.stringify(block.input)}`;
    case 'tool_result': {
      const inner = block.content.map((item) => canonicalBlock(item) ?? '').join(BLOCK_SEPARATOR);
      return `r${FIELD_SEPARATOR}${block.tool_use_id}${FIELD_SEPARATOR}${block.is_error ? 1 : 0}${FIELD_SEPARATOR}${inner}`;
    }
    case 'thinking':
    case 'redacted_thinking':
      return null;
  }
}

function canonicalMessage(message: ConversationMessage): string {
  const blocks: string[] = [];
  for (const block of message.content) {
    const canonical = canonicalBlock(block);
    if (canonical !== null) blocks.push(canonical);
  }
  return `${message.role}${FIELD_SEPARATOR}${blocks.join(BLOCK_SEPARATOR)}`;
}

export function seedHash(): string {
  return createHash('sha256').update(SEED).digest('hex');
}

export function extendHash(previous: string, message: ConversationMessage): string {
  return createHash('sha256').update(previous).update(FIELD_SEPARATOR).update(canonicalMessage(message)).digest('hex');
}

/** `[H0, H1, …, Hn]` for `messages` (n = messages.length). */
export function prefixHashes(messages: readonly ConversationMessage[]): string[] {
  const hashes = [seedHash()];
  for (const message of messages) hashes.push(extendHash(hashes[hashes.length - 1]!, message));
  return hashes;
}

/** Hash of the system prompt ('' for none), to notice when an agent changes it mid-session. */
export function systemHash(system: string | null): string {
  return createHash('sha256')
    .update(system ?? '')
    .digest('hex');
}
