// TokenPak dashboard: plain browser JavaScript, served by the proxy itself, no external
// resources. Data comes from the proxy's own endpoints: /tokenpak/requests (recent rows),
// /tokenpak/stats (totals and time buckets) and /tokenpak/events (the live SSE feed).
// Every value from the ledger is inserted with textContent, never as HTML.
'use strict';

(() => {
  const MAX_ROWS = 500;
  const REFRESH_AFTER_EVENT_MS = 1000;
  const REFRESH_EVERY_MS = 30_000;
  const SVG = 'http://www.w3.org/2000/svg';

  const state = { window: '24h', lastId: 0, source: null, refreshTimer: null };
  const $ = (selector) => document.querySelector(selector);
  const requestsBody = $('#requests tbody');

  // ---- formatting -------------------------------------------------------------------
  const integer = (value) => (value === null || value === undefined ? '—' : Number(value).toLocaleString('en-US'));
  const compact = (value) => {
    if (value === null || value === undefined) return '—';
    if (value >= 1e9) return `${(value / 1e9).toFixed(1)}B`;
    if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
    if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
    return integer(value);
  };
  const money = (value) => {
    if (value === null || value === undefined) return '—';
    if (value === 0) return '$0';
    return value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
  };
  const duration = (ms) => {
    if (ms === null || ms === undefined) return '—';
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  };
  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const pad = (n) => String(n).padStart(2, '0');

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && body.error && body.error.message) || `${url}: HTTP ${response.status}`);
    return body;
  }

  function showNotice(message) {
    const notice = $('#notice');
    notice.textContent = message;
    notice.hidden = !message;
  }

  function setConnection(stateName, text) {
    const badge = $('#connection');
    badge.dataset.state = stateName;
    badge.textContent = text;
  }

  // ---- live request table ------------------------------------------------------------
  function requestRow(row) {
    const tr = element('tr', null, 'request');
    tr.dataset.requestId = row.requestId;
    tr.dataset.id = String(row.id);
    if (row.errorType) tr.classList.add('failed');
    const tokens =
      row.inputTokens === null ? '—' : `${integer(row.inputTokens + (row.cacheReadTokens || 0) + (row.cacheWriteTokens || 0))} → ${integer(row.outputTokens)}`;
    const cells = [
      [clock(row.startedAt)],
      [row.platform || 'none'],
      [row.provider || 'none'],
      [`${row.backend} / ${row.via}`],
      [row.model || 'unknown', row.model ? '' : 'unknown'],
      [row.status === null ? 'closed' : row.errorType ? `${row.status} ${row.errorType}` : row.status, 'status'],
      [duration(row.totalMs), 'num'],
      [tokens, row.inputTokens === null ? 'num unknown' : 'num'],
      [money(row.costUsd), row.costUsd === null ? 'num unknown' : 'num'],
    ];
    for (const [text, className] of cells) {
      const td = element('td', text, className);
      td.title = String(text); // the full text where the column ellipsizes it
      tr.append(td);
    }
    tr.addEventListener('click', () => toggleDetail(tr, row));
    return tr;
  }

  function detailRow(row) {
    const tr = element('tr', null, 'detail');
    const td = element('td');
    td.colSpan = 9;
    const list = element('dl');
    const fields = [
      ['request id', row.requestId],
      ['started', new Date(row.startedAt).toLocaleString()],
      ['request', `${row.method} ${row.path}`],
      ['platform / session', `${row.platform || 'none'} / ${row.sessionId || 'none'}`],
      ['provider', `${row.provider || 'none'} (source: ${row.providerSource})`],
      ['route class', row.routeClass],
      ['backend / via', `${row.backend} via ${row.via}`],
      ['credentials', row.credentialSource],
      ['upstream', row.upstream || '—'],
      ['status', row.status === null ? 'no response (client closed)' : String(row.status)],
      ['error', row.errorType || '—'],
      ['time to first byte / total', `${duration(row.ttfbMs)} / ${duration(row.totalMs)}`],
      ['bytes in / out', `${integer(row.bytesIn)} / ${integer(row.bytesOut)}`],
      [
        'tokens',
        row.inputTokens === null
          ? 'unknown'
          : `input ${integer(row.inputTokens)}, output ${integer(row.outputTokens)}, cache read ${integer(row.cacheReadTokens)}, cache write ${integer(row.cacheWriteTokens)}`,
      ],
      ['cost', row.costUsd === null ? 'unknown (no usage in the answer, or no price for this model)' : money(row.costUsd)],
    ];
    for (const [name, value] of fields) list.append(element('dt', name), element('dd', value));
    const reasons = element('ol', null, 'reasons');
    for (const reason of row.reasons) reasons.append(element('li', reason));
    td.append(list, element('h2', 'Why (the rules that fired, in order)'), reasons);
    tr.append(td);
    return tr;
  }

  function toggleDetail(tr, row) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) next.remove();
    else tr.after(detailRow(row));
  }

  function addRow(row, fresh) {
    if (row.id <= state.lastId && fresh) return;
    state.lastId = Math.max(state.lastId, row.id);
    const tr = requestRow(row);
    if (fresh) tr.classList.add('fresh');
    requestsBody.prepend(tr);
    $('#empty').hidden = true;
    const rows = requestsBody.querySelectorAll('tr.request');
    for (let i = MAX_ROWS; i < rows.length; i++) {
      const extra = rows[i];
      if (extra.nextElementSibling && extra.nextElementSibling.classList.contains('detail')) extra.nextElementSibling.remove();
      extra.remove();
    }
  }

  async function loadRequests() {
    const { requests } = await getJson('/tokenpak/requests?limit=200');
    requestsBody.replaceChildren();
    for (const row of requests.slice().reverse()) addRow(row, false);
    $('#empty').hidden = requests.length > 0;
  }

  function connect() {
    if (state.source) state.source.close();
    const source = new EventSource(`/tokenpak/events${state.lastId ? `?after=${state.lastId}` : ''}`);
    state.source = source;
    source.addEventListener('open', () => setConnection('live', 'live'));
    source.addEventListener('error', () => setConnection('error', 'reconnecting…'));
    source.addEventListener('request', (event) => {
      const row = JSON.parse(event.data);
      if (row.id <= state.lastId) return;
      addRow(row, true);
      scheduleRefresh(REFRESH_AFTER_EVENT_MS);
    });
  }

  // ---- totals and chart ----------------------------------------------------------------
  function bucketKeyFor(windowName) {
    if (windowName === '1h') return 'minute';
    if (windowName === '24h') return 'hour';
    return 'day';
  }

  /** Every bucket of the window, oldest first, keyed as the ledger keys them (local time). */
  function bucketKeys(windowName) {
    const now = new Date();
    const keys = [];
    const day = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    if (windowName === '1h') {
      for (let i = 59; i >= 0; i--) {
        const d = new Date(now.getTime() - i * 60_000);
        keys.push(`${day(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`);
      }
    } else if (windowName === '24h') {
      for (let i = 23; i >= 0; i--) {
        const d = new Date(now.getTime() - i * 3_600_000);
        keys.push(`${day(d)} ${pad(d.getHours())}:00`);
      }
    } else {
      const days = windowName === '7d' ? 7 : 30;
      for (let i = days - 1; i >= 0; i--) keys.push(day(new Date(now.getTime() - i * 86_400_000)));
    }
    return keys;
  }

  function svgNode(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawChart(groups, windowName) {
    const byKey = new Map(groups.map((group) => [group.key, group]));
    const keys = bucketKeys(windowName);
    const buckets = keys.map((key) => byKey.get(key) || { key, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 });
    const width = 900,
      height = 220,
      left = 56,
      right = 64,
      top = 12,
      bottom = 28;
    const plotWidth = width - left - right,
      plotHeight = height - top - bottom;
    const tokensOf = (b) => b.inputTokens + b.outputTokens + b.cacheReadTokens + b.cacheWriteTokens;
    const maxTokens = Math.max(1, ...buckets.map(tokensOf));
    const maxCost = Math.max(0, ...buckets.map((b) => b.costUsd));
    const svg = svgNode('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none' });
    svg.append(svgNode('line', { x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight, class: 'grid' }));
    svg.append(svgNode('line', { x1: left, x2: width - right, y1: top, y2: top, class: 'grid' }));
    svg.append(svgNode('text', { x: left - 6, y: top + 10, 'text-anchor': 'end', class: 'axis' }, compact(maxTokens)));
    svg.append(svgNode('text', { x: left - 6, y: top + plotHeight, 'text-anchor': 'end', class: 'axis' }, '0'));
    if (maxCost > 0) svg.append(svgNode('text', { x: width - right + 6, y: top + 10, class: 'axis' }, money(maxCost)));
    const slot = plotWidth / buckets.length;
    const barWidth = Math.max(1, slot * 0.7);
    const points = [];
    buckets.forEach((bucket, index) => {
      const x = left + index * slot + (slot - barWidth) / 2;
      let y = top + plotHeight;
      for (const [value, className] of [
        [bucket.inputTokens, 'bar-input'],
        [bucket.outputTokens, 'bar-output'],
        [bucket.cacheReadTokens + bucket.cacheWriteTokens, 'bar-cache'],
      ]) {
        const h = (value / maxTokens) * plotHeight;
        if (h <= 0) continue;
        y -= h;
        const bar = svgNode('rect', { x, y, width: barWidth, height: h, class: className });
        bar.append(svgNode('title', {}, `${bucket.key}: ${integer(value)} ${className.slice(4)} tokens`));
        svg.append(bar);
      }
      if (maxCost > 0) points.push([left + index * slot + slot / 2, top + plotHeight - (bucket.costUsd / maxCost) * plotHeight, bucket]);
    });
    if (points.length > 0) {
      svg.append(svgNode('polyline', { points: points.map(([x, y]) => `${x},${y}`).join(' '), class: 'cost-line' }));
      for (const [x, y, bucket] of points) {
        if (bucket.costUsd <= 0) continue;
        const dot = svgNode('circle', { cx: x, cy: y, r: 2.5, class: 'cost-dot' });
        dot.append(svgNode('title', {}, `${bucket.key}: ${money(bucket.costUsd)}`));
        svg.append(dot);
      }
    }
    for (const index of [0, Math.floor(keys.length / 2), keys.length - 1]) {
      const label = windowName === '7d' || windowName === '30d' ? keys[index].slice(5) : keys[index].slice(11);
      svg.append(svgNode('text', { x: left + index * slot + slot / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis' }, label));
    }
    $('#chart').replaceChildren(svg);
  }

  function fillTotals(tableId, groups) {
    const body = $(`#${tableId} tbody`);
    body.replaceChildren();
    for (const group of groups) {
      const tr = element('tr');
      tr.dataset.key = group.key;
      const tokens = group.inputTokens + group.outputTokens + group.cacheReadTokens + group.cacheWriteTokens;
      const name = element('td', group.key);
      name.title = group.key; // names may be shortened with an ellipsis
      tr.append(name);
      for (const text of [integer(group.requests), integer(group.errors), compact(tokens)]) tr.append(element('td', text));
      const cost = element('td', money(group.costUsd));
      // On its own line, so the cost column stays narrow.
      if (group.unpricedRequests > 0) cost.append(element('span', `+${group.unpricedRequests} unpriced`, 'unpriced'));
      tr.append(cost);
      body.append(tr);
    }
  }

  function fillSummary(total) {
    const set = (field, text) => {
      $(`#summary [data-field="${field}"]`).textContent = text;
    };
    set('requests', integer(total.requests));
    set('errors', integer(total.errors));
    set('inputTokens', compact(total.inputTokens));
    set('outputTokens', compact(total.outputTokens));
    set('cache', `${compact(total.cacheReadTokens)} / ${compact(total.cacheWriteTokens)}`);
    set('costUsd', money(total.costUsd) + (total.unpricedRequests > 0 ? ` +${total.unpricedRequests} unpriced` : ''));
    set('latency', `${duration(total.p50Ms)} / ${duration(total.p95Ms)}`);
  }

  async function refreshTotals() {
    const windowName = state.window;
    const since = encodeURIComponent(windowName);
    const [platform, provider, model, series] = await Promise.all(
      ['platform', 'provider', 'model', bucketKeyFor(windowName)].map((by) => getJson(`/tokenpak/stats?since=${since}&by=${by}`)),
    );
    if (windowName !== state.window) return;
    fillSummary(platform.total);
    fillTotals('totals-platform', platform.groups);
    fillTotals('totals-provider', provider.groups);
    fillTotals('totals-model', model.groups);
    drawChart(series.groups, windowName);
  }

  function scheduleRefresh(delay) {
    if (state.refreshTimer) clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => {
      state.refreshTimer = null;
      refreshTotals()
        .then(() => showNotice(''))
        .catch((error) => showNotice(error.message))
        .finally(() => scheduleRefresh(REFRESH_EVERY_MS));
    }, delay);
  }

  async function start() {
    $('#window').addEventListener('change', (event) => {
      state.window = event.target.value;
      scheduleRefresh(0);
    });
    try {
      await loadRequests();
    } catch (error) {
      showNotice(error.message);
      setConnection('error', 'off');
      return;
    }
    connect();
    scheduleRefresh(0);
  }

  start();
})();
