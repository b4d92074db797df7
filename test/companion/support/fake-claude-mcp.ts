/**
 * The fake `claude`'s MCP client mode (plain CommonJS source, written beside the fake as
 * `fake-claude-mcp.js` and loaded by it when control.json has `mcp` and the run uses
 * `--input-format stream-json`). It behaves as the real CLI does with the in-band SDK MCP
 * transport (captures `claude-code-mcp/*-sdk-smoke`, `*-par`, `*-toolerr`, `*-interrupt`):
 *
 *   - waits for the `initialize` control request naming `sdkMcpServers`, then runs the MCP
 *     handshake through `mcp_message` control requests (initialize, notifications/initialized,
 *     tools/list; `server/discover` first when `mcp.discover` is set, as 2.1.332 does);
 *   - per user line, plays the next scripted turn: a list of model calls. A call with `tools`
 *     streams `tool_use` blocks (model-visible names: the listed MCP name, prefixed with
 *     `mcp__<server>__` unless CLAUDE_AGENT_SDK_MCP_NO_PREFIX=1), `stop_reason: "tool_use"`,
 *     then calls each tool with `tools/call` (`_meta["claudecode/toolUseId"]`), one after the
 *     other, or all at once with `parallel`, and echoes the results in a `user` record. A call
 *     without `tools` answers `text`, or `results:<JSON of every MCP result this turn>`.
 *   - an `interrupt` control request while a call is held cancels it and ends the turn with an
 *     `error_during_execution` result; the process takes the next user line.
 *
 * control.mcp = { turns: [[{tools:[{name,input}], parallel?}, {text?}], …], discover?, usage? }
 * Every MCP message both ways goes to the run record's `mcp` list; user lines to `userLines`.
 */
