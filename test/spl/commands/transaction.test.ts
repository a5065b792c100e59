import { describe, expect, it } from 'vitest';
import type { Event } from '../../../src/events/event.js';
import { toObject } from '../../../src/events/result.js';
import type { EventSource } from '../../../src/events/scan.js';
import { MAX_OPEN_TXN } from '../../../src/spl/commands/transaction.js';
import { plan, runSearch } from '../../../src/spl/index.js';
import { splitPlan } from '../../../src/spl/plan/split.js';
import { at, errorOf, NOW, run, sharedScanSame } from './helpers.js';

/**
 * Rows in search order (newest first, as the planner hands them to transaction): row i (1-based) gets
 * `_time` = times[i-1], `_raw` = "e<i>" and the fields of `fields[i-1]` (an eval assignment list, or "").
 */
function rows(times: readonly number[], fields: readonly string[]): string {
  const n = times.length;
  const time = `case(${times.map((t, i) => `n=${i + 1}, ${t}`).join(', ')})`;
  const assigns = fields
    .map((f, i) => (f ? f.split(',').map((a) => a.trim()) : []).map((a) => ({ i: i + 1, a })))
    .flat()
    .reduce<Map<string, string[]>>((m, { i, a }) => {
      const [k, v] = a.split('=') as [string, string];
      m.set(k, [...(m.get(k) ?? []), `n=${i}, ${v}`]);
      return m;
    }, new Map());
  const evals = [...assigns].map(([k, cases]) => `${k}=case(${cases.join(', ')})`).join(', ');
  return `| makeresults count=${n} | streamstats count as n | eval _time=${time}, _raw="e".n${evals ? `, ${evals}` : ''} | fields - n`;
}

const fileOf = (events: readonly Event[]): EventSource => ({
  newestFirst: false,
  async *scan() {
    yield [...events];
  },
});

