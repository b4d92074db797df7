import Database from 'better-sqlite3';
import path from 'node:path';
import { startCliProxy } from '../support/cli-proxy';
import { rawRequest } from '../support/http-client';
import { waitForLedgerRows } from '../support/ledger-helpers';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream';
import { startProxy, upstreamsAt } from '../support/proxy-harness';

const FLUSH_MS = 100;
const HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-crash' };

/** The crash test: SIGKILL mid-load; the file opens cleanly and keeps every request finished before the last batch. */
describe('ledger crash safety', () => {
  let upstream: MockUpstream;
  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(() => upstream.close());

  test('SIGKILL during load: integrity ok, nothing finished before the last batch is lost, the next start reuses the file', async () => {
    const proxy = await startCliProxy({ providers: upstreamsAt(upstream.url), ledger: { flushIntervalMs: FLUSH_MS } });
    const finished: Array<{ id: string; at: number }> = [];
    const send = async (): Promise<void> => {
      const response = await rawRequest(`${proxy.url}/v1/messages`, { method: 'POST', headers: HEADERS, body: '{"model":"claude-mock-1","messages":[]}' });
      if (response.status === 200) finished.push({ id: String(response.headers['x-tokenpak-request-id']), at: Date.now() });
    };
    const stateDir = path.join(proxy.dir, 'state');
    try {
      for (let i = 0; i < 20; i++) await send();
      let loading = true;
      const workers = Array.from({ length: 8 }, async () => {
        while (loading) await send().catch(() => undefined);
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      proxy.cli.child.kill('SIGKILL');
      const killedAt = Date.now();
      loading = false;
      await Promise.all(workers);
      expect(await proxy.cli.stop()).toBeNull(); // killed by the signal, no exit code

      const db = new Database(path.join(stateDir, 'ledger.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const ids = new Set((db.prepare('SELECT request_id AS id FROM requests').all() as { id: string }[]).map((row) => row.id));
        // A batch is written at most FLUSH_MS after its first row: anything that finished well before the kill is on disk.
        const mustHave = finished.filter((request) => request.at < killedAt - 3 * FLUSH_MS);
        expect(mustHave.length).toBeGreaterThan(20);
        expect(mustHave.filter((request) => !ids.has(request.id))).toEqual([]);
        expect(ids.size).toBe((db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n);
        expect(ids.size).toBeLessThanOrEqual(finished.length);
      } finally {
        db.close();
      }

      const restarted = await startProxy({ providers: upstreamsAt(upstream.url), state: { dir: stateDir }, ledger: { flushIntervalMs: 20 } });
      try {
        const response = await rawRequest(`${restarted.url}/v1/messages`, { method: 'POST', headers: HEADERS, body: '{"model":"claude-mock-1"}' });
        const id = String(response.headers['x-tokenpak-request-id']);
        await waitForLedgerRows(restarted.url, [id]);
      } finally {
        await restarted.tokenpak.shutdown();
      }
    } finally {
      await proxy.stop();
    }
  });
});
