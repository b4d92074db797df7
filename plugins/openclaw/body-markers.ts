/**
 * Where OpenClaw's identifying text sits in each API's request body (from the captures):
 *  - Messages: `system` (string or text blocks), first block first;
 *  - Chat Completions: `messages[0]` with role `system`/`developer` (string or parts);
 *  - Responses: `instructions`, or `input[0]` with role `system`/`developer`.
 * The `Runtime: … sessionId=<id> …` line is in a system block or, for Chat Completions,
 * in the user message.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const SYSTEM_ROLES = new Set(['system', 'developer']);
const RUNTIME_SESSION = /^Runtime:.*?\bsessionId=([A-Za-z0-9._:-]{1,128})/m;

/** Text of a content value: a string, or the text parts of a block array, in order. */
function texts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content
    .filter(isObject)
    .map((part) => part.text)
    .filter((text): text is string => typeof text === 'string');
}

function systemTexts(body: Json): string[] {
  if (body.system !== undefined) return texts(body.system);
  if (typeof body.instructions === 'string') return [body.instructions];
  const turns = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  return turns.filter((turn): turn is Json => isObject(turn) && SYSTEM_ROLES.has(String(turn.role))).flatMap((turn) => texts(turn.content));
}

export function findFirstSystemText(body: unknown): string | null {
  return isObject(body) ? (systemTexts(body)[0] ?? null) : null;
}

export function findRuntimeSessionId(body: unknown): string | null {
  if (!isObject(body)) return null;
  const turns = Array.isArray(body.messages) ? body.messages : Array.isArray(body.input) ? body.input : [];
  const candidates = [...systemTexts(body), ...turns.filter(isObject).flatMap((turn) => texts(turn.content))];
  for (const text of candidates) {
    const match = RUNTIME_SESSION.exec(text);
    if (match) return match[1]!;
  }
  return null;
}
