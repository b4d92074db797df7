import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../config/load-config';
import { TOKENS } from '../../di-tokens';
import type { ClaudeCliProbe, CliVersion } from './cli/cli-version-probe';
import type { CompanionStats } from './companion-stats';
import type { RunScheduler } from './session/run-scheduler';
import type { WarmPool, WarmPoolStatus } from './session/warm-pool';
import type { CompanionToolTurns, ToolConversationStatus } from './tools/companion-tool-turns';

export interface CompanionStatusSnapshot {
  dispatch: boolean;
  command: string;
  /** CLI processes running now. */
  inFlight: number;
  /** Requests waiting for a slot (or for their session's previous turn). */
  queued: number;
  completed: number;
  failed: number;
  aborted: number;
  rejected: number;
  lastError: string | null;
  /** `probing` while `claude --version` runs; `unknown` before anyone asked. */
  cli: CliVersion | { state: 'probing' | 'unknown' };
  /** Tool sessions (one CLI process each) and the tool calls they wait on the caller for. */
  toolSessions: ToolConversationStatus[];
  /** `companion.tools` as the CLI gets it (`--tools`): what the CLI may do on this machine. */
  tools: string;
  /** Warm sessions: keys hashed, pid, model, age/idle in ms, turns, resident memory. */
  warm: WarmPoolStatus;
}

/** How `companion.tools` reads to a person (status, start banner). */
export function describeToolPolicy(tools: string): string {
  if (tools === '') return 'none (--tools "": the CLI answers as a model and does not act on this machine)';
  if (tools === 'default') return "all of the CLI's built-in tools (--tools default: it may read, write and run commands in companion.cwd)";
  return `${tools} (--tools ${tools})`;
}

/** The `companion` section of `/tokenpak/status`. */
@injectable()
export class CompanionStatus {
  constructor(
    @inject(TOKENS.Config) private readonly resolved: ResolvedConfig,
    @inject(TOKENS.CompanionScheduler) private readonly scheduler: RunScheduler,
    @inject(TOKENS.CompanionStats) private readonly stats: CompanionStats,
    @inject(TOKENS.ClaudeCliProbe) private readonly probe: ClaudeCliProbe,
    @inject(TOKENS.CompanionWarmPool) private readonly pool: WarmPool,
    @inject(TOKENS.CompanionToolTurns) private readonly toolTurns: CompanionToolTurns,
  ) {}

  /**
   * Starts the CLI version probe (once per container) and waits for it up to
   * `maxWaitMs`, so a hanging CLI cannot hang `/tokenpak/status`.
   */
  async refresh(maxWaitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    await Promise.race([this.probe.version(), waited]);
    clearTimeout(timer);
  }

  snapshot(): CompanionStatusSnapshot {
    const { dispatch, command } = this.resolved.config.companion;
    return {
      dispatch,
      command,
      inFlight: this.scheduler.running,
      queued: this.scheduler.queued,
      completed: this.stats.completed,
      failed: this.stats.failed,
      aborted: this.stats.aborted,
      rejected: this.stats.rejected,
      lastError: this.stats.lastError,
      cli: this.probe.current ?? { state: this.probe.started ? 'probing' : 'unknown' },
      tools: this.resolved.config.companion.tools,
      warm: this.pool.status(),
      toolSessions: this.toolTurns.status(),
    };
  }
}
