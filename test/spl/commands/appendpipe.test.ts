import { describe, expect, it } from 'vitest';
import type { Event } from '../../../src/events/event.js';
import { toObject } from '../../../src/events/result.js';
import type { EventSource } from '../../../src/events/scan.js';
import { splitPlan } from '../../../src/spl/plan/split.js';
import { plan, runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW, run, sharedScanSame } from './helpers.js';

const ev = (i: number, fields: Record<string, unknown>): Event => ({ _time: NOW - 100 + i, _raw: JSON.stringify(fields), index: 'main', sourcetype: 'json', source: 's', host: 'h' });

/** Events given oldest first, as a file gives them (an unordered source: the search sorts them newest first). */
const fileOf = (events: readonly Event[]): EventSource => ({
  newestFirst: false,
  async *scan() {
    yield [...events];
  },
});

describe('appendpipe', () => {
  it("appends the subpipeline's results over the current results after them (Search Reference, Example 1)", async () => {
    // "index=_audit | stats count by action user | appendpipe [stats sum(count) as count by action | eval user =
    // "TOTAL - ALL USERS"] | sort action" -- "Append subtotals for each action across all users."
    const rows = [
      { action: 'login', user: 'a' },
      { action: 'login', user: 'b' },
      { action: 'login', user: 'a' },
      { action: 'search', user: 'a' },
    ].map((f, i) => ev(i, f));
    const spl = 'index=main | stats count by action user | appendpipe [stats sum(count) as count by action | eval user = "TOTAL - ALL USERS"] | sort action';
    const { results } = await runSearch(spl, { now: NOW, source: fileOf(rows) });
    // Per action: its users' counts, then its total (sort is stable: appended rows stay after the originals).
    expect(results.map(toObject)).toEqual([
      { action: 'login', user: 'a', count: 2 },
      { action: 'login', user: 'b', count: 1 },
      { action: 'login', count: 3, user: 'TOTAL - ALL USERS' },
      { action: 'search', user: 'a', count: 1 },
      { action: 'search', count: 1, user: 'TOTAL - ALL USERS' },
    ]);
  });

  it('runs the subpipeline over no results too: `appendpipe [stats count | where count=0]` gives a row', async () => {
    expect(await run('| makeresults | where 1=2 | appendpipe [stats count | where count=0]')).toEqual([{ count: 0 }]);
    expect(await run('| makeresults | fields - _time | eval a=1 | appendpipe [stats count | where count=0]')).toEqual([{ a: 1 }]);
  });

  it('gives the subpipeline copies: commands after appendpipe do not change them, nor it the originals', async () => {
    expect(await run('| makeresults count=3 | streamstats count as n | fields - _time | appendpipe [eval n=n*10 | where n>10] | eval k=n+1')).toEqual([
      { n: 1, k: 2 },
      { n: 2, k: 3 },
      { n: 3, k: 4 },
      { n: 20, k: 21 },
      { n: 30, k: 31 },
    ]);
  });

  it('takes a leading | in the subpipeline, and nests', async () => {
    expect(await run('| makeresults count=2 | streamstats count as n | fields - _time | appendpipe [| stats sum(n) as s | appendpipe [eval s=s*100]]')).toEqual([{ n: 1 }, { n: 2 }, { s: 3 }, { s: 300 }]);
  });

  it('stops only the subpipeline at its head; the subpipeline sees the results in search order', async () => {
    // Oldest first in the file: the search's order is newest first, so head 1 in the subpipeline takes i=2.
    const events = [0, 1, 2].map((i) => ev(i, { i }));
    const { results } = await runSearch('index=main | table i | appendpipe [head 1 | eval first="yes"]', { now: NOW, source: fileOf(events) });
    expect(results.map(toObject)).toEqual([{ i: 2 }, { i: 1 }, { i: 0 }, { i: 2, first: 'yes' }]);
  });

  it('runs after the merge of partitions: it needs all its input', () => {
    const split = splitPlan(plan('index=main | eval x=1 | appendpipe [stats count]', { now: NOW, sourceNewestFirst: true }));
    expect(split.serial).toBeNull();
    expect(split.boundary).toBe(1);
    expect(split.stop).toBe('appendpipe needs all its input in one place');
  });

  it('gives over a shared scan what it gives alone', async () => {
    await sharedScanSame(['index=main | stats count by name | appendpipe [stats sum(count) as total]', 'index=main | table n k | appendpipe [stats max(n) as n by k]']);
  });

  it('points errors inside the subpipeline at their line:column in the whole search', async () => {
    const spl = '| makeresults\n| appendpipe [stats count\n  | eval x=nosuch(count)]';
    expect((await errorOf(spl)).format()).toContain('at 3:12');
    const gen = '| makeresults | appendpipe [| makeresults]';
    expect((await errorOf(gen)).format()).toContain(at(gen, 'makeresults]'));
    const bad = '| makeresults | appendpipe [stats count | nosuchcommand x]';
    expect((await errorOf(bad)).format()).toContain(at(bad, 'nosuchcommand'));
  });

  it('rejects bad input where it is, without crashing', async () => {
    expect((await errorOf('| makeresults | appendpipe')).message).toContain('appendpipe needs a subpipeline');
    expect((await errorOf('| makeresults | appendpipe [ ]')).message).toContain('empty subpipeline');
    expect((await errorOf('| makeresults | appendpipe [stats count')).message).toContain('missing `]`');
    expect((await errorOf('| makeresults | appendpipe [stats count] [stats count]')).code).toBe('SPL_SYNTAX');
    const opt = '| makeresults | appendpipe run_in_preview=maybe [stats count]';
    expect((await errorOf(opt)).format()).toContain(at(opt, 'maybe'));
    expect(await run('| makeresults | fields - _time | appendpipe run_in_preview=false [stats count]')).toEqual([{}, { count: 1 }]);
    const sub = '| makeresults | appendpipe [search a [| makeresults]]';
    expect((await errorOf(sub)).code).toBe('SPL_UNSUPPORTED_COMMAND');
    const deep = '| makeresults' + ' | appendpipe ['.repeat(300) + 'stats count' + ']'.repeat(300);
    expect((await errorOf(deep)).code).toBe('SPL_TOO_DEEP');
  });
});
