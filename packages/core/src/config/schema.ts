import { z } from 'zod';
import { modelPriceSchema } from './model-price-schema';

/**
 * The one config schema. Types are inferred from it, defaults live in it, and
 * `config/tokenpak.schema.json` is generated from it (`npm run schema`; a test keeps
 * the published file in sync).
 */

const port = z.number().int().min(0, 'must be 0 (any free port) or 1-65535').max(65535, 'must be at most 65535');
const url = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
/**
 * An upstream base URL. Credentials embedded in it (`http://user:password@host`) are refused:
 * TokenPak forwards the caller's own credentials and would otherwise have to choose between
 * dropping them silently and sending them to every request (the message never echoes them).
 */
const upstreamUrl = url.refine((value) => {
  try {
    const parsed = new URL(value);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return true;
  }
}, "must not contain credentials (user:password@host): remove them from the URL; TokenPak forwards the caller's own credentials");

const timeoutMs = z.number().int().min(0, 'must be 0 (no limit) or a number of milliseconds');

/** Upstream timeouts (ARCHITECTURE §7): defaults that suit LLM calls, which can think for minutes. */
const upstreamTimeoutsSchema = z
  .object({
    connectMs: timeoutMs.default(10_000).describe('Longest wait for a new upstream connection (TCP + TLS); 0 = none.'),
    headersMs: timeoutMs.default(600_000).describe('Longest wait from sending the request to the response headers; 0 = none.'),
    idleMs: timeoutMs.default(300_000).describe('Longest gap between body bytes once the response started (and while the client uploads); 0 = none.'),
  })
  .strict()
  .prefault({});

/** Why a request may move on to a fallback provider, before any response byte reached the client. */
export const FALLBACK_TRIGGERS = ['connect_error', 'timeout', 'status:429', 'status:5xx', 'unavailable'] as const;

const fallbackRuleSchema = z
  .object({
    provider: z.string().min(1).describe('The provider that serves the request instead.'),
    on: z.array(z.enum(FALLBACK_TRIGGERS)).min(1).describe('Failures that move the request to this provider.'),
  })
  .strict();

const providerSchema = z
  .object({
    upstream: upstreamUrl.optional().describe('Base URL requests for this provider are forwarded to.'),
    credentials: z.string().min(1).optional().describe('Which credential source serves this provider (e.g. caller).'),
    timeouts: upstreamTimeoutsSchema,
    fallback: z.array(fallbackRuleSchema).default([]).describe('Providers tried in order when this one fails before the response started (ARCHITECTURE §7).'),
  })
  .strict();

