import { redactText } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `scope` (e.g. a plugin's folder name). */
  child(scope: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

/**
 * Line-oriented logger. Every line passes through `redactText`, so a secret that
 * slipped into a message or a field is still masked on the way out.
 */
export function createLogger(level: LogLevel, sink: LogSink = process.stderr, scope?: string): Logger {
  const threshold = LEVEL_RANK[level];
  const emit = (lineLevel: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_RANK[lineLevel] < threshold) return;
    const prefix = scope ? `[${scope}] ` : '';
    const suffix = fields && Object.keys(fields).length > 0 ? ` ${formatFields(fields)}` : '';
    sink.write(redactText(`tokenpak ${lineLevel.padEnd(5)} ${prefix}${message}${suffix}`) + '\n');
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (childScope) => createLogger(level, sink, scope ? `${scope}/${childScope}` : childScope),
  };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
