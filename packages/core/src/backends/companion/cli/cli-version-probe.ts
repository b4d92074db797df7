import { spawn } from 'node:child_process';
import { inject, injectable } from 'tsyringe';
import type { ResolvedConfig } from '../../../config/load-config';
import { redactText } from '../../../log/redact';
import { TOKENS } from '../../../di-tokens';
import { companionChildEnvironment } from './child-environment';
import { INSTALL_HINT } from './cli-failures';
import { signalProcessGroup } from './process-group';

export type CliVersion = { state: 'found'; version: string } | { state: 'error'; error: string };

const PROBE_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_CHARS = 2000;

/**
 * `claude --version`, run once per container (lazily: at the first status request), so
 * `tokenpak status` can say whether the companion has a CLI to run and which.
 */
@injectable()
export class ClaudeCliProbe {
  private probe: Promise<CliVersion> | null = null;
  private known: CliVersion | null = null;

  constructor(@inject(TOKENS.Config) private readonly resolved: ResolvedConfig) {}

  get started(): boolean {
    return this.probe !== null;
  }

  /** The result so far, without starting a probe. */
  get current(): CliVersion | null {
    return this.known;
  }

  version(): Promise<CliVersion> {
    this.probe ??= this.run().then((result) => (this.known = result));
    return this.probe;
  }

  private run(): Promise<CliVersion> {
    const { command } = this.resolved.config.companion;
    return new Promise((resolve) => {
      const child = spawn(command, ['--version'], {
        env: companionChildEnvironment(process.env, { tokenpakPorts: [this.resolved.config.server.port] }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
      let output = '';
      const collect = (chunk: Buffer): void => {
        if (output.length < MAX_OUTPUT_CHARS) output += chunk.toString('utf8');
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      const timer = setTimeout(() => signalProcessGroup(child, 'SIGKILL'), PROBE_TIMEOUT_MS);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const reason = error.code === 'ENOENT' ? `"${command}" not found. ${INSTALL_HINT}` : `"${command}" could not be run: ${error.message}`;
        resolve({ state: 'error', error: reason });
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const text = redactText(output.trim()).slice(0, 200);
        if (code === 0 && text) resolve({ state: 'found', version: text.split('\n')[0]! });
        else
          resolve({ state: 'error', error: `"${command} --version" ${signal ? `was killed by ${signal}` : `exited with ${code}`}${text ? `: ${text}` : ''}` });
      });
    });
  }
}
