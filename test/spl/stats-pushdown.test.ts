// The stats pushdown decision (spl/plan/pushdown.ts) and the engine's use of a source's groups (spl/exec/pushdown.ts),
// without a server: which searches a store may aggregate, what --explain says, and a source answering `aggregate`
// from its own events (as the ClickHouse store does in SQL, test/cluster/stats-pushdown.test.ts) giving exactly the
// rows of the scan, order included.
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { metadataPredicate, type AggregateSpec, type EventSource, type MetadataAggregate, type ScanRequest } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { explainPlan, plan, runSearch, statsPushdown } from '../../src/spl/index.js';
import { memorySource } from '../helpers.js';

const decide = (spl: string) => statsPushdown(plan(spl, { now: 1_800_000_000 }));

describe('which stats a source that aggregates computes', () => {
  it.each([
    ['index=* | stats count by sourcetype', ['sourcetype'], 1],
    ['index=* | stats count min(_time) max(_time) dc(host) values(sourcetype) by index', ['index', 'host', 'sourcetype'], 1],
    ['| tstats count where index=* by sourcetype', ['sourcetype'], 1],
    ['index=main sourcetype=st* host IN (a, "b*") (source=x OR source=y) earliest=-1d | stats c by host', ['host'], 1],
    ['index=* | stats min(host) max(host) count(host) estdc(source) as n', ['host', 'source'], 0],
    ['earliest=-1h | stats count', [], 0],
    ['index=* | bin _time span=1h | stats count max(_time) by _time, sourcetype', ['sourcetype'], 1],
    ['index=* | bin _time span=1d | stats count min(_time) by host', ['host'], 1],
    ['| tstats count where index=* by _time span=10m, host', ['host'], 1],
  ] as const)('%s: pushed, grouped by %j', (spl, columns, byColumns) => {
    const p = decide(spl);
    expect(typeof p).not.toBe('string');
    expect(p).toMatchObject({ columns, byColumns });
  });

  it.each([
    ['index=* curl | stats count by sourcetype', /raw-text condition/],
    ['index=* user=alice | stats count', /raw-text condition/],
    ['index=* _time>5 | stats count', /leading search tests more/],
    ['index=* NOT host=a | stats count', /leading search tests more/],
    ['index=* host!=a | stats count', /leading search tests more/],
    ['index=* sourcetype=10 | stats count', /leading search tests more/],
    ['index=* host=10.0.0.0/8 | stats count', /leading search tests more/],
    ['index=a OR sourcetype=b | stats count', /leading search tests more/],
    ['index=* | eval x=1 | stats count by x', /first command after the search is eval/],
    ['index=* | stats count by user', /groups by user/],
    ['index=* | stats count by _time', /groups by _time/],
    ['index=* | stats sum(_time)', /sum\(_time\) is not computed/],
    ['index=* | stats dc(_time)', /dc\(_time\) is not computed/],
    ['index=* | stats values(user)', /values\(user\) is not computed/],
    ['index=* | stats count(eval(host="a")) as n', /n evaluates an expression/],
    ['index=* | stats first(host)', /first\(host\) is not computed/],
    ['| tstats count where index=* by _time', /does not split/],
    ['index=* | bin _time bins=10 | stats count by _time', /not a plain bin _time span/],
    ['index=* | bin _time span=1h aligntime=@d+3h | stats count by _time', /not a plain bin _time span/],
    ['index=* | bin _time span=1h | eval x=1 | stats count', /not stats or tstats/],
    ['| tstats count where index=* host=a* user=x by host', /tstats WHERE tests more/],
    ['| makeresults | stats count', /generates its results/],
  ] as const)('%s: not pushed (%s)', (spl, reason) => {
    expect(decide(spl)).toMatch(reason);
  });

  it('--explain says whether the store computes the stats, and why not', () => {
    const p = plan('index=* | stats count by host', { now: 0 });
    expect(explainPlan(p, { aggregates: true })).toContain('stats pushed down to the store: it counts events by host; vigil merges the groups');
    expect(explainPlan(p)).toContain('stats pushdown: possible, but this event source does not aggregate');
    expect(explainPlan(plan('index=* curl | stats count', { now: 0 }), { aggregates: true })).toContain('stats pushdown: none (the search has a raw-text condition');
    expect(explainPlan(plan('index=* | head 3', { now: 0 }), { aggregates: true })).not.toContain('stats push');
    expect(explainPlan(plan('index=* | bin _time span=1h | stats dc(host) by _time', { now: 0 }), { aggregates: true })).toContain('counts events by host, _time bins');
    expect(explainPlan(plan('index=* | bin _time bins=5 | stats count by _time', { now: 0 }), { aggregates: true })).toContain('stats pushdown: none (bin is not a plain bin _time span');
  });
});

/**
 * A newest-first source over `events` (given newest first) that also aggregates them, by brute force: what
 * aggregate must answer, groups in the order the scan meets them.
 */
