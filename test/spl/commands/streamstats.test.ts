import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';


/** The data of Splunk's streamstats examples: host x y x x y x, bytes 100 200 400 50 150 100. */
const DOC =
  '| makeresults count=6 | streamstats count as n | eval host=case(n=2 OR n=5, "y", true(), "x"), bytes=case(n=1, 100, n=2, 200, n=3, 400, n=4, 50, n=5, 150, n=6, 100)';

describe('streamstats', () => {
  it('running count and sum include the current result', async () => {
    const rows = await run(`${DOC} | streamstats count as c, sum(bytes) as total | table n c total`);
    expect(rows.map((r) => [r.c, r.total])).toEqual([
      [1, 100],
      [2, 300],
      [3, 700],
      [4, 750],
      [5, 900],
      [6, 1000],
    ]);
  });

  it('BY keeps a running aggregate per group', async () => {
    const rows = await run(`${DOC} | streamstats count by host | table host count`);
    expect(rows.map((r) => `${r.host}${r.count}`)).toEqual(['x1', 'y1', 'x2', 'x3', 'y2', 'x4']);
  });

  it('window=3 is a moving window that includes the current result (docs example)', async () => {
    const rows = await run(`${DOC} | streamstats window=3 avg(bytes) as a | eval a=round(a, 2) | table a`);
    expect(rows.map((r) => r.a)).toEqual([100, 150, 233.33, 216.67, 200, 100]);
  });

  it('current=false aggregates only the earlier results', async () => {
    const rows = await run(`${DOC} | streamstats current=f count as c, sum(bytes) as s | table n c s`);
    expect(rows).toEqual([
      { n: 1, c: 0 },
      { n: 2, c: 1, s: 100 },
      { n: 3, c: 2, s: 300 },
      { n: 4, c: 3, s: 700 },
      { n: 5, c: 4, s: 750 },
      { n: 6, c: 5, s: 900 },
    ]);
  });

  it('current=f window=1 last(x) is the previous value, even when written back to x', async () => {
    const rows = await run(`${DOC} | streamstats current=f window=1 last(bytes) as bytes | table n bytes`);
    expect(rows).toEqual([{ n: 1 }, { n: 2, bytes: 100 }, { n: 3, bytes: 200 }, { n: 4, bytes: 400 }, { n: 5, bytes: 50 }, { n: 6, bytes: 150 }]);
  });

  it('global=true (default) shares one window across groups; global=false has a window per group', async () => {
    const shared = await run(`${DOC} | streamstats window=2 sum(bytes) as s by host | table s`);
    expect(shared.map((r) => r.s)).toEqual([100, 200, 400, 450, 150, 100]);
    const own = await run(`${DOC} | streamstats window=2 global=false sum(bytes) as s by host | table s`);
    expect(own.map((r) => r.s)).toEqual([100, 200, 500, 450, 350, 150]);
  });

  it('reset_on_change=true starts over when the BY values change', async () => {
    const rows = await run(`${DOC} | streamstats reset_on_change=true count by host | table count`);
    expect(rows.map((r) => r.count)).toEqual([1, 1, 1, 2, 1, 1]);
  });

  it('time_window keeps only results within the span of the current one', async () => {
    const spl = '| makeresults count=5 | streamstats count as n | eval _time=_time - n*50 | streamstats time_window=2m count as c | table c';
    expect((await run(spl)).map((r) => r.c)).toEqual([1, 2, 3, 3, 3]);
    const both = '| makeresults count=5 | streamstats count as n | eval _time=_time - n*50 | streamstats time_window=2m window=2 count as c | table c';
    expect((await run(both)).map((r) => r.c)).toEqual([1, 2, 2, 2, 2]);
  });

  it('passes results missing a BY field through unchanged, outside every window', async () => {
    const rows = await run(`${DOC} | eval host=if(n=3, null(), host) | streamstats count as c by host | table n c`);
    expect(rows).toEqual([{ n: 1, c: 1 }, { n: 2, c: 1 }, { n: 3 }, { n: 4, c: 2 }, { n: 5, c: 2 }, { n: 6, c: 3 }]);
  });

  it('supports the detection idiom count as rank by several fields', async () => {
    const rows = await run(`${DOC} | eval q=if(n<4, "a", "b") | streamstats count as rank by host q | table rank`);
    expect(rows.map((r) => r.rank)).toEqual([1, 1, 2, 1, 1, 2]);
  });

  it('reset_after resets every aggregate after a result whose expression (which sees the aggregates) is true', async () => {
    const docs = await run(`${DOC} | streamstats count as c reset_after="("c>=2")" | table c`);
    expect(docs.map((r) => r.c)).toEqual([1, 2, 1, 2, 1, 2]);
    const plain = await run(`${DOC} | streamstats sum(bytes) as total reset_after="(total>500)" | table total`);
    expect(plain.map((r) => r.total)).toEqual([100, 300, 700, 50, 200, 300]);
    // With BY every group starts over, not only the result's own.
    const by = await run(`${DOC} | streamstats count by host reset_after="(count>=2)" | table host count`);
    expect(by.map((r) => `${r.host}${r.count}`)).toEqual(['x1', 'y1', 'x2', 'x1', 'y1', 'x2']);
  });

  it('reset_before resets before the result whose expression is true, windows included', async () => {
    const rows = await run(`${DOC} | streamstats count as c reset_before="("host==\\"y\\"")" | table c`);
    expect(rows.map((r) => r.c)).toEqual([1, 1, 2, 3, 1, 2]);
    const bare = await run(`${DOC} | streamstats window=3 sum(bytes) as s reset_before=(n=4) | table s`);
    expect(bare.map((r) => r.s)).toEqual([100, 300, 700, 50, 200, 300]);
    const after = await run(`${DOC} | streamstats window=2 current=f count as c reset_after="(n=3)" | table c`);
    expect(after.map((r) => r.c)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  // Search Reference, "streamstats command usage", Resetting the aggregations: the same host/bytes with action LOGON,
  // APP_START, FILE_DOWNLOAD, REBOOT, LOGON, LOGON; `sum(bytes) AS total_bytes BY host` resetting after REBOOT gives
  // 100 200 500 550 150 100 ("reset for both the y and x hosts in the next events"), before it 100 200 500 50 150 150.
  it('resets every host on the REBOOT result as the reference table shows, after and before', async () => {
    const data = `${DOC} | eval action=case(n=1 OR n=5 OR n=6, "LOGON", n=2, "APP_START", n=3, "FILE_DOWNLOAD", n=4, "REBOOT")`;
    const total = async (reset: string) =>
      (await run(`${data} | streamstats ${reset}="(action=\\"REBOOT\\")" sum(bytes) AS total_bytes BY host | table total_bytes`)).map((r) => r.total_bytes);
    expect(await total('reset_after')).toEqual([100, 200, 500, 550, 150, 100]);
    expect(await total('reset_before')).toEqual([100, 200, 500, 50, 150, 150]);
  });

  it('rejects bad arguments at their position', async () => {
    const cases: [string, string, string][] = [
      ['| makeresults | streamstats window=x count', 'x', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats window=20000 count', '20000', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats current=maybe count', 'maybe', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats global=2 count', '2', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats reset_on_change=x count', 'x', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats time_window=1mon count', '1mon', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats time_window=5x count', '5x', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats reset_after="(count*2)" count', '(count*2)', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats reset_before="("count>")" count', ')"', 'SPL_SYNTAX'],
      ['| makeresults | streamstats reset_after="(nope(count))" count', 'nope', 'SPL_UNSUPPORTED_FUNCTION'],
      ['| makeresults | streamstats reset_after="" count', '""', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | streamstats nope(x)', 'nope', 'SPL_BAD_ARGUMENT'],
    ];
    for (const [spl, token, code] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe(code);
      expect(e.format(), spl).toContain(at(spl, token, spl.indexOf('streamstats')));
    }
    const e = await errorOf('| makeresults | streamstats window=2');
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/at least one statistical function/);
  });
});
