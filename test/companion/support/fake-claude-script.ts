/**
 * The source of the fake `claude` executable (plain CommonJS, run by node through a
 * shebang). Output records are the real CLI's, from the captures, with only the
 * per-run fields (text, session id, usage, model, uuids, timings) filled in.
 *
 * Flags it understands, as the real CLI (2.1.197) does: -p/--print, --output-format
 * text|json|stream-json, --input-format text|stream-json, --verbose,
 * --include-partial-messages, --model, -c/--continue, -r/--resume <id>, -v/--version,
 * --system-prompt, --append-system-prompt. Unknown options fail like the real CLI.
 * Real-CLI rules enforced: stream-json output in print mode needs --verbose; stream-json
 * input needs stream-json output; --include-partial-messages needs stream-json output;
 * a regular-file stdin prints nothing and exits 0; each stream-json input line is its
 * own model call (its own init…result group); --resume of an unknown id fails with
 * "No conversation found with session ID: <id>".
 *
 * Behaviour switches (control.json beside the script, read at start):
 *   text, chunks, usage, model    what to answer
 *   sleepMs                       wait before answering
 *   streamDelayMs                 wait between stream-json lines
 *   holdAfterMs                   stay alive after the last output
 *   hang                          never answer (until killed)
 *   ignoreSigterm                 survive SIGTERM (only SIGKILL works)
 *   grandchild                    start a long-lived `sleep` in its process group
 *   exitCode, stderr              fail with this status and stderr
 *   garbage                       print this instead of records (exit 0 unless exitCode)
 *   notLoggedIn                   the not-logged-in result (capture 18), exit 1
 *   apiError {status, message}    an upstream error result (capture 21), exit 1
 *   failAfterStreamStart          stream a delta, then die with stderr (exit 1)
 *   toolLoop                      two model calls: a Bash tool_use, then the answer
 *   continueWithoutSession        'error': --continue with no session fails like --resume
 *   compactJson                   print the json result on one line
 *   startupMs                     boot time before the first input is read (the real CLI: ~1.5 s)
 *   exitAfterTurns                streaming input: exit 0 after this many turns (a CLI that quit between turns)
 * Streaming input (--input-format stream-json), as captures 04/05 and claude-code-mcp/*-warm-1 show:
 * stdin stays open, each user line is answered as it arrives (its own init…result group,
 * one session id for the process), control.json is re-read per turn, and the process
 * exits when stdin closes. A `control_request` line gets a success `control_response`.
 * Every run records argv, stdin, env, cwd, pid, start/end times and (streaming input)
 * each input line with its arrival and answer times to runs/<start>-<pid>.json.
 * MCP client mode for the caller's tools (control `mcp`, streaming input): fake-claude-mcp.ts.
 */
