import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';

/**
 * Search terms and field values longer than V8 compiles as one regex (~32,000 characters; a SyntaxError "Regular
 * expression too large" stopped the search at its first event, found by test/spl/run-fuzz.test.ts). They match as
 * shorter ones do. Expected values: the Search Manual, "Use the search command" / "Wildcards" (terms and values
 * match case-insensitively, `*` any run) and "Event segmentation and searching" (a bare term is found as whole
 * segments of `_raw`, not inside a longer word).
 */
const LONG = 'a'.repeat(40_000);
const events = jsonEvents([{ id: 1, x: `${LONG}b` }, { id: 2, x: `z${LONG}b` }, { id: 3, x: 'short' }]);
const ids = async (spl: string): Promise<string[]> => rowsText(await search(`${spl} | table id`, events)).map((r) => r['id'] as string).sort();

describe('search terms longer than one regex', () => {
  it('a field value of 40,001 characters matches its value exactly, case-insensitively', async () => {
    expect(await ids(`x="${LONG}b"`)).toEqual(['1']);
    expect(await ids(`x="${LONG.toUpperCase()}B"`)).toEqual(['1']);
    expect(await ids(`x="${LONG}c"`)).toEqual([]);
  });

  it('a long value with wildcards: `*` is any run', async () => {
    expect(await ids(`x="*${LONG}b"`)).toEqual(['1', '2']);
    expect(await ids(`x="${LONG}*"`)).toEqual(['1']);
    expect(await ids(`x="z*${LONG.slice(1)}*b"`)).toEqual(['2']);
  });

  it('a long bare term is found as a whole segment of _raw, not inside a longer word', async () => {
    expect(await ids(`"${LONG}b"`)).toEqual(['1']);
    expect(await ids(`${LONG.toUpperCase()}B`)).toEqual(['1']);
    expect(await ids(`*${LONG}b`)).toEqual(['1', '2']);
    expect(await ids(`"${LONG}"`)).toEqual([]);
    expect(await ids(`${LONG}*`)).toEqual(['1']);
  });
});