describe('transaction', () => {
  it('groups events through a transitive relation of the fields (Search Reference, Usage)', async () => {
    // "if you searched for `... | transaction host cookie`, you might see the following events grouped into a
    // transaction: event=1 host=a / event=2 host=a cookie=b / event=3 cookie=b". Newest first: event 3 opens it
    // (cookie=b), event 2 agrees on cookie and brings host=a, event 1 agrees on host.
    const spl = `${rows([30, 20, 10], ['event=3, cookie="b"', 'event=2, host="a", cookie="b"', 'event=1, host="a"'])} | transaction host cookie`;
    expect(await run(spl)).toEqual([{ _time: 10, _raw: 'e3\ne2\ne1', event: [1, 2, 3], cookie: 'b', host: 'a', duration: 20, eventcount: 3 }]);
  });

  it('connected=true opens a new transaction for an event sharing no value yet; connected=false adds it', async () => {
    // Splunk Answers, "what does connected mean in transaction" (community.splunk.com/t5/Splunk-Search/9718):
    // events "in descending time order" event1 mid=1, event2 foo_id=abc, event3 mid=1 foo_id=abc, event4
    // foo_id=abc with `transaction mid, foo_id`: connected=true gives event1, event3, event4 ("event2 is not added
    // because at the time it is processed we don't have an established transitive relationship"); connected=false
    // gives all four.
    const data = rows([40, 30, 20, 10], ['ev=1, mid=1', 'ev=2, foo_id="abc"', 'ev=3, mid=1, foo_id="abc"', 'ev=4, foo_id="abc"']);
    expect(await run(`${data} | transaction mid, foo_id | table ev eventcount`)).toEqual([
      { ev: 2, eventcount: 1 },
      { ev: [1, 3, 4], eventcount: 3 },
    ]);
    expect(await run(`${data} | transaction mid, foo_id connected=false | table ev eventcount`)).toEqual([{ ev: [1, 2, 3, 4], eventcount: 4 }]);
  });

  it('maxpause splits at a pause longer than it; maxspan needs the events to span less than it', async () => {
    // "maxpause ... the maximum length of time ... for the pause between consecutive events in a transaction";
    // "The events in the transaction must span less than integer specified for maxspan." (Search Reference)
    // The docs' `transaction host cookie maxspan=30s maxpause=5s`, worked by hand: 160 158 | 150 146 | 130 128.
    const same = (n: number) => Array.from({ length: n }, () => 'host="h", cookie="c"');
    const paused = await run(`${rows([160, 158, 150, 146, 130, 128], same(6))} | transaction host cookie maxspan=30s maxpause=5s | table _time duration eventcount`);
    expect(paused).toEqual([
      { _time: 158, duration: 2, eventcount: 2 },
      { _time: 146, duration: 4, eventcount: 2 },
      { _time: 128, duration: 2, eventcount: 2 },
    ]);
    // 160..131 spans 29 s (< 30); 129 would make 31; 130 would make exactly 30, not less: a new one.
    const spanned = await run(`${rows([160, 150, 140, 131, 129], same(5))} | transaction host maxspan=30s | table _time duration eventcount`);
    expect(spanned).toEqual([
      { _time: 131, duration: 29, eventcount: 4 },
      { _time: 129, duration: 0, eventcount: 1 },
    ]);
    const edge = await run(`${rows([160, 130], same(2))} | transaction host maxspan=30 | table _time eventcount`);
    expect(edge).toEqual([
      { _time: 160, eventcount: 1 },
      { _time: 130, eventcount: 1 },
    ]);
  });

  it('maxevents closes a transaction at that many events (Search Reference example: maxspan=10m maxevents=3)', async () => {
    // "Define a purchase transaction as 3 events from one IP address which occur in a ten minute span of time":
    // `transaction clientip maxspan=10m maxevents=3`. Five purchases within 10 minutes, newest first: the three
    // newest are one transaction, the two oldest the next; another IP's event is its own.
    const data = rows([500, 400, 300, 250, 200, 100], ['clientip="1.1.1.1"', 'clientip="1.1.1.1"', 'clientip="2.2.2.2"', 'clientip="1.1.1.1"', 'clientip="1.1.1.1"', 'clientip="1.1.1.1"']);
    expect(await run(`${data} | transaction clientip maxspan=10m maxevents=3 | table _time clientip eventcount _raw`)).toEqual([
      { _time: 300, clientip: '2.2.2.2', eventcount: 1, _raw: 'e3' },
      { _time: 250, clientip: '1.1.1.1', eventcount: 3, _raw: 'e4\ne2\ne1' },
      { _time: 100, clientip: '1.1.1.1', eventcount: 2, _raw: 'e6\ne5' },
    ]);
  });

  it('startswith/endswith: an end event opens a transaction (read newest first), a start event closes it', async () => {
    // Search Reference example: `transaction JSESSIONID clientip startswith="view" endswith="purchase" | where
    // duration>0`. Oldest to newest for one session: view 100, addtocart 110, purchase 120, view 130, browse 140.
    // Newest first: browse and the last view come before any purchase (no transaction ends with them); purchase
    // opens, addtocart joins, view closes it.
    const s = 'JSESSIONID="S1", clientip="10.0.0.1"';
    const data = rows([140, 130, 120, 110, 100], [s, s, s, s, s]);
    const raw = `eval _raw=case(_time=100, "view", _time=110, "addtocart", _time=120, "purchase", _time=130, "view", true(), "browse")`;
    const out = await run(`${data} | ${raw} | transaction JSESSIONID clientip startswith="view" endswith="purchase" | where duration>0`);
    expect(out).toEqual([{ _time: 100, _raw: 'view\naddtocart\npurchase', JSESSIONID: 'S1', clientip: '10.0.0.1', duration: 20, eventcount: 3 }]);
  });

  it('runs the ESCU forms: startswith=(<search>) endswith=(<search>) then duration (Short Lived Scheduled Task)', async () => {
    // `transaction Task_Name startswith=(EventCode=4698) endswith=(EventCode=4699) | eval short_lived=case((duration<30),"TRUE")`
    const data = rows([125, 100, 90, 50, 10], ['Task_Name="t1", EventCode=4699', 'Task_Name="t1", EventCode=4698', 'Task_Name="t2", EventCode=4699', 'Task_Name="t2", EventCode=4698', 'Task_Name="t3", EventCode=4698']);
    const out = await run(`${data} | transaction Task_Name startswith=(EventCode=4698) endswith=(EventCode=4699) | eval short_lived=case((duration<30),"TRUE") | table Task_Name duration short_lived EventCode`);
    expect(out).toEqual([
      { Task_Name: 't1', duration: 25, short_lived: 'TRUE', EventCode: [4698, 4699] },
      { Task_Name: 't2', duration: 40, EventCode: [4698, 4699] },
    ]);
    // Mixed case keys and a quoted value inside the parentheses (ESCU: startsWith=(operationName="Enable account")).
    const az = rows([20, 10], ['user="u", op="Reset password (by admin)"', 'user="u", op="Enable account"']);
    expect(await run(`${az} | transaction user startsWith=(op="Enable account") endsWith=(op="Reset password (by admin)") maxspan=2m | table user eventcount duration`)).toEqual([
      { user: 'u', eventcount: 2, duration: 10 },
    ]);
  });

  it('startswith=eval(<boolean>) and a bare quoted search term', async () => {
    // transactiontypes.conf: "startswith=eval(foo<bar*2) will match events where foo is less than 2 x bar".
    const data = rows([30, 20, 10], ['k=1, foo=5, bar=1', 'k=1, foo=1, bar=1', 'k=1, foo=9, bar=1']);
    // Newest first: e1 opens, e2 (1 < 2) joins and closes it; e3 opens one that meets no start: not output.
    expect(await run(`${data} | transaction k startswith=eval(foo<bar*2) | table _raw eventcount`)).toEqual([{ _raw: 'e2\ne1', eventcount: 2 }]);
    expect(await run(`${data} | transaction k endswith="e2" | table _raw`)).toEqual([{ _raw: 'e3\ne2' }]);
  });

  it('keepevicted=true keeps transactions without their start, with closed_txn=0 (1 for closed ones)', async () => {
    // "Evicted transactions can be distinguished from non-evicted transactions by checking the value of the
    // 'closed_txn' field. The 'closed_txn' field is set to '0', or false, for evicted transactions and '1', or true
    // for non-evicted, or closed, transactions." (Search Reference, keepevicted)
    const data = rows([40, 30, 20, 10], ['u="a", act="logout"', 'u="a", act="login"', 'u="b", act="logout"', 'u="b", act="x"']);
    expect(await run(`${data} | transaction u startswith=(act=login) | table u eventcount`)).toEqual([{ u: 'a', eventcount: 2 }]);
    expect(await run(`${data} | transaction u startswith=(act=login) keepevicted=true | table u eventcount closed_txn`)).toEqual([
      { u: 'a', eventcount: 2, closed_txn: 1 },
      { u: 'b', eventcount: 2, closed_txn: 0 },
    ]);
  });

  it('mvlist lists every value oldest first with nullstr for a missing one; the default is distinct values sorted as text', async () => {
    // "When set to mvlist=true, the multivalued fields in the transaction are a list of the original events ...
    // When set to mvlist=false, ... a set of unique field values ordered alphabetically"; "nullstr: A string value
    // to use when rendering missing field values as part of multivalued fields" (Search Reference).
    const data = rows([30, 20, 10], ['k=1, v=9, w="x"', 'k=1, v=10', 'k=1, v=9, w="y"']);
    expect(await run(`${data} | transaction k | table v w`)).toEqual([{ v: [10, 9], w: ['x', 'y'] }]);
    expect(await run(`${data} | transaction k mvlist=t | table v w`)).toEqual([{ v: [9, 10, 9], w: ['y', 'NULL', 'x'] }]);
    expect(await run(`${data} | transaction k mvlist=w nullstr="-" | table v w`)).toEqual([{ v: [10, 9], w: ['y', '-', 'x'] }]);
    expect(await run(`${data} | transaction k mvraw=t | table _raw`)).toEqual([{ _raw: ['e3', 'e2', 'e1'] }]);
  });

  it('without fields one transaction runs at a time; events without any of the fields are orphans (keeporphans=true keeps them)', async () => {
    const data = rows([30, 20, 10], ['k=1', '', 'k=1']);
    expect(await run(`${data} | transaction maxpause=15s | table _raw`)).toEqual([{ _raw: 'e3\ne2\ne1' }]);
    expect(await run(`${data} | transaction k | table _raw`)).toEqual([{ _raw: 'e3\ne1' }]);
    expect(await run(`${data} | transaction k keeporphans=true | table _raw _txn_orphan eventcount`)).toEqual([
      { _raw: 'e2', _txn_orphan: 1 },
      { _raw: 'e3\ne1', eventcount: 2 },
    ]);
  });

  it('maxopentxn bounds the open transactions: the least recently extended is evicted, with a warning', async () => {
    // maxopentxn: "When this limit is surpassed, Splunk begins evicting transactions using LRU (least-recently-used
    // memory cache algorithm) policy" (transactiontypes.conf). Keys a b c a d, maxopentxn=2: c evicts a (extended
    // least recently), the second a finds no open a and evicts b, d evicts c; the second a and d are left at the end.
    const data = rows([50, 40, 30, 20, 10], ['k="a"', 'k="b"', 'k="c"', 'k="a"', 'k="d"']);
    const warnings: string[] = [];
    const { results } = await runSearch(`${data} | transaction k maxopentxn=2 keepevicted=t | table k closed_txn _raw`, { now: NOW, onWarning: (m) => warnings.push(m) });
    expect(results.map(toObject)).toEqual([
      { k: 'a', closed_txn: 0, _raw: 'e1' },
      { k: 'b', closed_txn: 0, _raw: 'e2' },
      { k: 'c', closed_txn: 0, _raw: 'e3' },
      { k: 'a', closed_txn: 0, _raw: 'e4' },
      { k: 'd', closed_txn: 0, _raw: 'e5' },
    ]);
    expect(warnings).toEqual(['transaction evicted 3 open transaction(s) at maxopentxn=2 / maxopenevents=100000 (kept, closed_txn=0)']);
  });

  it('1e6 distinct keys hold at most maxopentxn transactions; maxspan closes the expired ones instead of evicting them', async () => {
    const warnings: string[] = [];
    const many = '| makeresults count=1000000 | streamstats count as n | eval _time=2000000-n';
    const { results } = await runSearch(`${many} | transaction n maxopentxn=10 | stats count`, { now: NOW, onWarning: (m) => warnings.push(m) });
    expect(results.map(toObject)).toEqual([{ count: 10 }]);
    expect(warnings).toEqual(['transaction evicted 999990 open transaction(s) at maxopentxn=10 / maxopenevents=100000; they are dropped unless keepevicted=true']);
    // Each key's window has passed one second later: closed, not evicted, so every one comes out.
    const closed = await run('| makeresults count=100000 | streamstats count as n | eval _time=2000000-n | transaction n maxspan=1s maxopentxn=10 | stats count');
    expect(closed).toEqual([{ count: 100000 }]);
  });

  it('maxopenevents bounds the events held: one endless transaction is evicted each time it passes it', async () => {
    const data = '| makeresults count=1000 | streamstats count as n | eval _time=5000-n, k=1';
    const { results } = await runSearch(`${data} | transaction k maxevents=-1 maxopenevents=100 keepevicted=t | stats count max(eventcount) as most`, { now: NOW });
    // 1000 events: the 101st finds 100 held, so the transaction holding them is evicted and it opens the next: ten of 100.
    expect(results.map(toObject)).toEqual([{ count: 10, most: 100 }]);
  });

  it('sees events newest first over an unordered source and runs in the final part of a split', async () => {
    // Oldest first in the file; newest first r2 r1 | r0 with maxevents=2 (oldest first would give r0 r1 | r2).
    const events: Event[] = [0, 1, 2].map((i) => ({ _time: NOW - 100 + i, _raw: `r${i}`, index: 'main', sourcetype: 'json', source: 's', host: 'h' }));
    const { results } = await runSearch('index=main | eval k=1 | transaction k maxevents=2 | table _raw', { now: NOW, source: fileOf(events) });
    expect(results.map(toObject)).toEqual([{ _raw: 'r1\nr2' }, { _raw: 'r0' }]);
    const split = splitPlan(plan('index=main | eval x=1 | transaction x', { now: NOW, sourceNewestFirst: false }));
    expect(split.boundary).toBe(1);
    expect(split.stop).toBe('order matters from transaction on: the final part sorts the rows newest first');
    const ordered = splitPlan(plan('index=main | eval x=1 | transaction x', { now: NOW, sourceNewestFirst: true }));
    expect(ordered.stop).toBe('transaction depends on the order of its input: the final part takes the rows partition after partition');
  });

  it('gives over a shared scan what it gives alone', async () => {
    await sharedScanSame(['index=main | transaction name maxspan=10s | table _time name eventcount', 'index=main | transaction k keeporphans=t | table _raw']);
  });

  it('bounds the open field values (fields x maxopentxn): 64 fields x 1,000,000 transactions overflowed a Map', async () => {
    // It was "internal error: Map maximum size exceeded" once 262,144 transactions of 64 fields were open.
    const fields = Array.from({ length: 64 }, (_, i) => `f${i + 1}`).join(' ');
    const spl = `| makeresults | transaction ${fields} maxopentxn=1000000`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/64000000 open field values, above vigil's limit of 4000000: use at most maxopentxn=62500/);
    expect(e.format()).toContain(at(spl, '1000000'));
    // At the limit, and with the default maxopentxn, the same fields run.
    expect(await run(`| makeresults | eval f1=1 | transaction ${fields} maxopentxn=62500 | table eventcount`)).toEqual([{ eventcount: 1 }]);
    expect(await run(`| makeresults | eval f1=1 | transaction ${fields} | table eventcount`)).toEqual([{ eventcount: 1 }]);
  });

  it('rejects bad options at their place', async () => {
    const cases: [string, string, string][] = [
      ['| makeresults | transaction name=foo', 'name=foo', 'SPL_UNSUPPORTED_COMMAND'],
      ['| makeresults | transaction x maxspan=5w', '5w', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | transaction x maxopentxn=0', '0', 'SPL_BAD_ARGUMENT'],
      [`| makeresults | transaction x maxopentxn=${MAX_OPEN_TXN + 1}`, `${MAX_OPEN_TXN + 1}`, 'SPL_BAD_ARGUMENT'],
      ['| makeresults | transaction x startswith=(a=1', '(a=1', 'SPL_SYNTAX'],
      ['| makeresults | transaction x startswith=eval(len("a"))', 'len("a")', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | transaction x keepevicted=maybe', 'maybe', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | transaction x*', 'x*', 'SPL_BAD_ARGUMENT'],
    ];
    for (const [spl, text, code] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe(code);
      expect(e.format(), spl).toContain(at(spl, text));
    }
  });
});
