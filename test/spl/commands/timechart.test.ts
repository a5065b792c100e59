import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { plan, runSearch, SplError } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "timechart" (Splunk Enterprise 10.0 and 9.4,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/10.0/search-commands/timechart) and the SPL2
// reference's "timechart command: Usage"; choices where they are silent are docs/spl.md's *Decision:*s.
// Expected rows are worked out by hand from the inputs below.

/** 2023-11-14 00:00:00 UTC: the hour buckets below start here. */
const H = Date.UTC(2023, 10, 14) / 1000;

interface Ev {
  t: number;
  host?: string;
  x?: number;
}

/** Rows with the given `_time`, `host` (missing when absent) and `x`, in this order. */
function rows(evs: readonly Ev[]): string {
  const list = (f: (e: Ev) => string) => `mvindex(split("${evs.map(f).join(',')}", ","), n - 1)`;
  return (
    `| makeresults count=${evs.length} | streamstats count AS n | eval _time=tonumber(${list((e) => String(e.t))})` +
    ` | eval host=${list((e) => e.host ?? '')}, x=tonumber(${list((e) => (e.x === undefined ? '' : String(e.x)))})` +
    ' | eval host=if(host="", null(), host) | fields - n'
  );
}

/** Runs with a search time range (the default span and the buckets follow it). */
const inRange = async (spl: string, earliest: number, latest: number) => (await runSearch(spl, { now: NOW, earliest, latest })).results.map(toObject);

const hourly: Ev[] = [{ t: H + 600, x: 1 }, { t: H + 1800, x: 2 }, { t: H + 4200, x: 4 }, { t: H + 12000, x: 8 }];

describe('timechart without a split-by field', () => {
  it('counts per span=1h bucket, _time the bucket start, _span its length, empty buckets filled (cont=true)', async () => {
    // Reference, cont: "Specifies whether the chart is continuous or not. If set to true, the Search application
    // fills in the time gaps." 00:10 and 00:30 -> 00:00; 01:10 -> 01:00; none at 02:00; 03:20 -> 03:00.
    expect(await run(`${rows(hourly)} | timechart span=1h count`)).toEqual([
      { _time: H, count: 2, _span: 3600 },
      { _time: H + 3600, count: 1, _span: 3600 },
      { _time: H + 7200, count: 0, _span: 3600 },
      { _time: H + 10800, count: 1, _span: 3600 },
    ]);
    expect(await run(`${rows(hourly)} | timechart span=1h cont=false count`)).toEqual([
      { _time: H, count: 2, _span: 3600 },
      { _time: H + 3600, count: 1, _span: 3600 },
      { _time: H + 10800, count: 1, _span: 3600 },
    ]);
  });

  it('names a single series by its function call or AS name; empty buckets of other functions are empty', async () => {
    const out = await run(`${rows(hourly)} | timechart span=1h avg(x) sum(x) AS total dc(x)`);
    expect(out).toEqual([
      { _time: H, 'avg(x)': 1.5, total: 3, 'dc(x)': 2, _span: 3600 },
      { _time: H + 3600, 'avg(x)': 4, total: 4, 'dc(x)': 1, _span: 3600 },
      { _time: H + 7200, 'dc(x)': 0, _span: 3600 },
      { _time: H + 10800, 'avg(x)': 8, total: 8, 'dc(x)': 1, _span: 3600 },
    ]);
    expect(Object.keys(out[0]!)).toEqual(['_time', 'avg(x)', 'total', 'dc(x)', '_span']);
  });

  it('runs eval aggregations as stats does', async () => {
    expect(await run(`${rows(hourly)} | timechart span=2h count(eval(x>1)) AS big`)).toEqual([
      { _time: H, big: 2, _span: 7200 },
      { _time: H + 7200, big: 1, _span: 7200 },
    ]);
  });

  it('per_minute/per_hour/per_day: the sum per that time in each bucket', async () => {
    // Reference, time functions (timechart only): per_hour(X) "returns the values of field X ... for each hour";
    // the sum of each bucket scaled to the unit: 00:00 sums 1 + 2 over 3600 s.
    expect(await run(`${rows(hourly)} | timechart span=1h per_minute(x) per_hour(x) AS ph per_day(x)`)).toEqual([
      { _time: H, 'per_minute(x)': (3 * 60) / 3600, ph: 3, 'per_day(x)': 72, _span: 3600 },
      { _time: H + 3600, 'per_minute(x)': (4 * 60) / 3600, ph: 4, 'per_day(x)': 96, _span: 3600 },
      { _time: H + 7200, _span: 3600 },
      { _time: H + 10800, 'per_minute(x)': (8 * 60) / 3600, ph: 8, 'per_day(x)': 192, _span: 3600 },
    ]);
    // A month bucket is its own length: 56 over February 2023's 28 days.
    expect(await run(`${rows([{ t: Date.UTC(2023, 1, 10) / 1000, x: 56 }])} | timechart span=1mon per_day(x) per_second(x)`)).toEqual([
      { _time: Date.UTC(2023, 1, 1) / 1000, 'per_day(x)': 2, 'per_second(x)': 56 / (28 * 86400), _span: 28 * 86400 },
    ]);
  });

  it('emits nothing for no input', async () => {
    expect(await run('| makeresults | where 1=2 | timechart span=1h count')).toEqual([]);
  });
});