export const FAKE_CLAUDE_SOURCE = String.raw`
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const childProcess = require('child_process');

const HERE = __dirname;
const T = JSON.parse(fs.readFileSync(path.join(HERE, 'templates.json'), 'utf8'));
const startedAt = Date.now();
let control = readJson(path.join(HERE, 'control.json')) || {};
const argv = process.argv.slice(2);
const runFile = path.join(HERE, 'runs', startedAt + '-' + process.pid + '.json');
const record = { pid: process.pid, argv, cwd: process.cwd(), env: process.env, start: startedAt, end: null, stdin: null, exitCode: null, sessionId: null, grandchildPid: null, lines: [] };

function readJson(file) { try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return null; } }
function save() { fs.writeFileSync(runFile + '.tmp', JSON.stringify(record)); fs.renameSync(runFile + '.tmp', runFile); }
function finish(code) { record.end = Date.now(); record.exitCode = code; save(); process.exit(code); }
function fail(message, code) { process.stderr.write(message + '\n'); finish(code === undefined ? 1 : code); }
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clone = (value) => JSON.parse(JSON.stringify(value));
const uuid = () => crypto.randomUUID();
const hex = (n) => crypto.randomBytes(n).toString('hex');

async function main() {
  save();
  const opts = { print: false, outputFormat: 'text', inputFormat: 'text', verbose: false, partial: false, model: null, cont: false, resume: null, version: false, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '-p': case '--print': opts.print = true; break;
      case '--output-format': opts.outputFormat = argv[++i]; break;
      case '--input-format': opts.inputFormat = argv[++i]; break;
      case '--verbose': opts.verbose = true; break;
      case '--include-partial-messages': opts.partial = true; break;
      case '--model': opts.model = argv[++i]; break;
      case '-c': case '--continue': opts.cont = true; break;
      case '-r': case '--resume': opts.resume = argv[++i]; break;
      case '-v': case '--version': opts.version = true; break;
      case '--system-prompt': case '--append-system-prompt': ++i; break;
      case '--tools': case '--allowedTools': case '--mcp-config': opts[arg.slice(2)] = argv[++i]; break;
      case '--strict-mcp-config': opts.strictMcpConfig = true; break;
      default:
        if (arg.startsWith('-')) return fail("error: unknown option '" + arg + "'");
        opts.positional.push(arg);
    }
  }
  if (opts.version) { process.stdout.write('2.1.197 (Claude Code)\n'); return finish(0); }
  if (!opts.print) return fail('fake claude: interactive mode is not supported', 2);
  if (!['text', 'json', 'stream-json'].includes(opts.outputFormat)) return fail('error: option --output-format has an invalid value');
  if (opts.outputFormat === 'stream-json' && !opts.verbose) return fail('Error: When using --print, --output-format=stream-json requires --verbose');
  if (opts.inputFormat === 'stream-json' && opts.outputFormat !== 'stream-json') return fail('Error: --input-format=stream-json requires output-format=stream-json.');
  if (opts.partial && opts.outputFormat !== 'stream-json') return fail('Error: --include-partial-messages requires --print and --output-format=stream-json');
  if (opts.cont && opts.resume) return fail('Error: --continue and --resume cannot be used together');

  // Tool mode (in-band MCP, streaming input): fake-claude-mcp.ts.
  if (control.mcp && opts.inputFormat === 'stream-json' && opts.strictMcpConfig) return require('./fake-claude-mcp.js')({ control, record, save, finish, T, opts });

  // The real CLI reads nothing from a regular-file stdin and answers nothing.
  if (fs.fstatSync(0).isFile()) return finish(0);
  if (control.startupMs) await sleep(control.startupMs);
  const streaming = opts.inputFormat === 'stream-json';
  const stdin = streaming ? '' : await new Promise((resolve) => { const chunks = []; process.stdin.on('data', (c) => chunks.push(c)); process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))); });
  record.stdin = stdin;

  const sessionsDir = path.join(HERE, 'sessions');
  const latestFile = path.join(sessionsDir, 'latest');
  let sessionId;
  if (opts.resume) {
    if (!fs.existsSync(path.join(sessionsDir, opts.resume + '.json'))) return fail('No conversation found with session ID: ' + opts.resume);
    sessionId = opts.resume;
  } else if (opts.cont && fs.existsSync(latestFile)) {
    sessionId = fs.readFileSync(latestFile, 'utf8').trim();
  } else if (opts.cont && control.continueWithoutSession === 'error') {
    return fail('No conversation found to continue');
  } else {
    sessionId = uuid();
  }
  record.sessionId = sessionId;

  if (control.ignoreSigterm) process.on('SIGTERM', () => {});
  if (control.grandchild) {
    const child = childProcess.spawn('sleep', ['600'], { stdio: 'ignore' });
    record.grandchildPid = child.pid;
  }
  save();

  const sessionFile = path.join(sessionsDir, sessionId + '.json');
  const history = readJson(sessionFile) || [];
  const out = (value) => process.stdout.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n');
  const pause = () => (control.streamDelayMs ? sleep(control.streamDelayMs) : Promise.resolve());
  const apiModel = () => control.model || opts.model || 'claude-opus-4-8';
  const usageModel = () => control.model || opts.model || 'claude-opus-4-8[1m]';
  let text, chunks, usage;
  const configure = () => {
    text = control.text === undefined ? 'Hello from mock' : control.text;
    chunks = control.chunks || (text.length > 5 ? [text.slice(0, 5), text.slice(5)] : [text]);
    usage = Object.assign(clone(T.result.usage), control.usage || {});
  };
  configure();

  let turnStartedAt = startedAt;
  function result(fields) {
    const r = clone(T.result);
    r.uuid = uuid(); r.session_id = sessionId; r.result = text; r.usage = usage;
    r.duration_ms = Date.now() - turnStartedAt;
    const entry = clone(Object.values(T.result.modelUsage)[0]);
    entry.inputTokens = usage.input_tokens; entry.outputTokens = usage.output_tokens;
    entry.cacheReadInputTokens = usage.cache_read_input_tokens; entry.cacheCreationInputTokens = usage.cache_creation_input_tokens;
    r.modelUsage = { [usageModel()]: entry };
    return Object.assign(r, fields || {});
  }
  function errorResult(template, message, status) {
    const r = clone(template);
    r.uuid = uuid(); r.session_id = sessionId;
    if (message !== undefined) r.result = message;
    if (status !== undefined) r.api_error_status = status;
    return r;
  }
  function init() { const r = clone(T.init); r.session_id = sessionId; r.cwd = process.cwd(); r.model = usageModel(); r.uuid = uuid(); return r; }
  function streamEvent(event) { return { type: 'stream_event', event, session_id: sessionId, parent_tool_use_id: null, uuid: uuid() }; }
  function messageStart(id) { const e = clone(T.events.message_start); e.message.id = id; e.message.model = apiModel(); e.message.usage.input_tokens = usage.input_tokens; return e; }
  function assistant(id, content) { const r = clone(T.assistant); r.message.id = id; r.message.model = apiModel(); r.message.content = content; r.session_id = sessionId; r.uuid = uuid(); return r; }

  async function errorOutcome(resultRecord, code) {
    if (opts.outputFormat === 'json') out(control.compactJson ? JSON.stringify(resultRecord) : JSON.stringify(resultRecord, null, 2));
    else if (opts.outputFormat === 'stream-json') { out(init()); out(resultRecord); }
    else out(resultRecord.result);
    return finish(code);
  }
  async function answer(turn) {
    turnStartedAt = Date.now();
    history.push(turn);
    const messageId = 'msg_mock_' + hex(12);
    if (opts.outputFormat === 'text') { out(text); return; }
    if (opts.outputFormat === 'json') { out(control.compactJson ? JSON.stringify(result()) : JSON.stringify(result(), null, 2)); return; }
    out(init());
    if (opts.partial) {
      out(T.status && Object.assign(clone(T.status), { session_id: sessionId, uuid: uuid() }));
      if (control.toolLoop) {
        const toolId = 'msg_mock_' + hex(12);
        await pause(); out(streamEvent(messageStart(toolId)));
        await pause(); out(streamEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
        await pause(); out(streamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me look.' } }));
        await pause(); out(streamEvent({ type: 'content_block_stop', index: 0 }));
        await pause(); out(streamEvent({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_fake1', name: 'Bash', input: {} } }));
        await pause(); out(streamEvent({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"command":"ls"}' } }));
        await pause(); out(streamEvent({ type: 'content_block_stop', index: 1 }));
        await pause(); out(streamEvent({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }));
        await pause(); out(streamEvent({ type: 'message_stop' }));
        out({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake1', content: 'file.txt' }] }, session_id: sessionId, parent_tool_use_id: null, uuid: uuid() });
      }
      await pause(); out(streamEvent(messageStart(messageId)));
      await pause(); out(streamEvent(clone(T.events.content_block_start)));
      for (const [i, piece] of chunks.entries()) {
        await pause();
        const e = clone(T.events.content_block_delta); e.delta.text = piece; out(streamEvent(e));
        if (control.failAfterStreamStart && i === 0) { await sleep(50); return fail(control.stderr ? '' : 'fake claude: connection lost mid-stream', control.exitCode || 1); }
      }
      await pause(); out(assistant(messageId, [{ type: 'text', text }]));
      await pause(); out(streamEvent(clone(T.events.content_block_stop)));
      const delta = clone(T.events.message_delta); delta.usage = { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens, output_tokens: usage.output_tokens };
      await pause(); out(streamEvent(delta));
      await pause(); out(streamEvent(clone(T.events.message_stop)));
    } else {
      await pause(); out(assistant(messageId, [{ type: 'text', text }]));
    }
    // The real CLI writes its transcript as it goes: the session is on disk before the result is printed.
    persist();
    await pause(); out(result());
  }
  function persist() {
    fs.mkdirSync(sessionsDir, { recursive: true });
    fs.writeFileSync(sessionFile, JSON.stringify(history));
    fs.writeFileSync(latestFile, sessionId);
  }

  if (!streaming) {
    if (control.sleepMs) await sleep(control.sleepMs);
    if (control.hang) { setInterval(() => {}, 1 << 30); return; }
    if (control.stderr) process.stderr.write(control.stderr);
    if (control.garbage !== undefined) { process.stdout.write(control.garbage); return finish(control.exitCode || 0); }
    if (control.exitCode && !control.failAfterStreamStart) return finish(control.exitCode);

    if (control.notLoggedIn) return errorOutcome(errorResult(T.noAuth), 1);
    if (control.apiError) return errorOutcome(errorResult(T.upstreamError, 'API Error: ' + control.apiError.status + ' ' + control.apiError.message, control.apiError.status), 1);

    for (const turn of [[opts.positional.join(' '), stdin].filter(Boolean).join('\n')]) await answer(turn);
    persist();
    if (control.holdAfterMs) await sleep(control.holdAfterMs);
    return finish(control.exitCode || 0);
  }

  // Streaming input: one turn per user line, answered as it arrives; stdin closing ends the process.
  const pending = [];
  let ended = false;
  let wake = null;
  let buffered = '';
  process.stdin.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let newline;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') pending.push(line);
    }
    if (wake) wake();
  });
  process.stdin.on('end', () => { ended = true; if (wake) wake(); });
  let turnsDone = 0;
  for (;;) {
    if (pending.length === 0) {
      if (ended) break;
      await new Promise((resolve) => { wake = resolve; });
      wake = null;
      continue;
    }
    const line = pending.shift();
    const entry = { at: Date.now(), line, answeredAt: null };
    record.lines.push(entry);
    record.stdin += line + '\n';
    save();
    const input = JSON.parse(line);
    if (input.type === 'control_request') {
      out({ type: 'control_response', response: { subtype: 'success', request_id: input.request_id, response: {} } });
      continue;
    }
    control = readJson(path.join(HERE, 'control.json')) || {};
    configure();
    if (control.sleepMs) await sleep(control.sleepMs);
    if (control.hang) { setInterval(() => {}, 1 << 30); return; }
    if (control.stderr) process.stderr.write(control.stderr);
    if (control.garbage !== undefined) { process.stdout.write(control.garbage); return finish(control.exitCode || 0); }
    if (control.exitCode && !control.failAfterStreamStart) return finish(control.exitCode);

    if (control.notLoggedIn) return errorOutcome(errorResult(T.noAuth), 1);
    if (control.apiError) return errorOutcome(errorResult(T.upstreamError, 'API Error: ' + control.apiError.status + ' ' + control.apiError.message, control.apiError.status), 1);

    await answer(input.message.content);
    entry.answeredAt = Date.now();
    persist();
    save();
    turnsDone++;
    if (control.exitAfterTurns && turnsDone >= control.exitAfterTurns) return finish(0);
  }
  if (control.holdAfterMs) await sleep(control.holdAfterMs);
  finish(control.exitCode || 0);
}

main().catch((error) => fail('fake claude crashed: ' + (error && error.stack || error), 3));
`;
