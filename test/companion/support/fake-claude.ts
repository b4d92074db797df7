import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES_DIR } from '../../support/captures';
import { makeTempDir } from '../../support/temp-dir';
import { FAKE_CLAUDE_MCP_SOURCE } from './fake-claude-mcp';
import { FAKE_CLAUDE_SOURCE } from './fake-claude-script';
import { isProcessAlive, waitFor } from './process-table';

/** What the fake should do on its next runs (see fake-claude-script.ts). */
export interface FakeClaudeControl {
  text?: string;
  chunks?: string[];
  usage?: Partial<Record<'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens', number>>;
  model?: string;
  sleepMs?: number;
  streamDelayMs?: number;
  holdAfterMs?: number;
  hang?: boolean;
  ignoreSigterm?: boolean;
  grandchild?: boolean;
  exitCode?: number;
  stderr?: string;
  garbage?: string;
  notLoggedIn?: boolean;
  apiError?: { status: number; message: string };
  failAfterStreamStart?: boolean;
  toolLoop?: boolean;
  continueWithoutSession?: 'error';
  compactJson?: boolean;
  startupMs?: number;
  exitAfterTurns?: number;
  mcp?: FakeMcpControl;
}

/** One scripted model call in MCP mode: tool calls (names as listed by TokenPak's MCP server), or text. */
export interface FakeMcpStep {
  tools?: Array<{ name: string; input?: unknown }>;
  /** Text before the tool_use blocks. */
  say?: string;
  /** Call the tools concurrently (as the CLI does for readOnlyHint tools). */
  parallel?: boolean;
  /** The answer text; default `results:<JSON of every MCP result this turn>`. */
  text?: string;
}

export interface FakeMcpControl {
  /** Per user line: its model calls in order (the last turn repeats). */
  turns: FakeMcpStep[][];
  /** Send 2.1.332's `server/discover` request first. */
  discover?: boolean;
  usage?: Partial<Record<'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens', number>>;
}

/** One recorded run of the fake. */
export interface FakeRun {
  pid: number;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Epoch ms at process start / just before exit (null while running or when killed). */
  start: number;
  end: number | null;
  stdin: string | null;
  exitCode: number | null;
  sessionId: string | null;
  grandchildPid: number | null;
  /** Streaming input: each stdin line as it arrived (epoch ms) and when its answer was complete. */
  lines: Array<{ at: number; line: string; answeredAt: number | null }>;
  /** MCP mode: every MCP message (`out`: sent by the fake CLI, `in`: TokenPak's answers). */
  mcp?: Array<{ dir: 'in' | 'out'; message: Record<string, unknown>; at: number }>;
  /** MCP mode: the user lines received. */
  userLines?: Array<Record<string, unknown>>;
  /** MCP mode: the tools/list TokenPak answered. */
  toolsList?: Array<Record<string, unknown>> | null;
}

export interface FakeClaude {
  dir: string;
  /** The executable to configure as `companion.command`. */
  command: string;
  setControl(control: FakeClaudeControl): void;
  /** Every model run so far (not `--version` probes), oldest first. */
  runs(): FakeRun[];
  /**
   * Waits for runs still finishing (a run writes its record once more as it exits,
   * which can be after its answer reached the client; a warm run once it answered its
   * lines), then forgets all recorded runs (not the CLI sessions; a warm process that
   * stays up is forgotten too, and its later turns are not recorded anew).
   */
  clearRuns(): Promise<void>;
  /** Forgets the CLI's sessions (as if its session files were removed). */
  clearSessions(): void;
  cleanup(): void;
}

const CLAUDE_CAPTURES = path.join(CAPTURES_DIR, 'claude-code');

function captureLines(name: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(CLAUDE_CAPTURES, name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function captureJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(CLAUDE_CAPTURES, name), 'utf8')) as Record<string, unknown>;
}

/** The real CLI's records, from the captures, that the fake fills in. */
export function captureTemplates(): Record<string, unknown> {
  const streamJson = captureLines('02-print-stream-json.stdout');
  const partial = captureLines('03-print-stream-json-partial.stdout');
  const events: Record<string, unknown> = {};
  for (const line of partial) {
    const event = line.event as { type: string } | undefined;
    if (line.type === 'stream_event' && event && !(event.type in events)) events[event.type] = event;
  }
  return {
    result: captureJson('01-print-json.stdout'),
    init: streamJson.find((line) => line.type === 'system' && line.subtype === 'init'),
    assistant: streamJson.find((line) => line.type === 'assistant'),
    status: partial.find((line) => line.type === 'system' && line.subtype === 'status'),
    events,
    noAuth: captureJson('18-no-auth.stdout'),
    upstreamError: captureJson('21-upstream-400-json.stdout'),
  };
}

/** Recorded runs, oldest first; `claude --version` (the status probe) is not a model run unless asked for. */
function readRuns(runsDir: string, withProbes: boolean): FakeRun[] {
  return readdirSync(runsDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      try {
        return JSON.parse(readFileSync(path.join(runsDir, file), 'utf8')) as FakeRun;
      } catch {
        return null;
      }
    })
    .filter((run): run is FakeRun => run !== null && (withProbes || !run.argv.includes('--version')))
    .sort((a, b) => a.start - b.start || a.pid - b.pid);
}

/** Writes the fake `claude` into a fresh temp folder. */
export function createFakeClaude(): FakeClaude {
  const temp = makeTempDir('tokenpak-fake-claude-');
  const command = path.join(temp.dir, 'claude');
  const runsDir = path.join(temp.dir, 'runs');
  const sessionsDir = path.join(temp.dir, 'sessions');
  mkdirSync(runsDir);
  writeFileSync(path.join(temp.dir, 'templates.json'), JSON.stringify(captureTemplates()));
  writeFileSync(command, `#!${process.execPath}\n${FAKE_CLAUDE_SOURCE}`);
  writeFileSync(path.join(temp.dir, 'fake-claude-mcp.js'), FAKE_CLAUDE_MCP_SOURCE);
  chmodSync(command, 0o755);
  const controlFile = path.join(temp.dir, 'control.json');
  writeFileSync(controlFile, '{}');
  return {
    dir: temp.dir,
    command,
    setControl: (control) => writeFileSync(controlFile, JSON.stringify(control)),
    runs: () => readRuns(runsDir, false),
    clearRuns: async () => {
      // A warm (streaming-input) run that answered every line is idle, not finishing.
      const settled = (run: FakeRun): boolean =>
        run.end !== null || !isProcessAlive(run.pid) || (run.lines?.length > 0 && run.lines.every((line) => line.answeredAt !== null));
      await waitFor(() => readRuns(runsDir, true).every(settled), 5000, 'fake runs to finish');
      for (const file of readdirSync(runsDir)) rmSync(path.join(runsDir, file), { force: true });
    },
    clearSessions: () => {
      if (existsSync(sessionsDir)) rmSync(sessionsDir, { recursive: true, force: true });
    },
    cleanup: () => temp.cleanup(),
  };
}

/** The value after `flag` in argv, if present. */
export function argValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at === -1 ? undefined : argv[at + 1];
}

/** Largest number of runs alive at the same moment (from recorded start/end times). */
export function maxOverlap(runs: readonly FakeRun[]): number {
  const edges = runs.flatMap((run) => [
    { at: run.start, delta: 1 },
    { at: run.end ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // An end and a start at the same millisecond: the end first (the slot was released before the next spawn).
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let live = 0;
  let max = 0;
  for (const edge of edges) {
    live += edge.delta;
    max = Math.max(max, live);
  }
  return max;
}
