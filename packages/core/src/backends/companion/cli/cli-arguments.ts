import type { SessionMode } from '../session/session-plan';

export type OutputFormat = 'json' | 'stream-json';

export interface CliInvocationOptions {
  /** The client asked for SSE. */
  stream: boolean;
  /** The prompt carries images/documents: stdin is a stream-json user line. */
  streamJsonInput: boolean;
  model: string | null;
  session: { mode: SessionMode; resumeId: string | null };
  /** `companion.tools`: the CLI's own tools (`""` none, `"default"` all, or a comma list). */
  tools: string;
}

export interface CliInvocation {
  args: string[];
  outputFormat: OutputFormat;
}

/**
 * The CLI's argv. Nothing from the request body goes here but the (validated) model
 * name; the prompt travels on stdin.
 *
 * Real-CLI constraints (see the captures and fixtures README): `stream-json` output in
 * `--print` mode requires `--verbose`; `--include-partial-messages` is what produces the
 * raw API events that become SSE; `--input-format stream-json` requires `stream-json`
 * output, so a non-streaming request with media reads the result record from NDJSON.
 */
export function buildCliInvocation(options: CliInvocationOptions): CliInvocation {
  const outputFormat: OutputFormat = options.stream || options.streamJsonInput ? 'stream-json' : 'json';
  const args = ['--print', '--output-format', outputFormat];
  if (outputFormat === 'stream-json') args.push('--verbose');
  if (options.stream) args.push('--include-partial-messages');
  if (options.streamJsonInput) args.push('--input-format', 'stream-json');
  if (options.model) args.push('--model', options.model);
  if (options.session.mode === 'continue') args.push('--continue');
  if (options.session.mode === 'resume' && options.session.resumeId) args.push('--resume', options.session.resumeId);
  args.push('--tools', options.tools);
  return { args, outputFormat };
}

export interface WarmInvocationOptions {
  /** null: the CLI's default model (the only kind a spare process can serve). */
  model: string | null;
  session: { mode: SessionMode; resumeId: string | null };
  tools: string;
  /** More argv for this session (a tools layer's `--mcp-config`, `--strict-mcp-config`, `--allowedTools`). */
  extraArgs?: readonly string[];
}

/**
 * The argv of a warm process (ARCHITECTURE §2.6.1): streaming input and output, raw API
 * events included, so one process serves streaming and JSON requests alike. Argv as in
 * the capture claude-code-mcp/197-warm-1/argv.json.
 */
export function buildWarmArguments(options: WarmInvocationOptions): string[] {
  const args = ['--print', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];
  if (options.model) args.push('--model', options.model);
  if (options.session.mode === 'continue') args.push('--continue');
  if (options.session.mode === 'resume' && options.session.resumeId) args.push('--resume', options.session.resumeId);
  args.push('--tools', options.tools);
  if (options.extraArgs) args.push(...options.extraArgs);
  return args;
}
