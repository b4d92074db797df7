import { CredentialUnavailableError, type CredentialProvider } from '@tokenpak/core';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { claudeLoginCredentials } from '../../packages/core/src/credentials/claude-login-credentials';
import { codexLoginCredentials } from '../../plugins/codex/codex-login';
import { makeTempDir } from '../support/temp-dir';

const request = (headers: Record<string, string> = {}) => ({ path: '/v1/messages', headers: new Headers(headers) });

async function failure(provider: CredentialProvider, headers: Record<string, string> = {}): Promise<CredentialUnavailableError> {
  const error = await Promise.resolve(provider.resolve(request(headers))).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CredentialUnavailableError);
  return error as CredentialUnavailableError;
}

describe('claude-login credentials', () => {
  const temp = makeTempDir();
  const file = path.join(temp.dir, '.credentials.json');
  const now = 1_800_000_000_000;
  const provider = claudeLoginCredentials(file, () => now);
  afterAll(() => temp.cleanup());

  test('good file → strip caller credentials, set the bearer, merge the oauth beta', async () => {
    writeFileSync(file, JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-good', expiresAt: now + 60_000 } }));
    const plan = await provider.resolve(request());
    expect(plan).toMatchObject({
      strip: ['x-api-key', 'authorization'],
      set: { authorization: 'Bearer sk-ant-oat01-good' },
      merge: { 'anthropic-beta': ['oauth-2025-04-20'] },
    });
  });

  test('rotated file is read fresh', async () => {
    writeFileSync(file, JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-rotated' } }));
    expect((await provider.resolve(request()))?.set).toEqual({ authorization: 'Bearer sk-ant-oat01-rotated' });
  });

  test.each([
    ['missing', null, 'does not exist'],
    ['garbage', '{not json', 'not valid JSON'],
    ['empty token', JSON.stringify({ claudeAiOauth: { accessToken: '  ' } }), 'no claudeAiOauth.accessToken'],
    ['no oauth section', JSON.stringify({}), 'no claudeAiOauth.accessToken'],
    ['expired', JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-old', expiresAt: now - 1 } }), 'expired'],
  ])('%s file → unavailable with a hint', async (_label, content, message) => {
    const target = path.join(temp.dir, `case-${_label.replace(/\s/g, '-')}.json`);
    if (content !== null) writeFileSync(target, content);
    const error = await failure(claudeLoginCredentials(target, () => now));
    expect(error.message).toContain(message);
    expect(error.hint).toContain('run "claude" and log in');
    expect(error.message).not.toContain('sk-ant-oat01-old');
  });

  test('unreadable file', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything: a directory in its place is the unreadable case here.
      const error = await failure(claudeLoginCredentials(temp.dir, () => now));
      expect(error.message).toContain('could not be read');
      return;
    }
    const target = path.join(temp.dir, 'unreadable.json');
    writeFileSync(target, '{}');
    chmodSync(target, 0o000);
    expect((await failure(claudeLoginCredentials(target, () => now))).message).toContain('not readable');
  });
});

describe('codex-login credentials', () => {
  const temp = makeTempDir();
  const file = path.join(temp.dir, 'auth.json');
  const provider = codexLoginCredentials(file);
  afterAll(() => temp.cleanup());

  test('good file → bearer and account id set, caller key stripped', async () => {
    writeFileSync(file, JSON.stringify({ tokens: { access_token: 'eyJhbGciOi.codex.token', account_id: 'acct-123' } }));
    const plan = await provider.resolve(request({ authorization: 'Bearer sk-placeholder' }));
    expect(plan?.set).toEqual({ authorization: 'Bearer eyJhbGciOi.codex.token', 'chatgpt-account-id': 'acct-123' });
    expect(plan?.strip).toContain('authorization');
  });

  test('without an account id only the bearer is set', async () => {
    writeFileSync(file, JSON.stringify({ tokens: { access_token: 'eyJnew.token' } }));
    expect((await provider.resolve(request()))?.set).toEqual({ authorization: 'Bearer eyJnew.token' });
  });

  test('a caller with its own ChatGPT token keeps it', async () => {
    const plan = await provider.resolve(request({ authorization: 'Bearer eyJcaller.token' }));
    expect(plan?.set).toBeUndefined();
    expect(plan?.strip).toBeUndefined();
  });

  test.each([
    ['missing', null, 'does not exist'],
    ['garbage', 'nope', 'not valid JSON'],
    ['empty token', JSON.stringify({ tokens: { access_token: '' } }), 'no tokens.access_token'],
    ['no tokens', JSON.stringify({ OPENAI_API_KEY: null }), 'no tokens.access_token'],
  ])('%s file → unavailable with the codex login hint', async (label, content, message) => {
    const target = path.join(temp.dir, `codex-${label.replace(/\s/g, '-')}.json`);
    if (content !== null) writeFileSync(target, content);
    const error = await failure(codexLoginCredentials(target));
    expect(error.message).toContain(message);
    expect(error.hint).toContain('codex login');
  });
});
