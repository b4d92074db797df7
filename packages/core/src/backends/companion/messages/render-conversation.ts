import type { ContentBlock, ConversationMessage, MediaBlock, TextBlock } from './messages-request';

/**
 * Turns an API conversation into the one user message the CLI receives on stdin.
 *
 * The CLI's input semantics decide the shape: every stream-json input line is a separate
 * model call, so a prior conversation cannot be replayed turn by turn. It is rendered
 * into a single message instead: the system prompt and the turns up to the last
 * assistant reply in tagged sections, then the newest user turn(s) as the message body.
 */

export type PromptPart = TextBlock | MediaBlock;

export interface RenderedPrompt {
  /** Text and media in order; adjacent text is merged. */
  parts: PromptPart[];
  /** True when some part is an image or document (needs `--input-format stream-json`). */
  hasMedia: boolean;
}

const PREFACE = 'The system prompt and the conversation so far are below. Reply to the final user message as the assistant.';

class PartsBuilder {
  private readonly parts: PromptPart[] = [];
  private text = '';
  private media = false;

  addText(text: string): void {
    this.text += text;
  }

  addMedia(block: MediaBlock): void {
    this.flush();
    this.parts.push(block);
    this.media = true;
  }

  build(): RenderedPrompt {
    this.flush();
    return { parts: this.parts, hasMedia: this.media };
  }

  private flush(): void {
    // Separators alone (between two images) are not content, and the API rejects whitespace-only text blocks.
    if (this.text.trim().length > 0) this.parts.push({ type: 'text', text: this.text });
    this.text = '';
  }
}

function attribute(value: string): string {
  return value.replace(/[&"<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** One block into the builder; blocks of a turn are separated by blank lines. */
function addBlock(out: PartsBuilder, block: ContentBlock): boolean {
  switch (block.type) {
    case 'text':
      out.addText(block.text);
      return true;
    case 'image':
    case 'document':
      out.addMedia(block);
      return true;
    case 'tool_use':
      out.addText(`<tool_use id="${attribute(block.id)}" name="${attribute(block.name)}">\n${JSON.stringify(block.input)}\n</tool_use>`);
      return true;
    case 'tool_result':
      out.addText(`<tool_result tool_use_id="${attribute(block.tool_use_id)}"${block.is_error ? ' is_error="true"' : ''}>\n`);
      block.content.forEach((item, index) => {
        if (index > 0 && item.type === 'text') out.addText('\n');
        if (item.type === 'text') out.addText(item.text);
        else out.addMedia(item);
      });
      out.addText('\n</tool_result>');
      return true;
    case 'thinking':
    case 'redacted_thinking':
      // Earlier turns' reasoning: the Messages API does not feed it back to the model either.
      return false;
  }
}

function addTurnContent(out: PartsBuilder, message: ConversationMessage): void {
  let first = true;
  for (const block of message.content) {
    if (!first && block.type !== 'thinking' && block.type !== 'redacted_thinking') out.addText('\n\n');
    if (addBlock(out, block)) first = false;
  }
}

function lastAssistantIndex(turns: readonly ConversationMessage[]): number {
  for (let i = turns.length - 1; i >= 0; i--) if (turns[i]!.role === 'assistant') return i;
  return -1;
}

/**
 * Renders `turns` with an optional system prompt. With neither a system prompt nor any
 * earlier assistant turn, the message is just the user's content, unwrapped.
 */
function render(system: { label: string; text: string } | null, turns: readonly ConversationMessage[]): RenderedPrompt {
  const out = new PartsBuilder();
  const split = lastAssistantIndex(turns) + 1;
  const history = turns.slice(0, split);
  const latest = turns.slice(split);
  if (system || history.length > 0) {
    out.addText(`${PREFACE}\n\n`);
    if (system) out.addText(`<${system.label}>\n${system.text}\n</${system.label}>\n\n`);
    if (history.length > 0) {
      out.addText('<conversation_history>\n');
      for (const turn of history) {
        out.addText(`<turn role="${turn.role}">\n`);
        addTurnContent(out, turn);
        out.addText('\n</turn>\n');
      }
      out.addText('</conversation_history>\n\n');
    }
  }
  latest.forEach((turn, index) => {
    if (index > 0) out.addText('\n\n');
    addTurnContent(out, turn);
  });
  return out.build();
}

/** A fresh CLI session: the system prompt and every turn. */
export function renderWholeConversation(system: string | null, messages: readonly ConversationMessage[]): RenderedPrompt {
  return render(system ? { label: 'system_prompt', text: system } : null, messages);
}

/**
 * A resumed CLI session: only what it has not seen. `changedSystem` is the request's
 * system prompt when it differs from the one the session was given.
 */
export function renderNewTurns(newTurns: readonly ConversationMessage[], changedSystem: string | null): RenderedPrompt {
  return render(changedSystem ? { label: 'system_prompt_update', text: changedSystem } : null, newTurns);
}

export interface PromptInput {
  inputFormat: 'text' | 'stream-json';
  bytes: Buffer;
}

/**
 * What goes on the CLI's stdin. Text-only prompts are plain text (the CLI's default
 * input); prompts with images or documents are one stream-json user line, the only
 * input that carries content blocks.
 */
export function promptInput(prompt: RenderedPrompt): PromptInput {
  if (!prompt.hasMedia) {
    return { inputFormat: 'text', bytes: Buffer.from(prompt.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''), 'utf8') };
  }
  const line = { type: 'user', message: { role: 'user', content: prompt.parts }, parent_tool_use_id: null, session_id: '' };
  return { inputFormat: 'stream-json', bytes: Buffer.from(`${JSON.stringify(line)}\n`, 'utf8') };
}

/**
 * One user turn as a stream-json input line (without the newline), the shape of
 * test/fixtures/captures/claude-code/05-input-stream-json-2turns-partial.stdin.txt.
 */
export function userTurnLine(prompt: RenderedPrompt): string {
  return JSON.stringify({ type: 'user', message: { role: 'user', content: prompt.parts }, parent_tool_use_id: null, session_id: '' });
}
