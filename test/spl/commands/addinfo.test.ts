import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { errorOf, NOW, run } from './helpers.js';

// Search Reference, addinfo (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/addinfo):
// "Adds fields to each event that contain global, common information about the search": info_min_time "The earliest
// time boundary for the search", info_max_time "The latest time boundary for the search", info_sid "The ID of the
// search that generated the event", info_search_time "The time when the search was run". For an all-time search
// Splunk writes info_min_time="0.000" and info_max_time="+Infinity" (a notable event's fields as Splunk gave them:
// `info_max_time="+Infinity", info_min_time="0.000", info_search_time="1554290847.423961000"`; searches test
// `info_max_time="+Infinity"` for it). info_sid is vigil's own (docs/spl.md, *Decision*).

const sid = (text: string, now: number) => `vigil_${Math.floor(now)}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;

describe('addinfo', () => {
  it('adds the all-time range, the search time and the search id to every result', async () => {
    const spl = '| makeresults count=2 | addinfo';
    const rows = await run(spl);
    const info = { info_min_time: '0.000', info_max_time: '+Infinity', info_search_time: '1700000000.000000000', info_sid: sid(spl, NOW) };
    expect(rows).toEqual([
      { _time: NOW, ...info },
      { _time: NOW, ...info },
    ]);
    // Another search, another id; the same search at the same time, the same one.
    expect((await run('| makeresults | addinfo'))[0]!.info_sid).toBe(sid('| makeresults | addinfo', NOW));
    expect((await run('| makeresults | addinfo'))[0]!.info_sid).not.toBe(rows[0]!.info_sid);
  });

  it('gives the search time to the microsecond, as Splunk prints it', async () => {
    const rows = rowsText(await search('* | head 1 | addinfo | table info_search_time info_sid', jsonEvents([{ a: 1 }], 1554290000), { now: 1554290847.423961 }));
    expect(rows).toEqual([{ info_search_time: '1554290847.423961000', info_sid: sid('* | head 1 | addinfo | table info_search_time info_sid', 1554290847.423961) }]);
  });

  // Example 2 ("Determine which heartbeats are later than expected"): "stats latest(_time) AS latest_time BY host |
  // addinfo | eval latest_age = info_max_time - latest_time | fields - info_*". The range is -1h..now: 1699996400 to
  // 1700000000; host a's latest event is at 1699999990 (age 10), host b's at 1699999980 (age 20).
  it('gives the time range after its modifiers (the heartbeat example)', async () => {
    const events = [
      { _time: 1699999970, _raw: '{"h":"a"}', host: 'a' },
      { _time: 1699999980, _raw: '{"h":"b"}', host: 'b' },
      { _time: 1699999990, _raw: '{"h":"a"}', host: 'a' },
      { _time: 1690000000, _raw: '{"h":"c"}', host: 'c' },
    ];
    const base = 'earliest=-1h latest=now | stats latest(_time) AS latest_time BY host | addinfo';
    expect(rowsText(await search(`${base} | table host info_min_time info_max_time`, events))).toEqual([
      { host: 'a', info_min_time: '1699996400.000', info_max_time: '1700000000.000' },
      { host: 'b', info_min_time: '1699996400.000', info_max_time: '1700000000.000' },
    ]);
    expect(rowsText(await search(`${base} | eval latest_age = info_max_time - latest_time | fields - info_* | table host latest_age`, events))).toEqual([
      { host: 'a', latest_age: '10' },
      { host: 'b', latest_age: '20' },
    ]);
    // Over all time, the usual guard: `if(info_max_time="+Infinity", info_search_time, info_max_time)`.
    const rows = await run('| makeresults | addinfo | eval m=if(info_max_time="+Infinity", info_search_time, info_max_time) - 100 | table m');
    expect(rows).toEqual([{ m: NOW - 100 }]);
  });

  it('takes no arguments', async () => {
    const e = await errorOf('| makeresults | addinfo x');
    expect([e.code, e.message]).toEqual(['SPL_SYNTAX', "unexpected 'x'"]);
  });

  it('runs in the parallel part (it does not depend on order), with the same values on every thread', async () => {
    const p = plan('* | addinfo | stats count BY info_sid', { now: NOW, tz: 'UTC', sourceNewestFirst: false });
    expect(describeSplit(p, splitPlan(p))).toBe('parallel: per partition: scan, leading search, addinfo, stats (partial state); final: merge stats');
    await expectPartitionedLikeOnePass(['* | addinfo | stats count BY info_min_time info_max_time info_search_time info_sid', '* | eval k=1 | addinfo | table _time info_*'], 9, NOW);
  }, 120_000);
});
