import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { parseSpan } from '../../../src/spl/time/span.js';
import { aggregationFor } from '../../../src/spl/stats/aggregations.js';
import { Sparkline, SPARKLINE_MARKER, SPARKLINE_MAXSIZE, type SparklineSpec } from '../../../src/spl/stats/sparkline.js';
import { outputSink } from '../../../src/cli/output.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at } from '../commands/helpers.js';

const NOW = 1_700_000_000;
/** A whole hour (1699999200 = 472222 × 3600), so 1m, 5m and 1h buckets start on it. */
const BASE = 1_699_999_200;
const ev = (t: number, host: string, bytes: number | string) => ({ _time: t, _raw: JSON.stringify({ bytes }), index: 'main', sourcetype: 'json', source: 's', host });
const EVENTS = [ev(BASE + 10, 'a', 1), ev(BASE + 70, 'a', 2), ev(BASE + 75, 'b', 3), ev(BASE + 250, 'a', 4)];

async function rows(spl: string, events: ConstructorParameters<typeof MemorySource>[0] = EVENTS): Promise<Record<string, unknown>[]> {
  return (await runSearch(spl, { now: NOW, source: new MemorySource(events) })).results.map(toObject);
}

async function failure(spl: string): Promise<{ code: string; text: string }> {
  try {
    await runSearch(spl, { now: NOW, source: new MemorySource(EVENTS) });
  } catch (e) {
    const err = e as { code: string; format(): string };
    return { code: err.code, text: err.format() };
  }
  throw new Error(`expected an error from ${spl}`);
}

const line = (...values: number[]) => [SPARKLINE_MARKER, ...values];

