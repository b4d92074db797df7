import { StoredReasons } from '../../packages/core/src/ledger/stored-reasons';

describe('stored reasons', () => {
  test('a list is stored as redacted JSON; equal lists (new arrays of new strings) give the very same string', () => {
    const stored = new StoredReasons();
    const list = (): string[] => [`platform: signal "${'openclaw'}" matched`, `key ${'sk-ant-api03-'}${'a'.repeat(40)}`];
    const first = stored.of(list());
    expect(JSON.parse(first)).toEqual(['platform: signal "openclaw" matched', expect.not.stringContaining('a'.repeat(40))]);
    expect(stored.of(list())).toBe(first);
  });

  test('lists that differ anywhere are told apart, including ones that join to the same text', () => {
    const stored = new StoredReasons();
    const lists = [['a\nb'], ['a', 'b'], ['a'], ['a', 'b', ''], [], ['b', 'a']];
    const texts = lists.map((list) => stored.of(list));
    expect(texts.map((text) => JSON.parse(text) as string[])).toEqual(lists);
    // More distinct lists than it compares directly, in a cycle: still right the second time round.
    const many = Array.from({ length: 20 }, (_, i) => [`reason ${i}`]);
    for (let round = 0; round < 2; round++) expect(many.map((list) => JSON.parse(stored.of(list)) as string[])).toEqual(many);
  });

  test('a caller changing its array afterwards does not change what later equal lists get', () => {
    const stored = new StoredReasons();
    const mutable = ['one', 'two'];
    expect(stored.of(mutable)).toBe('["one","two"]');
    mutable[1] = 'three';
    expect(stored.of(['one', 'two'])).toBe('["one","two"]');
    expect(stored.of(['one', 'three'])).toBe('["one","three"]');
  });
});