// 00:10 a, 00:11 b, 00:13 a, 01:06 c, 01:08 (no host), 01:10 b.
const hosts: Ev[] = [
  { t: H + 600, host: 'a', x: 1 },
  { t: H + 660, host: 'b', x: 5 },
  { t: H + 780, host: 'a', x: 2 },
  { t: H + 3960, host: 'c', x: 7 },
  { t: H + 4080, x: 9 },
  { t: H + 4200, host: 'b', x: 3 },
];

describe('timechart BY a split-by field', () => {
  it('makes a column per value, then NULL for rows without the field (usenull=true, nullstr=NULL)', async () => {
    const out = await run(`${rows(hosts)} | timechart span=1h count by host`);
    expect(out).toEqual([
      { _time: H, a: 2, b: 1, c: 0, NULL: 0, _span: 3600 },
      { _time: H + 3600, a: 0, b: 1, c: 1, NULL: 1, _span: 3600 },
    ]);
    expect(Object.keys(out[0]!)).toEqual(['_time', 'a', 'b', 'c', 'NULL', '_span']);
    expect(await run(`${rows(hosts)} | timechart span=1h usenull=f count by host`)).toEqual([
      { _time: H, a: 2, b: 1, c: 0, _span: 3600 },
      { _time: H + 3600, a: 0, b: 1, c: 1, _span: 3600 },
    ]);
    expect(await run(`${rows(hosts)} | timechart span=1h nullstr=none count by host`)).toEqual([
      { _time: H, a: 2, b: 1, c: 0, none: 0, _span: 3600 },
      { _time: H + 3600, a: 0, b: 1, c: 1, none: 1, _span: 3600 },
    ]);
  });

  it('keeps the limit= highest scoring series, the rest in OTHER', async () => {
    // Reference, limit: "the score is based on the sum of the values in the aggregation for that split-by value":
    // a 2, b 2, c 1, NULL 1. "Ties in scoring are broken lexicographically ... 'BBB' takes precedence over 'AAA'".
    const two = await run(`${rows(hosts)} | timechart span=1h limit=2 count by host`);
    expect(two).toEqual([
      { _time: H, a: 2, b: 1, OTHER: 0, _span: 3600 },
      { _time: H + 3600, a: 0, b: 1, OTHER: 2, _span: 3600 },
    ]);
    expect(Object.keys(two[0]!)).toEqual(['_time', 'a', 'b', 'OTHER', '_span']);
    expect(await run(`${rows(hosts)} | timechart span=1h limit=1 otherstr=rest count by host`)).toEqual([
      { _time: H, b: 1, rest: 2, _span: 3600 },
      { _time: H + 3600, b: 1, rest: 2, _span: 3600 },
    ]);
    expect(await run(`${rows(hosts)} | timechart span=1h limit=top1 useother=f count by host`)).toEqual([
      { _time: H, b: 1, _span: 3600 },
      { _time: H + 3600, b: 1, _span: 3600 },
    ]);
    // sum(x) scores a 3, b 8, c 7, NULL 9: bottom2 keeps a and c; OTHER sums b and the row without host.
    expect(await run(`${rows(hosts)} | timechart span=1h limit=bottom2 sum(x) by host`)).toEqual([
      { _time: H, a: 3, OTHER: 5, _span: 3600 },
      { _time: H + 3600, c: 7, OTHER: 12, _span: 3600 },
    ]);
    // agg=max scores by the largest bucket value instead: a 3, b 5, c 7, NULL 9 -> top2 is NULL and c.
    expect(await run(`${rows(hosts)} | timechart span=1h limit=2 agg=max sum(x) by host`)).toEqual([
      { _time: H, OTHER: 8, _span: 3600 },
      { _time: H + 3600, c: 7, NULL: 9, OTHER: 3, _span: 3600 },
    ]);
    // The syntax is "agg=<stats-agg-term>", a call with its field: agg=max(x) scores as agg=max, before or after the
    // aggregation (the series' values, whatever the field named).
    for (const spl of ['limit=2 agg=max(x) sum(x) by host', 'limit=2 sum(x) by host agg=max(x)']) {
      expect(await run(`${rows(hosts)} | timechart span=1h ${spl}`)).toEqual([
        { _time: H, OTHER: 8, _span: 3600 },
        { _time: H + 3600, c: 7, NULL: 9, OTHER: 3, _span: 3600 },
      ]);
    }
    // OTHER of avg is the average of the other series' rows, not of their averages: 00:00 holds b 5 alone and
    // a (1, 2): limit=1 keeps NULL (avg 9), OTHER 00:00 = (1+5+2)/3, 01:00 = (7+3)/2.
    expect(await run(`${rows(hosts)} | timechart span=1h limit=1 avg(x) by host`)).toEqual([
      { _time: H, OTHER: 8 / 3, _span: 3600 },
      { _time: H + 3600, NULL: 9, OTHER: 5, _span: 3600 },
    ]);
  });

  it('limit=0 keeps every series', async () => {
    const hosts12 = Array.from({ length: 12 }, (_, i) => ({ t: H + i, host: `h${String(i).padStart(2, '0')}` }));
    const [row] = await run(`${rows(hosts12)} | timechart span=1h limit=0 count by host`);
    expect(Object.keys(row!)).toEqual(['_time', ...hosts12.map((e) => e.host), '_span']);
    // Default limit=10: the 10 highest (all score 1: ties keep the lexicographically greatest), then OTHER.
    const [ten] = await run(`${rows(hosts12)} | timechart span=1h count by host`);
    expect(Object.keys(ten!)).toEqual(['_time', ...hosts12.slice(2).map((e) => e.host), 'OTHER', '_span']);
    expect(ten!.OTHER).toBe(2);
  });

  it('selects series with a where clause, which overrides limit=', async () => {
    // Reference: "With the limit and agg options, you can specify series filtering. These options are ignored if
    // you specify an explicit where-clause." Per-bucket counts: a (2, 0), b (1, 1), c (0, 1), NULL (0, 1).
    expect(await run(`${rows(hosts)} | timechart span=1h limit=1 count by host where max > 1`)).toEqual([
      { _time: H, a: 2, OTHER: 1, _span: 3600 },
      { _time: H + 3600, a: 0, OTHER: 3, _span: 3600 },
    ]);
    expect(await run(`${rows(hosts)} | timechart span=1h count by host where sum < 2 useother=f`)).toEqual([
      { _time: H, c: 0, NULL: 0, _span: 3600 },
      { _time: H + 3600, c: 1, NULL: 1, _span: 3600 },
    ]);
    expect(await run(`${rows(hosts)} | timechart span=1h count by host where max in top1`)).toEqual([
      { _time: H, a: 2, OTHER: 1, _span: 3600 },
      { _time: H + 3600, a: 0, OTHER: 3, _span: 3600 },
    ]);
    expect(await run(`${rows(hosts)} | timechart span=1h count by host where max notin top1 useother=false`)).toEqual([
      { _time: H, b: 1, c: 0, NULL: 0, _span: 3600 },
      { _time: H + 3600, b: 1, c: 1, NULL: 1, _span: 3600 },
    ]);
  });

  it('charts a value spelled NULL or OTHER in the NULL or OTHER column, merged with that series (one column each)', async () => {
    // Reference, chart/timechart: "nullstr: If usenull=true, specifies the label for the series that is created for
    // events that do not contain the split-by field"; "otherstr: ... the label for the series that is created in
    // the table and the graph" for the series past the limit. Columns are named by these labels as by values, so a
    // value spelled the same shares the column: docs/spl.md's *Decision:* merges them (it used to overwrite one).
    const nulls: Ev[] = [
      { t: H + 600, host: 'NULL', x: 1 },
      { t: H + 700, x: 2 },
      { t: H + 4000, host: 'NULL', x: 4 },
      { t: H + 4100, host: 'a', x: 8 },
      { t: H + 4200, x: 16 },
    ];
    // 00:00: NULL 1 + missing 1; 01:00: NULL 1 + missing 1, a 1. sum(x): 00:00 1 + 2, 01:00 4 + 16.
    const counted = await run(`${rows(nulls)} | timechart span=1h count by host`);
    expect(counted).toEqual([
      { _time: H, a: 0, NULL: 2, _span: 3600 },
      { _time: H + 3600, a: 1, NULL: 2, _span: 3600 },
    ]);
    expect(Object.keys(counted[0]!)).toEqual(['_time', 'a', 'NULL', '_span']);
    expect(await run(`${rows(nulls)} | timechart span=1h sum(x) by host`)).toEqual([
      { _time: H, NULL: 3, _span: 3600 },
      { _time: H + 3600, a: 8, NULL: 20, _span: 3600 },
    ]);
    // One series for limit=: NULL scores 4 (2 + 2), a 1.
    expect(await run(`${rows(nulls)} | timechart span=1h limit=1 count by host`)).toEqual([
      { _time: H, NULL: 2, OTHER: 0, _span: 3600 },
      { _time: H + 3600, NULL: 2, OTHER: 1, _span: 3600 },
    ]);
    // usenull=f: rows without host are skipped, and NULL is a value like any other.
    expect(await run(`${rows(nulls)} | timechart span=1h usenull=f count by host`)).toEqual([
      { _time: H, NULL: 1, a: 0, _span: 3600 },
      { _time: H + 3600, NULL: 1, a: 1, _span: 3600 },
    ]);

    // OTHER scores 3, a 2, b 1 (all in 00:00).
    const others: Ev[] = ['OTHER', 'OTHER', 'OTHER', 'a', 'a', 'b'].map((host, i) => ({ t: H + 600 + i * 100, host }));
    // limit=1 keeps the value OTHER, and a and b go to OTHER: one column, 3 + 2 + 1.
    expect(await run(`${rows(others)} | timechart span=1h limit=1 count by host`)).toEqual([{ _time: H, OTHER: 6, _span: 3600 }]);
    const two = await run(`${rows(others)} | timechart span=1h limit=2 count by host`);
    expect(two).toEqual([{ _time: H, a: 2, OTHER: 4, _span: 3600 }]);
    expect(Object.keys(two[0]!)).toEqual(['_time', 'a', 'OTHER', '_span']);
    // Nothing past the limit: no OTHER series, the value is a column among the values (byte order: O before a).
    expect(Object.keys((await run(`${rows(others)} | timechart span=1h limit=3 count by host`))[0]!)).toEqual(['_time', 'OTHER', 'a', 'b', '_span']);
    expect(await run(`${rows(others)} | timechart span=1h limit=1 useother=f count by host`)).toEqual([{ _time: H, OTHER: 3, _span: 3600 }]);
  });

  it('names columns <agg><sep><value> for several aggregations, or by format=', async () => {
    // Reference, sep: "equivalent to setting format to $AGG$<sep>$VAL$"; format: "$AGG$ ... and the value of the
    // split-by-field ($VAL$)".
    const evs: Ev[] = [{ t: H + 600, host: 'a', x: 1 }, { t: H + 700, host: 'b', x: 5 }, { t: H + 4000, host: 'a', x: 3 }];
    const out = await run(`${rows(evs)} | timechart span=1h count max(x) by host`);
    expect(out).toEqual([
      { _time: H, 'count: a': 1, 'count: b': 1, 'max(x): a': 1, 'max(x): b': 5, _span: 3600 },
      { _time: H + 3600, 'count: a': 1, 'count: b': 0, 'max(x): a': 3, _span: 3600 },
    ]);
    expect(Object.keys(out[0]!)).toEqual(['_time', 'count: a', 'count: b', 'max(x): a', 'max(x): b', '_span']);
    expect(Object.keys((await run(`${rows(evs)} | timechart span=1h sep=- count max(x) by host`))[0]!)).toEqual(['_time', 'count-a', 'count-b', 'max(x)-a', 'max(x)-b', '_span']);
    expect(Object.keys((await run(`${rows(evs)} | timechart span=1h format="$VAL$ $AGG$" count max(x) AS m by host`))[0]!)).toEqual(['_time', 'a count', 'b count', 'a m', 'b m', '_span']);
  });
});

