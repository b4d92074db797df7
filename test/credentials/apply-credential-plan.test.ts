import { applyCredentialPlan, mergeTokens } from '../../packages/core/src/credentials/apply-credential-plan';

const pairs = (flat: string[]): Array<[string, string]> => flat.flatMap((_, i) => (i % 2 === 0 ? [[flat[i]!, flat[i + 1]!] as [string, string]] : []));

describe('applyCredentialPlan', () => {
  const oauthPlan = {
    strip: ['x-api-key', 'authorization'],
    set: { authorization: 'Bearer sk-ant-oat01-file-token' },
    merge: { 'anthropic-beta': ['oauth-2025-04-20'] },
  };

  test('no caller beta: the flag is added, the key stripped, the bearer set', () => {
    const out = applyCredentialPlan(['Host', 'h', 'x-api-key', 'sk-ant-placeholder', 'content-type', 'application/json'], oauthPlan);
    expect(pairs(out)).toEqual([
      ['Host', 'h'],
      ['content-type', 'application/json'],
      ['authorization', 'Bearer sk-ant-oat01-file-token'],
      ['anthropic-beta', 'oauth-2025-04-20'],
    ]);
  });

  test("caller's beta list first, flag appended", () => {
    const out = applyCredentialPlan(['anthropic-beta', 'fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14'], oauthPlan);
    expect(pairs(out)).toContainEqual(['anthropic-beta', 'fine-grained-tool-streaming-2025-05-14,interleaved-thinking-2025-05-14,oauth-2025-04-20']);
  });

  test('caller already has the flag in another case: no duplicate', () => {
    const out = applyCredentialPlan(['anthropic-beta', 'OAUTH-2025-04-20, claude-code-20250219'], oauthPlan);
    expect(pairs(out)).toContainEqual(['anthropic-beta', 'OAUTH-2025-04-20,claude-code-20250219']);
  });

  test("caller's spelling of the header name is kept, and there is only one spelling upstream", () => {
    const out = applyCredentialPlan(['Anthropic-Beta', 'a-1', 'Authorization', 'Bearer caller', 'anthropic-beta', 'b-2'], oauthPlan);
    const names = pairs(out).map(([name]) => name);
    expect(names).toEqual(['Anthropic-Beta', 'Authorization']);
    expect(pairs(out)).toEqual([
      ['Anthropic-Beta', 'a-1,b-2,oauth-2025-04-20'],
      ['Authorization', 'Bearer sk-ant-oat01-file-token'],
    ]);
  });

  test('an empty plan changes nothing', () => {
    const flat = ['A', '1', 'b', '2'];
    expect(applyCredentialPlan(flat, {})).toEqual(flat);
  });

  test('mergeTokens de-duplicates case-insensitively keeping the first spelling', () => {
    expect(mergeTokens(['X', 'y'], ['x', 'Z'])).toBe('X,y,Z');
  });
});