const builtinProvider = (upstream: string) =>
  providerSchema.extend({ upstream: upstreamUrl.default(upstream), credentials: z.string().min(1).default('caller') }).prefault({});

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Address to bind. Env: TOKENPAK_HOST.'),
        port: port.default(8766).describe('Port to bind. Env: TOKENPAK_PORT.'),
        authToken: z
          .string()
          .min(16, 'must be at least 16 characters')
          .optional()
          .describe('Shared secret clients send as x-tokenpak-auth; required for a non-loopback host. Env: TOKENPAK_AUTH_TOKEN.'),
        allowedOrigins: z.array(z.string()).default([]).describe('Browser Origins allowed to call the proxy.'),
        shutdownTimeoutMs: z.number().int().min(0).default(30000).describe('How long in-flight requests may run after SIGINT/SIGTERM.'),
      })
      .strict()
      .prefault({}),
    state: z
      .object({
        dir: z.string().min(1).default('~/.tokenpak').describe('Where TokenPak keeps its state. Env: TOKENPAK_HOME.'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Env: TOKENPAK_LOG_LEVEL.'),
        dumpHeaders: z.boolean().default(false).describe('One redacted header dump per proxied request. Env: TOKENPAK_DUMP_HEADERS=1.'),
      })
      .strict()
      .prefault({}),
    routing: z
      .object({
        maxInspectBytes: z
          .number()
          .int()
          .min(0)
          .default(8 * 1024 * 1024)
          .describe('Largest request body a body-inspecting signal may read.'),
        retryBufferBytes: z
          .number()
          .int()
          .min(0)
          .default(1024 * 1024)
          .describe('Request bodies up to this size are kept while sent, so a failed reused connection or a fallback can send them again.'),
      })
      .strict()
      .prefault({}),
    plugins: z
      .object({
        dirs: z.array(z.string().min(1)).default(['plugins']).describe('Plugin folders, relative to the config file; built-ins are always included.'),
        disabled: z.array(z.string().min(1)).default([]).describe('Plugin names (or folder names) not to load.'),
        settings: z
          .record(z.string(), z.record(z.string(), z.unknown()))
          .default({})
          .describe('plugins.settings.<name> is handed to that plugin as ctx.settings.'),
      })
      .strict()
      .prefault({}),
    providers: z
      .object({
        'tokenpak-anthropic': builtinProvider('https://api.anthropic.com'),
        'tokenpak-openai': builtinProvider('https://api.openai.com'),
        'tokenpak-claude-code': builtinProvider('https://api.anthropic.com'),
      })
      .catchall(providerSchema)
      .prefault({}),
    companion: z
      .object({
        dispatch: z.boolean().default(true).describe('Serve tokenpak-claude-code traffic through the local claude CLI. Env: TOKENPAK_COMPANION_DISPATCH=0.'),
        continue: z.boolean().default(true).describe('Continue the CLI session when no platform session is known. Env: TOKENPAK_OAUTH_NO_CONTINUE=1.'),
        command: z.string().min(1).default('claude').describe('The claude CLI to run. Env: TOKENPAK_CLAUDE_BIN.'),
        timeoutMs: z.number().int().min(1).default(300000),
        maxConcurrent: z.number().int().min(1).default(4),
        maxQueue: z.number().int().min(0).default(32),
        cwd: z.string().min(1).optional().describe('Working directory of the CLI; default <state.dir>/companion.'),
        fallbackToCaller: z
          .boolean()
          .default(true)
          .describe("When the CLI is unavailable (missing, not logged in), forward the request upstream with the caller's own credentials, if it sent any."),
        warm: z
          .object({
            max: z.number().int().min(0).default(4).describe('Conversations that keep a running CLI between turns (0: a fresh CLI per request).'),
            idleMs: z.number().int().min(1000).default(600000).describe('An idle warm CLI is ended after this long.'),
            spare: z
              .number()
              .int()
              .min(0)
              .max(1)
              .default(1)
              .describe('Keep one CLI started ahead for the next new conversation on the default model (0: off).'),
          })
          .strict()
          .prefault({}),
        tools: z.string().default('').describe('The CLI\'s own tools: "" none (it answers as a model), "default" all of them, or a list such as "Read,Grep".'),
        pingIntervalMs: z.number().int().min(100).default(15000).describe('SSE answers send event: ping this often while the CLI is silent.'),
        toolResultTimeoutMs: z
          .number()
          .int()
          .min(1)
          .default(600000)
          .describe("How long a warm session waits for the caller's tool_result after answering with tool_use; then the session ends."),
      })
      .strict()
      .prefault({}),
    ledger: z
      .object({
        enabled: z.boolean().default(true).describe('Record one row per proxied request in <state.dir>/ledger.db. Env: TOKENPAK_LEDGER=0 turns it off.'),
        retentionDays: z.number().int().min(0).default(30).describe('Rows older than this many days are deleted (0 keeps everything).'),
        flushIntervalMs: z
          .number()
          .int()
          .min(10)
          .max(60000)
          .default(200)
          .describe('Rows are written in batches at most this far apart; a crash loses at most the last batch.'),
      })
      .strict()
      .prefault({}),
    pricing: z
      .record(z.string().min(1), modelPriceSchema.nullable())
      .default({})
      .describe('Per-model prices (USD per million tokens) added to or replacing config/pricing.json; null removes a model.'),
    credentials: z
      .object({
        claudeCode: z.string().min(1).default('~/.claude/.credentials.json'),
        codex: z.string().min(1).default('~/.codex/auth.json'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** What a user may write (everything optional). */
export type TokenPakConfigInput = z.input<typeof configSchema>;
/** The validated config with every default filled in. */
export type TokenPakConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type UpstreamTimeouts = z.output<typeof upstreamTimeoutsSchema>;
export type FallbackRule = z.output<typeof fallbackRuleSchema>;
export type FallbackTrigger = (typeof FALLBACK_TRIGGERS)[number];