function aggregatingSource(events: Event[], grainScale = 1): EventSource & { aggregated: number } {
  const scan = memorySource(events, true);
  const src = {
    newestFirst: true,
    aggregated: 0,
    scan: (req: ScanRequest) => scan.scan(req),
    aggregate: async (req: ScanRequest, spec: AggregateSpec): Promise<MetadataAggregate> => {
      src.aggregated++;
      const test = metadataPredicate(req);
      const groups = new Map<string, MetadataAggregate['groups'][number]>();
      for (const e of events) {
        if (!test(e) || (req.earliest !== null && e._time < req.earliest) || (req.latest !== null && e._time >= req.latest)) continue;
        const values = spec.columns.map((c) => e[c]);
        const grain = spec.timeGrain === undefined ? null : Math.floor(Math.round(e._time * 1e6) / (spec.timeGrain * grainScale));
        const key = JSON.stringify([grain, values]);
        const g = groups.get(key);
        if (!g) groups.set(key, { values, count: 1, earliest: e._time, latest: e._time });
        else {
          g.count++;
          g.earliest = Math.min(g.earliest, e._time);
          g.latest = Math.max(g.latest, e._time);
        }
      }
      return { groups: [...groups.values()] };
    },
  };
  return src;
}

function rowsText(rows: Awaited<ReturnType<typeof runSearch>>['results']): string[] {
  return rows.map((r) => JSON.stringify(r.fieldNames().map((f) => [f, valuesOf(r.get(f)).map(toText)])));
}

describe('stats from the groups of a source that aggregates', () => {
  const values = ['1', '01', '1.0', 'St', 'st', 'é', '\u212a', '', "o'x", '9', '10', 'b\\c'];
  const events: Event[] = [];
  let seed = 3;
  const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  for (let i = 0; i < 400; i++) {
    events.push({
      _time: 1_700_000_000 - Math.floor(i / 3) * 0.5, // newest first, ties in threes
      index: ['main', 'Ops'][next(2)]!,
      sourcetype: values[next(values.length)]!,
      source: values[next(values.length)]!,
      host: values[next(values.length)]!,
      _raw: '{}',
    });
  }

  it.each([
    'index=* | stats count by sourcetype',
    'index=* | stats count min(_time) max(_time) dc(host) values(source) min(host) max(host) by index, sourcetype',
    '| tstats count values(host) where index=ops by sourcetype, source',
    'index=* host=*1* | stats count by host | sort - count',
    'index=* earliest=1699999950 latest=1699999990 | stats count dc(sourcetype) by host',
    'index=* | stats count',
    'index=none | stats count',
    'index=* | bin _time span=5s | stats count max(_time) min(_time) by _time, index',
    'index=* | bin _time span=1d | stats count min(_time) max(_time) by host',
    '| tstats count dc(host) where index=* by _time span=2s, sourcetype',
    '| tstats count where index=* by sourcetype, _time span=1mon',
  ])('%s: the same rows as over the scan', async (spl) => {
    const scanned = await runSearch(spl, { source: memorySource(events, true), now: 1_800_000_000 });
    const src = aggregatingSource(events);
    const pushed = await runSearch(spl, { source: src, now: 1_800_000_000 });
    expect(src.aggregated).toBe(1);
    expect(pushed.stats.pushedDown).toBe(true);
    expect(rowsText(pushed.results)).toEqual(rowsText(scanned.results));
  });

  it('scans when a group of the source spans two time bins', async () => {
    const spl = 'index=* | bin _time span=2s | stats count by _time, host';
    const scanned = await runSearch(spl, { source: memorySource(events, true), now: 1_800_000_000 });
    const src = aggregatingSource(events, 5); // grains of 10 s: each holds five bins
    const r = await runSearch(spl, { source: src, now: 1_800_000_000 });
    expect(src.aggregated).toBe(1);
    expect(r.stats.pushedDown).toBeUndefined();
    expect(rowsText(r.results)).toEqual(rowsText(scanned.results));
  });

  it('is not used for a search it cannot compute', async () => {
    const src = aggregatingSource(events);
    const r = await runSearch('index=* | eval x=1 | stats count by x', { source: src, now: 1_800_000_000 });
    expect(src.aggregated).toBe(0);
    expect(r.stats.pushedDown).toBeUndefined();
    expect(r.results[0]!.get('count')).toBe(400);
  });
});

describe('a scan for a search that reads only time and metadata', () => {
  it('is marked metadataOnly (a source need not hand on the events\' text), exactly when the stats could be pushed', async () => {
    const src = memorySource([{ sourcetype: 'a' }, { sourcetype: 'b' }, { sourcetype: 'a' }]);
    const counted = await runSearch('index=* | stats count by sourcetype', { source: src, now: 1_800_000_000 });
    expect(src.lastRequest?.metadataOnly).toBe(true);
    expect(counted.results.map((r) => [r.get('sourcetype'), r.get('count')])).toEqual([['a', 2], ['b', 1]]);
    for (const spl of ['index=* | stats count by process_name', 'index=* curl | stats count by sourcetype', 'index=* | table _raw']) {
      await runSearch(spl, { source: src, now: 1_800_000_000 });
      expect(src.lastRequest?.metadataOnly, spl).toBeUndefined();
    }
  });
});