describe('timechart spans', () => {
  // SPL2 reference, "timechart command: Usage": "If you do not specify either bins or span, the timechart command
  // uses the default bins=100", and its table of default spans: "Last 15 minutes | 10 seconds", "Last 60 minutes |
  // 1 minute", "Last 4 hours | 5 minutes", "Last 24 hours | 30 minutes", "Last 7 days | 1 day", "Last 30 days |
  // 1 day", "Previous year | 1 month".
  const one = `| makeresults | eval _time=${NOW - 100}`;
  it.each([
    ['Last 15 minutes', 900, 10, 90],
    ['Last 60 minutes', 3600, 60, 61],
    ['Last 4 hours', 4 * 3600, 300, 49],
    ['Last 24 hours', 86400, 1800, 49],
    ['Last 7 days', 7 * 86400, 86400, 8],
    ['Last 30 days', 30 * 86400, 86400, 31],
  ])('%s: span %i s, every bucket of the range', async (_name, back, span, buckets) => {
    // NOW = 1700000000 is on a 10 s boundary (the last 15 minutes are 90 whole buckets), not on a minute's (one more).
    const out = await inRange(`${one} | timechart count`, NOW - back, NOW);
    expect(out.length).toBe(buckets);
    expect(new Set(out.map((r) => r._span))).toEqual(new Set([span]));
    expect(out.reduce((n, r) => n + (r.count as number), 0)).toBe(1);
  });

  it('Previous year: calendar months, _span each month\'s length', async () => {
    const out = await inRange('| makeresults | eval _time=1660000000 | timechart count', Date.UTC(2022, 0, 1) / 1000, Date.UTC(2023, 0, 1) / 1000);
    expect(out.map((r) => r._time)).toEqual(Array.from({ length: 12 }, (_, m) => Date.UTC(2022, m, 1) / 1000));
    expect(out[0]!._span).toBe(31 * 86400);
    expect(out[1]!._span).toBe(28 * 86400);
    // 1660000000 is 2022-08-08.
    expect(out[7]!.count).toBe(1);
  });

  it('fixedrange=false: the buckets follow the data within a time range', async () => {
    // SPL2 reference, fixedrange: "Setting fixedrange=false allows the timechart command to constrict or expand to the
    // time range covered by all events". The span still comes from the range (30 minutes for 24 hours).
    expect(await inRange(`${one} | timechart fixedrange=false count`, NOW - 86400, NOW)).toEqual([{ _time: 1699999200, count: 1, _span: 1800 }]);
  });

  it('partial=false drops a first and last bucket the range covers in part', async () => {
    // Reference, partial: "Controls if partial time bins should be retained or not. Only the first and last bin can
    // be partial." The last 24 hours from 1700000000 start at 1699913600, inside the 30-minute bucket of 1699912800.
    const out = await inRange(`${one} | timechart partial=false count`, NOW - 86400, NOW);
    expect(out.length).toBe(47);
    expect(out[0]!._time).toBe(1699912800 + 1800);
    expect(out[46]!._time).toBe(1699999200 - 1800);
  });

  it('over all time follows the data: the smallest span giving at most bins= buckets', async () => {
    // 1 s would make 200 buckets of H+1 .. H+200; 5 s makes 41 (H .. H+200). H+1 and H+3 share a 5 s bucket.
    const out = await run(`${rows([{ t: H + 1 }, { t: H + 3 }, { t: H + 30 }, { t: H + 200 }])} | timechart count`);
    expect(out.length).toBe(41);
    expect(out[0]).toEqual({ _time: H, count: 2, _span: 5 });
    expect(out.filter((r) => r.count !== 0)).toEqual([{ _time: H, count: 2, _span: 5 }, { _time: H + 30, count: 1, _span: 5 }, { _time: H + 200, count: 1, _span: 5 }]);
    // Ten days: 240 hourly buckets, so daily ones.
    const days = await run(`${rows([{ t: H + 5 * 86400 }, { t: H }, { t: H + 9.5 * 86400 }])} | timechart count`);
    expect(days.map((r) => r.count)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(days[0]!._span).toBe(86400);
    // bins=5 over H .. H+200: 5 s gives 41, 30 s 7, 60 s 4.
    expect((await run(`${rows([{ t: H + 1 }, { t: H + 200 }])} | timechart bins=5 count`)).map((r) => r._span)).toEqual([60, 60, 60, 60]);
    // minspan=15m: the reference's example, "the minimum span that can be used is 1800 seconds".
    expect((await run(`${rows([{ t: H + 1 }, { t: H + 200 }])} | timechart minspan=15m count`)).map((r) => r._span)).toEqual([1800]);
  });

  it('start=/end= widen the range of the data; aligntime= moves sub-day buckets as bin does', async () => {
    // bin options (timechart's bin-options): start/end "expand the range, not shorten" it. H .. H+9.5 days: daily buckets.
    const out = await run(`${rows([{ t: H + 5 * 86400 }])} | timechart start=${H} end=${H + 9.5 * 86400} count`);
    expect(out.map((r) => r.count)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(out[0]!._time).toBe(H);
    // aligntime=<epoch>: hour buckets from H-1800 (on every half hour); 00:10 falls in 23:30 .. 00:30.
    expect(await run(`${rows([{ t: H + 600 }])} | timechart span=1h aligntime=${H - 1800} count`)).toEqual([{ _time: H - 1800, count: 1, _span: 3600 }]);
  });

  it('span=1d buckets start at local midnight', async () => {
    const out = (await runSearch(`${rows([{ t: H + 3600 }])} | timechart span=1d count`, { now: NOW, tz: 'America/New_York' })).results.map(toObject);
    // 01:00 UTC on Nov 14 is Nov 13 20:00 in New York (UTC-5): the bucket starts Nov 13 05:00 UTC.
    expect(out).toEqual([{ _time: Date.UTC(2023, 10, 13, 5) / 1000, count: 1, _span: 86400 }]);
  });
});

describe('timechart bounds (hostile input)', () => {
  it('refuses a span that would make more than 50,000 buckets of the range, before reading events', async () => {
    const spl = '| makeresults | timechart span=1s count';
    const e = await runSearch(spl, { now: NOW, earliest: NOW - 100 * 365 * 86400, latest: NOW }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SplError);
    expect((e as SplError).code).toBe('SPL_BAD_ARGUMENT');
    expect((e as SplError).message).toMatch(/50000/);
    expect((e as SplError).format()).toContain(at(spl, '1s'));
  });

  it('refuses it over all time as soon as the data spreads that far', async () => {
    const e = await errorOf(`${rows([{ t: H }, { t: H + 100 * 365 * 86400 }])} | timechart span=1s count`);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/50000/);
  });

  it('refuses a sub-second span that times this large cannot tell apart (it looped forever)', async () => {
    // Near 1e15 a double steps by 0.125 s, in year 9999 (2.5e11) by ~3e-5 s: 1ms and 10us buckets have no next start.
    for (const [t, span] of [
      ['1e15', '1ms'],
      ['253402300000', '10us'],
    ] as const) {
      const spl = `| makeresults count=2 | streamstats count AS n | eval _time=${t}+n*0.01 | timechart span=${span} count`;
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/span is finer than _time can be told apart/);
      expect(e.format()).toContain(at(spl, span));
    }
    // The same span over ordinary times charts every bucket: 0.01 s of 1ms buckets is 11 of them.
    expect((await run('| makeresults count=2 | streamstats count AS n | eval _time=1700000000+n*0.01 | timechart span=1ms count')).length).toBe(11);
  });

  it('refuses bins= above the maximum and more than 5,000,000 cells', async () => {
    expect((await errorOf('| makeresults | timechart bins=60000 count')).message).toMatch(/bins= is at most 50000/);
    // 50,000 one-second buckets x 101 series with limit=0.
    const spl = `| makeresults count=101 | streamstats count AS host | eval _time=${NOW - 1} | timechart span=1s limit=0 count by host`;
    const e = await runSearch(spl, { now: NOW, earliest: NOW - 50_000, latest: NOW }).catch((x: unknown) => x);
    expect((e as SplError).message).toMatch(/5000000 cells/);
  });

  it('charts 100,000 distinct split-by values as 10 series and OTHER', async () => {
    const { results } = await runSearch('| makeresults count=100000 | streamstats count AS host | eval _time=1700000000 | timechart span=1h count by host', { now: NOW });
    const out = results.map(toObject);
    expect(out.length).toBe(1);
    // All score 1: the ten greatest values win the tie (10 takes precedence over 9). Field order from the row
    // itself (a plain object lists integer-like keys first).
    expect(results[0]!.fieldNames()).toEqual(['_time', ...Array.from({ length: 10 }, (_, i) => String(99991 + i)), 'OTHER', '_span']);
    expect(out[0]!.OTHER).toBe(99990);
  });
});

