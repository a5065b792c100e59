import { describe, expect, it } from 'vitest';
import { rowsText, search } from '../helpers.js';

/**
 * Field-name wildcards over names longer than one regex V8 compiles (a SyntaxError "Regular expression too large" at
 * the first row, found by test/spl/run-fuzz.test.ts). Search Reference: foreach (`<<MATCHSTR>>` is the part the
 * wildcard matched, `<<MATCHSEG1>>`... each wildcard's part), rename (`*` in both names carries the matched part),
 * table (wildcards select fields).
 */
const L = 'n'.repeat(40_000);

describe('field-name wildcards over 40,000-character names', () => {
  it('foreach gives the matched parts', async () => {
    const rows = rowsText(await search(`| makeresults | eval ${L}_to_b=1 | fields - _time | foreach *_to_* [eval m="<<MATCHSEG2>>", l=len("<<MATCHSEG1>>")]`));
    expect(rows[0]).toMatchObject({ m: 'b', l: '40000' });
  });

  it('rename carries the part a * matched; table selects by wildcard', async () => {
    const rows = rowsText(await search(`| makeresults | eval x_${L}=1 | rename x_* AS y_* | table y_${L.slice(0, 10)}* | eval ok=if(isnotnull('y_${L}'), 1, 0)`));
    expect(rows).toEqual([{ [`y_${L}`]: '1', ok: '1' }]);
  });

  it('a 40,000-character pattern in foreach, rename and table', async () => {
    const rows = rowsText(await search(`| makeresults | eval ${L}a=1, b=2 | fields - _time | foreach ${L}* [eval s="<<MATCHSTR>>"] | rename ${L}* AS z* | table z*, s`));
    expect(rows).toEqual([{ za: '1', s: 'a' }]);
  });
});