export const FAKE_CLAUDE_MCP_SOURCE = String.raw`
'use strict';
const crypto = require('crypto');
const readline = require('readline');

module.exports = function runMcpMode(ctx) {
  const { control, record, save, finish, T, opts } = ctx;
  const spec = control.mcp;
  const uuid = () => crypto.randomUUID();
  const hex = (n) => crypto.randomBytes(n).toString('hex');
  const clone = (v) => JSON.parse(JSON.stringify(v));
  const out = (v) => process.stdout.write(JSON.stringify(v) + '\n');
  const sessionId = uuid();
  const apiModel = opts.model || 'claude-opus-4-8';
  const usage = Object.assign({ input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 20 }, spec.usage || {});
  record.sessionId = sessionId; record.lines = []; record.mcp = []; record.userLines = []; record.toolsList = null; record.stdin = '';
  const log = (dir, message) => { record.mcp.push({ dir, message, at: Date.now() }); save(); };

  let serverName = null;
  let toolsList = [];
  let nextRpc = 0;
  const waiting = new Map(); // control request id → resolve(mcp_response)
  let interruptTurn = null;  // set while a call is held
  const userQueue = [];
  let wakeUser = null;
  let stdinEnded = false;
  let initResolve; const initialized = new Promise((r) => { initResolve = r; });

  function mcpRequest(method, params, withId) {
    const requestId = uuid();
    const message = { method, jsonrpc: '2.0' };
    if (params) message.params = params;
    if (withId !== false) message.id = nextRpc++;
    log('out', message);
    const answer = new Promise((resolve) => waiting.set(requestId, resolve));
    out({ type: 'control_request', request_id: requestId, request: { subtype: 'mcp_message', server_name: serverName, message } });
    return answer;
  }

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    record.stdin += line + '\n';
    const msg = JSON.parse(line);
    if (msg.type === 'control_request' && msg.request.subtype === 'initialize') {
      serverName = (msg.request.sdkMcpServers || [])[0] || null;
      out({ type: 'control_response', response: { subtype: 'success', request_id: msg.request_id, response: { commands: [], models: [] } } });
      initResolve();
    } else if (msg.type === 'control_request' && msg.request.subtype === 'interrupt') {
      out({ type: 'control_response', response: { subtype: 'success', request_id: msg.request_id } });
      if (interruptTurn) interruptTurn();
    } else if (msg.type === 'control_response') {
      const resolve = waiting.get(msg.response.request_id);
      waiting.delete(msg.response.request_id);
      const mcp = msg.response.response && msg.response.response.mcp_response;
      log('in', mcp || msg.response);
      if (resolve) resolve(mcp);
    } else if (msg.type === 'user') {
      record.userLines.push(msg); save();
      userQueue.push(msg);
      if (wakeUser) { const w = wakeUser; wakeUser = null; w(); }
    }
  });
  rl.on('close', () => { stdinEnded = true; if (wakeUser) { const w = wakeUser; wakeUser = null; w(); } });

  const streamEvent = (event) => ({ type: 'stream_event', event, session_id: sessionId, parent_tool_use_id: null, uuid: uuid() });
  const visible = (name) => (process.env.CLAUDE_AGENT_SDK_MCP_NO_PREFIX === '1' ? name : 'mcp__' + serverName + '__' + name);
  function assistant(id, content) { const r = clone(T.assistant); r.message.id = id; r.message.model = apiModel; r.message.content = content; r.session_id = sessionId; r.uuid = uuid(); return r; }
  function init() { const r = clone(T.init); r.session_id = sessionId; r.cwd = process.cwd(); r.model = apiModel; r.uuid = uuid(); r.tools = toolsList.map((t) => visible(t.name)); r.mcp_servers = serverName ? [{ name: serverName, status: 'connected' }] : []; return r; }
  function messageStart(id) { return { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: apiModel, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: usage.cache_creation_input_tokens, cache_read_input_tokens: usage.cache_read_input_tokens, output_tokens: 1 } } }; }
  function result(subtype, text, extra) { const r = clone(T.result); r.type = 'result'; r.subtype = subtype; r.is_error = subtype !== 'success'; r.uuid = uuid(); r.session_id = sessionId; r.result = text; r.usage = clone(usage); return Object.assign(r, extra || {}); }

  async function callTool(use, results) {
    const answer = mcpRequest('tools/call', { name: use.mcpName, arguments: use.input, _meta: { 'claudecode/toolUseId': use.id, progressToken: nextRpc } });
    const cancelled = new Promise((resolve) => { interruptTurn = () => resolve(null); });
    const mcp = await Promise.race([answer, cancelled]);
    interruptTurn = null;
    if (!mcp) return false;
    const res = mcp.result || { content: [{ type: 'text', text: JSON.stringify(mcp.error) }], isError: true };
    results.push({ toolUseId: use.id, name: use.mcpName, result: res });
    return true;
  }

  async function playTurn(turn) {
    out(init());
    const results = [];
    for (const step of turn) {
      const id = 'msg_fake_' + hex(8);
      out(streamEvent(messageStart(id)));
      if (step.tools) {
        const uses = step.tools.map((t) => ({ id: 'toolu_fake_' + hex(6), mcpName: t.name, input: t.input || {} }));
        let index = 0;
        if (step.say !== undefined) {
          out(streamEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
          out(streamEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: step.say } }));
          out(assistant(id, [{ type: 'text', text: step.say }]));
          out(streamEvent({ type: 'content_block_stop', index })); index++;
        }
        for (const use of uses) {
          const json = JSON.stringify(use.input);
          out(streamEvent({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: use.id, name: visible(use.mcpName), input: {} } }));
          out(streamEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(0, 5) } }));
          out(streamEvent({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(5) } }));
          out(assistant(id, [{ type: 'tool_use', id: use.id, name: visible(use.mcpName), input: use.input }]));
          out(streamEvent({ type: 'content_block_stop', index })); index++;
        }
        out(streamEvent({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: clone(usage) }));
        out(streamEvent({ type: 'message_stop' }));
        let completed = true;
        if (step.parallel) completed = (await Promise.all(uses.map((use) => callTool(use, results)))).every(Boolean);
        else for (const use of uses) { if (!(await callTool(use, results))) { completed = false; break; } }
        if (!completed) {
          out({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user for tool use]' }] }, parent_tool_use_id: null, session_id: sessionId, uuid: uuid() });
          out(result('error_during_execution', null, { stop_reason: 'tool_use' }));
          return;
        }
        out({ type: 'user', message: { role: 'user', content: results.slice(-uses.length).map((r) => Object.assign({ type: 'tool_result', tool_use_id: r.toolUseId, content: r.result.content }, r.result.isError ? { is_error: true } : {})) }, parent_tool_use_id: null, session_id: sessionId, uuid: uuid() });
        continue;
      }
      const text = step.text !== undefined ? step.text : 'results:' + JSON.stringify(results);
      out(streamEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
      out(streamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
      out(assistant(id, [{ type: 'text', text }]));
      out(streamEvent({ type: 'content_block_stop', index: 0 }));
      out(streamEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: clone(usage) }));
      out(streamEvent({ type: 'message_stop' }));
      out(result('success', text, { stop_reason: 'end_turn' }));
      return;
    }
  }

  (async () => {
    await initialized;
    if (serverName) {
      if (spec.discover) await mcpRequest('server/discover', {});
      await mcpRequest('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'claude-code', version: '2.1.197' } });
      await mcpRequest('notifications/initialized', null, false);
      const list = await mcpRequest('tools/list');
      toolsList = (list && list.result && list.result.tools) || [];
      record.toolsList = toolsList; save();
    }
    let turnIndex = 0;
    for (;;) {
      if (userQueue.length === 0) {
        if (stdinEnded) break;
        await new Promise((resolve) => { wakeUser = resolve; });
        continue;
      }
      userQueue.shift();
      const turns = spec.turns || [];
      const turn = turns[Math.min(turnIndex, turns.length - 1)] || [{}];
      turnIndex++;
      await playTurn(turn);
    }
    finish(0);
  })().catch((error) => { process.stderr.write('fake claude (mcp) crashed: ' + (error && error.stack || error) + '\n'); finish(3); });
};
`;