describe('timechart arguments', () => {
  it.each([
    ['| makeresults | timechart span=1h', /needs a statistical function/],
    ['| makeresults | timechart count by a b', /splits by one field/],
    ['| makeresults | timechart count where max in top5', /after BY/],
    ['| makeresults | timechart count by a where max in middle5', /top<N> or bottom<N>/],
    ['| makeresults | timechart count by a where max', /expected in, notin/],
    ['| makeresults | timechart count max(x) by a where max in top5', /single aggregation/],
    ['| makeresults | timechart limit=many count', /limit= needs a number/],
    ['| makeresults | timechart span=log count', /log span/],
    ['| makeresults | timechart agg=nosuch count', /unknown statistical function/],
    ['| makeresults | timechart count count', /two aggregations are named count/],
    ['| makeresults | timechart eval(x+1) by a', /not supported/],
  ])('%s', async (spl, message) => {
    const e = await errorOf(spl);
    expect(e.message).toMatch(message);
  });

  it('takes options before or after the aggregation and BY', async () => {
    expect(await run(`${rows(hosts)} | timechart count span=1h by host limit=1 useother=f`)).toEqual([
      { _time: H, b: 1, _span: 3600 },
      { _time: H + 3600, b: 1, _span: 3600 },
    ]);
  });
});