describe('stats sparkline', () => {
  it('counts per bucket of the span given, every group on one axis (Search Reference, stats: "sparkline(count(<wc-field>), <span-length>)")', async () => {
    // The sparkline is exported as a multivalue: the marker ##__SPARKLINE__## then one number per bucket, oldest
    // first. By hand, 1m buckets from BASE to BASE+240 (5 buckets): host a at +10, +70, +250 -> 1,1,0,0,1;
    // host b at +75 -> 0,1,0,0,0. sum(bytes) in 2m buckets (BASE, +120, +240): a 1+2, 0, 4; b 3, 0, 0.
    expect(await rows('index=main | stats sparkline(count, 1m) sparkline(sum(bytes), 2m) AS s by host')).toEqual([
      { host: 'a', 'sparkline(count, 1m)': line(1, 1, 0, 0, 1), s: line(3, 0, 4) },
      { host: 'b', 'sparkline(count, 1m)': line(0, 1, 0, 0, 0), s: line(3, 0, 0) },
    ]);
    // `sparkline(c(bytes), 1m)`: c is count; of a field, its values.
    expect(await rows('index=main | stats sparkline(c(bytes), 1m) AS s')).toEqual([{ s: line(1, 2, 0, 0, 1) }]);
  });

  it('bare sparkline is sparkline(count), named "sparkline"; over all time the span follows the data (at most 100 buckets)', async () => {
    // Search Manual, "Add sparklines to search results": "index=_internal | chart sparkline count by sourcetype"
    // gives "three columns: sourcetype, sparkline, and count". The ESCU search writes `stats sparkline, count, ...`.
    // By hand: the times span 240 s; 1 s buckets would be 241, 5 s buckets 49 (BASE+10 ... BASE+250), so 5 s:
    // a at indexes 0, 12, 48; b at 13.
    const a = Array<number>(49).fill(0);
    a[0] = a[12] = a[48] = 1;
    const b = Array<number>(49).fill(0);
    b[13] = 1;
    expect(await rows('index=main | stats sparkline, count by host')).toEqual([
      { host: 'a', sparkline: line(...a), count: 3 },
      { host: 'b', sparkline: line(...b), count: 1 },
    ]);
  });

  it('spans the search time range when it has one, in at most 100 buckets (Decision: the timechart ladder)', async () => {
    // earliest=-1h: [NOW-3600, NOW) on 5m buckets (1h/1m would be 61 buckets... 1m fits in 100: by hand 1699996400 to
    // 1699999999 floors to 1m buckets 1699996380 ... 1699999980: 61 buckets).
    const r = await rows('index=main earliest=-1h | stats sparkline AS s by host');
    const a = Array<number>(61).fill(0);
    // BASE+10 and BASE+70 fall in minutes 47 and 48 from 1699996380 ((1699999200-1699996380)/60 = 47); BASE+250 in 51.
    a[47] = a[48] = a[51] = 1;
    expect(r[0]).toEqual({ host: 'a', s: line(...a) });
    // With a span: 13 buckets of 5m from 1699996200 to 1699999800; all of a's events in the 11th (index 10).
    const five = Array<number>(13).fill(0);
    five[10] = 3;
    expect((await rows('index=main earliest=-1h | stats sparkline(count, 5m) AS s by host'))[0]).toEqual({ host: 'a', s: line(...five) });
  });

  it('runs ESCU "PaperCut NG Suspicious Behavior Debug Log" (stats sparkline, count, ... BY host, index, sourcetype)', async () => {
    // Its macros expanded (papercutng is sourcetype="papercutng"; the filter macro left out). By hand: the admin events
    // at BASE+10 (a matching URI, a private IP) and BASE+130 (/app and the public 8.8.8.8) pass the where; the one at
    // BASE+20 is no admin. Over all time the axis is the data's 120 s: 1 s buckets would be 121, 5 s give 25 (BASE+10
    // ... BASE+130), the events in the first and the last.
    const pc = (t: number, raw: object) => ({ _time: t, _raw: JSON.stringify(raw), index: 'main', sourcetype: 'papercutng', source: 's', host: 'print1' });
    const first = { loginType: 'Admin', msg: 'GET /app?service=page/SetupCompleted from 10.0.0.5' };
    const last = { userName: 'admin', msg: 'GET /app from 8.8.8.8' };
    const events = [pc(BASE + 10, first), pc(BASE + 20, { loginType: 'User', msg: 'GET /app from 8.8.4.4' }), pc(BASE + 130, last)];
    const spl =
      'sourcetype="papercutng" (loginType=Admin OR userName=admin) | eval uri_match=if(match(_raw, "(?i)(\\/app\\?service=page\\/SetupCompleted|\\/app|\\/app\\?service=page\\/PrinterList|\\/app\\?service=direct\\/1\\/PrinterList\\/selectPrinter&sp=l1001|\\/app\\?service=direct\\/1\\/PrinterDetails\\/printerOptionsTab\\.tab)"), "URI matches", null()) | eval ip_match=if(match(_raw, "(?i)((25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))") AND NOT match(_raw, "(?i)(10\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))|(172\\.(1[6-9]|2[0-9]|3[0-1])\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))|(192\\.168\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.(25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))"), "IP matches", null()) | where  (isnotnull(uri_match) OR isnotnull(ip_match)) | stats sparkline, count, values(uri_match) AS uri_match, values(ip_match) AS ip_match latest(_raw) BY host, index, sourcetype';
    const axis = Array<number>(25).fill(0);
    axis[0] = axis[24] = 1;
    expect(await rows(spl, events)).toEqual([
      { host: 'print1', index: 'main', sourcetype: 'papercutng', sparkline: line(...axis), count: 2, uri_match: 'URI matches', ip_match: 'IP matches', 'latest(_raw)': JSON.stringify(last) },
    ]);
  });

  it('chart sparkline count by <row-split> gives what stats gives (Search Manual: "chart sparkline count by sourcetype")', async () => {
    // "This results in a table that is almost the same as the preceding one, except that now, for each row you have a
    // sparkline chart": three columns, the row-split, sparkline and count. By hand as above: 1m buckets BASE ... +240.
    expect(await rows('index=main | chart sparkline(count, 1m) count by host')).toEqual([
      { host: 'a', 'sparkline(count, 1m)': line(1, 1, 0, 0, 1), count: 3 },
      { host: 'b', 'sparkline(count, 1m)': line(0, 1, 0, 0, 0), count: 1 },
    ]);
    expect(await rows('index=main | chart sparkline count by host')).toEqual(await rows('index=main | stats sparkline count by host'));
    expect(await rows('index=main | chart sparkline(sum(bytes), 2m) AS s')).toEqual([{ s: line(6, 0, 4) }]);
    const spl = 'index=main | chart sparkline count over host by source';
    const e = await failure(spl);
    expect([e.code, e.text]).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining(at(spl, 'sparkline'))]);
  });

  it('is exported to CSV as Splunk writes it: ##__SPARKLINE__##,v1,v2,... in one cell (JSON: the array)', async () => {
    const { results } = await runSearch('index=main | stats sparkline(count, 1m) AS s, count by host', { now: NOW, source: new MemorySource(EVENTS) });
    let out = '';
    const sink = outputSink({ format: 'csv', tz: 'UTC', write: (t) => (out += t) });
    for (const r of results) sink.push(r);
    sink.end();
    await Promise.resolve();
    expect(out).toBe('host,s,count\na,"##__SPARKLINE__##,1,1,0,0,1",3\nb,"##__SPARKLINE__##,0,1,0,0,0",1\n');
  });

  it('takes the documented functions: dc, avg/mean, min, max, range, stdev, var, sum, sumsq; empty buckets are 0', async () => {
    const events = [ev(BASE, 'a', 2), ev(BASE + 1, 'a', 4), ev(BASE + 2, 'a', 4), ev(BASE + 120, 'a', 10), ev(BASE + 121, 'a', 'x')];
    expect(await rows('index=main | stats sparkline(dc(bytes), 1m) AS dc sparkline(avg(bytes), 1m) AS avg sparkline(mean(bytes), 1m) AS mean sparkline(max(bytes), 1m) AS max sparkline(range(bytes), 1m) AS range sparkline(sumsq(bytes), 1m) AS sq', events)).toEqual([
      { dc: line(2, 0, 2), avg: line(10 / 3, 0, 10), mean: line(10 / 3, 0, 10), max: line(4, 0, 0), range: line(2, 0, 0), sq: line(36, 0, 100) },
    ]);
    // max of 10 and "x" is the text "x" (stats' max); a sparkline plots numbers only: Decision, a text is 0.
    expect(await rows('index=main | stats sparkline(min(bytes), 1m) AS min sparkline(var(bytes), 1m) AS v sparkline(stdev(bytes), 1m) AS sd', events)).toEqual([
      { min: line(2, 0, 10), v: line(4 / 3, 0, 0), sd: line(Math.sqrt(4 / 3), 0, 0) },
    ]);
  });

  it('with a span too fine for the data keeps the latest 100 buckets (limits.conf sparkline_maxsize), bounded memory', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ev(BASE + i, 'a', i));
    const [r] = await rows('index=main | stats sparkline(sum(bytes), 1s) AS s', events);
    // 1000 one-second buckets; the latest 100 are the seconds 900..999, each its own value.
    expect(r).toEqual({ s: line(...Array.from({ length: SPARKLINE_MAXSIZE }, (_, i) => 900 + i)) });
    // The same newest first (vigil's order over a store): the older buckets are dropped as they come.
    const [back] = await rows('index=main | stats sparkline(sum(bytes), 1s) AS s', [...events].reverse());
    expect(back).toEqual(r);
  });

  it('keeps at most SPARKLINE_MAXSIZE buckets per group whatever comes (a hostile span of 1ms over a day)', () => {
    const spec: SparklineSpec = { inner: aggregationFor('count')!, span: parseSpan('1ms') };
    const s = new Sparkline(spec, { tz: 'UTC', range: null });
    for (let i = 0; i < 50_000; i++) s.add(1, BASE + i * 1.7);
    const state = s.partial();
    expect(state.buckets.length).toBe(SPARKLINE_MAXSIZE);
    const out = s.result() as unknown[];
    expect(out).toHaveLength(SPARKLINE_MAXSIZE + 1);
  });

  it('merges partial states as one pass gives (partitions, state cloned as between threads)', () => {
    const spec: SparklineSpec = { inner: aggregationFor('avg')!, span: null };
    const times = Array.from({ length: 400 }, (_, i) => BASE + ((i * 7919) % 90_000));
    const feed = (ts: number[]) => {
      const s = new Sparkline(spec, { tz: 'UTC', range: null });
      for (const t of ts) s.add(t % 97, t);
      return s;
    };
    const one = feed(times).result();
    for (const cut of [1, 100, 399]) {
      const merged = feed([]);
      merged.merge(structuredClone(feed(times.slice(0, cut)).partial()));
      merged.merge(structuredClone(feed(times.slice(cut)).partial()));
      expect(merged.result(), `cut ${cut}`).toEqual(one);
    }
  });

  it('runs over partitions on two threads like one pass', async () => {
    await expectPartitionedLikeOnePass(['* | stats sparkline, count, sparkline(dc(process_name), 10m) AS d, sparkline(avg(process_id)) AS a by node_name', '* | chart sparkline, sparkline(max(process_id), 5m) AS m by node_name'], 12, NOW, 0);
  }, 120_000);

  it('refuses other functions, a field pattern, a log span, and sparkline outside stats, at their position', async () => {
    let spl = 'index=main | stats sparkline(median(bytes), 1m)';
    let e = await failure(spl);
    expect([e.code, e.text]).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining(at(spl, 'median'))]);
    spl = 'index=main | stats sparkline(dc)';
    expect((await failure(spl)).text).toContain('dc needs a field');
    spl = 'index=main | stats sparkline(sum(b*))';
    expect((await failure(spl)).code).toBe('SPL_BAD_ARGUMENT');
    spl = 'index=main | stats sparkline(count, log)';
    e = await failure(spl);
    expect([e.code, e.text]).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining(at(spl, 'log'))]);
    spl = 'index=main | stats sparkline(count, 5parsecs)';
    expect((await failure(spl)).code).toBe('SPL_BAD_ARGUMENT');
    spl = 'index=main | stats sparkline(count, 1m';
    expect((await failure(spl)).text).toContain('missing `)`');
    for (const cmd of ['eventstats', 'streamstats', 'timechart', 'tstats']) {
      spl = `index=main | ${cmd} sparkline`;
      e = await failure(spl);
      expect([e.code, e.text], cmd).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining(at(spl, 'sparkline'))]);
    }
  });
});
