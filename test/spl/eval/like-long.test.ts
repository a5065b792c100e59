import { describe, expect, it } from 'vitest';
import { rowsText, search } from '../../helpers.js';
import { rng } from '../../rng.js';
import { likeMatcher } from '../../../src/spl/eval/like.js';

/**
 * like() and LIKE with a pattern longer than one regex V8 compiles (a SyntaxError "Regular expression too large" at the
 * first row, found by test/spl/run-fuzz.test.ts). Search Reference, "Comparison and Conditional functions", like(TEXT,
 * PATTERN): `%` any run of characters, `_` one character, the whole text, case-sensitive.
 */
const X = 'x'.repeat(5_000);

async function like(text: string, pattern: string): Promise<string> {
  const rows = await search(`| makeresults | eval t=${JSON.stringify(text)}, p=${JSON.stringify(pattern)} | eval r=if(like(t, p), "yes", "no"), o=if(t LIKE p, "yes", "no")`);
  const row = rowsText(rows)[0]!;
  expect(row['o']).toBe(row['r']);
  return row['r'] as string;
}

describe('like() with a pattern of more than 4,096 characters', () => {
  it('follows the reference: % any run, _ one character, whole text, case-sensitive', async () => {
    expect(await like(`${X}abc`, `${X}a%c`)).toBe('yes');
    expect(await like(`${X}abc`, `${X}a_c`)).toBe('yes');
    expect(await like(`${X}abc`, `${X}a_`)).toBe('no');
    expect(await like(`${X}ABC`, `${X}a%`)).toBe('no');
    expect(await like(`${X}a👍c`, `${X}a_c`)).toBe('yes');
    expect(await like(`${X.repeat(9)}`, `%${X.repeat(8)}%`)).toBe('yes');
  });

  it('gives what a short pattern gives, the same prefix before both', async () => {
    const r = rng(99);
    const alphabet = ['a', 'b', '%', '_', '👍'];
    for (let i = 0; i < 150; i++) {
      const word = (n: number, chars: string[]): string => Array.from({ length: n }, () => chars[Math.floor(r() * chars.length)]!).join('');
      const pattern = word(1 + Math.floor(r() * 6), alphabet);
      const text = word(Math.floor(r() * 7), ['a', 'b', '👍']);
      expect(await like(X + text, X + pattern), `${text} LIKE ${pattern}`).toBe(await like(text, pattern));
    }
  });
});

describe('like() over a text of megabytes (a Tetragon argument list of 1-10 MB)', () => {
  it('gives the reference verdicts instead of ending the search on a regex stack overflow', () => {
    // Search Reference, like(TEXT, PATTERN): `%` any run of characters, `_` one character, the whole text. With the
    // regex, a value of 8.6 MB ended `where like(process, "%zzqq%")` with "Maximum call stack size exceeded".
    const body = '/usr/bin/curl -k ' + 'a'.repeat(8_700_000);
    const cases: [string, string, boolean][] = [
      [body + ' zzqq', '%zzqq%', true],
      [body + ' zzqq', '%zzqq', true],
      [body + ' zzqq', '/usr/bin/curl -k a%q_', true],
      [body, '%zzqq%', false],
      [body + ' zzqqé', '%zzqq', false],
      [body + ' zzqqé', '%zzqq_', true],
      [body + '👍', '%a_', true],
      [body, '/usr/bin/CURL%', false],
    ];
    for (const [text, pattern, expected] of cases) expect(likeMatcher(pattern)(text), pattern).toBe(expected);
  });
});