describe('timechart in ESCU searches', () => {
  it('fills 5-minute buckets inside appendpipe (Detect Distributed Password Spray Attempts)', async () => {
    // `appendpipe [| timechart limit=0 span=5m count | table _time]`: the ESCU comment says it is there to "fill out
    // time buckets for 0-count events": rows at 00:01 and 00:17 give buckets 00:00, 00:05, 00:10, 00:15.
    const out = await run(`${rows([{ t: H + 60 }, { t: H + 1020 }])} | eval total_failures=3 | appendpipe [| timechart limit=0 span=5m count | table _time] | table _time total_failures`);
    expect(out).toEqual([
      { _time: H + 60, total_failures: 3 },
      { _time: H + 1020, total_failures: 3 },
      { _time: H },
      { _time: H + 300 },
      { _time: H + 600 },
      { _time: H + 900 },
    ]);
  });
});

describe('timechart on several threads', () => {
  it('splits into a partial state per partition and a merge', () => {
    const p = plan('* | timechart span=1m count by process_name', { now: 1795200000, tz: 'UTC' });
    expect(describeSplit(p, splitPlan(p))).toBe('parallel: per partition: scan, leading search, timechart (partial state); final: merge timechart');
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass([
      '* | timechart count',
      '* | timechart span=1m count by process_name',
      '* | timechart limit=2 avg(process_id) max(process_id) by node_name',
      '* | timechart bins=10 dc(process_name) by pod_name where max in top3',
    ], 7, NOW, 1);
  }, 120_000);
});

describe('timechart split-by values named like its own columns', () => {
  it('a series named _time or _span does not replace the bucket start or length', async () => {
    // A process can be named `_time`: its column must not move the bucket (it made _time 1, the count).
    const spl = `${rows([{ t: H + 10, host: '_time' }, { t: H + 20, host: '_span' }, { t: H + 30, host: 'a' }])} | timechart span=1h count by host`;
    const { results } = await runSearch(spl, { now: NOW });
    expect(results.map(toObject)).toEqual([{ _time: H, a: 1, _span: 3600 }]);
    expect(results[0]!.fieldNames()[0]).toBe('_time');
  });
});
