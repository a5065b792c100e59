import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW, run } from './helpers.js';

/**
 * anomalydetection, Search Reference: "The probability is defined as the product of the frequencies of each individual
 * field value in the event. For categorical fields, the frequency of a value X is the number of times X occurs divided
 * by the total number of events." action=annotate "returns all the original events with the same four new fields":
 * log_event_prob "The natural logarithm of the event probability", probable_cause "The name of the field that best
 * explains why the event is anomalous", probable_cause_freq "The frequency of the value in the probable_cause field",
 * max_freq "Maximum frequency for all field values in the event".
 */

// Ten rows: a is x (i 1-7), y (8-9), z (10): frequencies .7, .2, .1; b alternates p/q: .5 each.
const TEN = '| makeresults count=10 | streamstats count AS i | eval a=case(i<=7, "x", i<=9, "y", true(), "z"), b=if(i%2=1, "p", "q")';
const LN = Math.log;

describe('anomalydetection', () => {
  it('action=annotate: every event gets the log of the product of its values\' frequencies, the rarest field, the largest frequency', async () => {
    const rows = await run(`${TEN} | anomalydetection a b action=annotate | table i a b log_event_prob probable_cause probable_cause_freq max_freq`);
    expect(rows).toHaveLength(10);
    // i=1: x (.7) and p (.5): the rarer value is b's.
    expect(rows[0]).toEqual({ i: 1, a: 'x', b: 'p', log_event_prob: LN(0.7) + LN(0.5), probable_cause: 'b', probable_cause_freq: 0.5, max_freq: 0.7 });
    // i=8: y (.2) and q (.5).
    expect(rows[7]).toEqual({ i: 8, a: 'y', b: 'q', log_event_prob: LN(0.2) + LN(0.5), probable_cause: 'a', probable_cause_freq: 0.2, max_freq: 0.5 });
    // i=10: z (.1) and q (.5).
    expect(rows[9]).toEqual({ i: 10, a: 'z', b: 'q', log_event_prob: LN(0.1) + LN(0.5), probable_cause: 'a', probable_cause_freq: 0.1, max_freq: 0.5 });
  });

  it('pthresh: events whose probability is below it are anomalous (filter keeps those, annotated)', async () => {
    // Probabilities: x rows .35, y rows .1, z row .05.
    expect(await run(`${TEN} | anomalydetection pthresh=0.06 a b | table i probable_cause`)).toEqual([{ i: 10, probable_cause: 'a' }]);
    expect(await run(`${TEN} | anomalydetection pthresh=0.2 action=filter a b | table i`)).toEqual([{ i: 8 }, { i: 9 }, { i: 10 }]);
    expect(await run(`${TEN} | anomalydetection pthresh=0.05 a b | table i`)).toEqual([]);
  });

  it('cutoff=false: the threshold is "1st-quartile - 1.5 * IRQ" of the log probabilities; summary reports it', async () => {
    // 20 rows: a is x (19) or z (1); b is p everywhere (frequency 1). Log probabilities: ln .95 (19), ln .05 (1).
    // Sorted, nearest rank: Q1 = xs[5] = ln .95, Q3 = xs[15] = ln .95, IQR 0: threshold ln .95; only z's row is below.
    const spl = '| makeresults count=20 | streamstats count AS i | eval a=if(i=20, "z", "x"), b="p"';
    expect(await run(`${spl} | anomalydetection cutoff=false a b | table i a`)).toEqual([{ i: 20, a: 'z' }]);
    const [s] = await run(`${spl} | anomalydetection cutoff=false action=summary a b`);
    // "When action=summary, the command returns a single event containing six fields."
    expect(Object.keys(s!).sort()).toEqual(['1st_quartile', '3rd_quartile', 'max_logprob', 'min_logprob', 'num_anomalies', 'thresh']);
    expect(s!.num_anomalies).toBe(1);
    expect(s!.thresh as number).toBeCloseTo(0.95, 12);
    expect(s).toMatchObject({ max_logprob: LN(0.95), min_logprob: LN(0.05), '1st_quartile': LN(0.95), '3rd_quartile': LN(0.95) });
  });

  it('without fields uses every field but the internal ones; events holding none of the fields are left unannotated', async () => {
    const rows = await run('| makeresults count=4 | streamstats count AS i | eval c=if(i<=3, "k", "m") | fields - i | eval n=null() | anomalydetection action=annotate | table c probable_cause probable_cause_freq');
    expect(rows).toEqual([
      { c: 'k', probable_cause: 'c', probable_cause_freq: 0.75 },
      { c: 'k', probable_cause: 'c', probable_cause_freq: 0.75 },
      { c: 'k', probable_cause: 'c', probable_cause_freq: 0.75 },
      { c: 'm', probable_cause: 'c', probable_cause_freq: 0.25 },
    ]);
    // d is on one row of two: the other row has none of the fields.
    const two = await run('| makeresults count=2 | streamstats count AS i | eval d=if(i=1, "v", null()) | anomalydetection d action=annotate | table i d probable_cause max_freq');
    expect(two).toEqual([{ i: 1, d: 'v', probable_cause: 'd', max_freq: 0.5 }, { i: 2 }]);
  });

  it('method=iqr performs like outlier (its options; rm/tf)', async () => {
    // v = 1..10, 100: p25 3, p75 9 (nearest rank), bound 9 + 4*6 = 33 with param=4 ("anomalydetection method=iqr
    // action=tf param=4 uselower=true mark=true").
    const spl = '| makeresults count=11 | streamstats count AS i | eval v=if(i=11, 100, i)';
    expect((await run(`${spl} | anomalydetection method=iqr action=tf param=4 uselower=true mark=true v | table v`)).at(-1)).toEqual({ v: '00033' });
    expect(await run(`${spl} | anomalydetection method=iqr action=rm v | stats count`)).toEqual([{ count: 10 }]);
  });

  it('refuses what the reference does not define, at its place', async () => {
    const cases: [string, string, string, string][] = [
      // The default (cutoff=true) threshold's modification is not documented.
      ['| makeresults | eval a="x" | anomalydetection a', 'anomalydetection', 'SPL_UNSUPPORTED_COMMAND', 'pthresh=<probability> or cutoff=false'],
      ['| makeresults | eval a="x" | anomalydetection action=summary a', 'summary', 'SPL_UNSUPPORTED_COMMAND', 'cutoff=true'],
      ['| makeresults | anomalydetection method=zscore a', 'zscore', 'SPL_UNSUPPORTED_COMMAND', 'anomalousvalue'],
      ['| makeresults | anomalydetection method=bogus a', 'bogus', 'SPL_BAD_ARGUMENT', 'histogram, zscore or iqr'],
      // "If you try to use this when method=iqr, it returns an invalid argument error."
      ['| makeresults | anomalydetection method=iqr pthresh=0.1 a', 'pthresh', 'SPL_BAD_ARGUMENT', 'method=iqr'],
      ['| makeresults | anomalydetection method=iqr action=annotate a', 'annotate', 'SPL_BAD_ARGUMENT', 'remove (rm) or transform'],
      ['| makeresults | anomalydetection action=rm a', 'rm', 'SPL_BAD_ARGUMENT', 'filter, annotate or summary'],
      ['| makeresults | anomalydetection param=3 a', 'param', 'SPL_BAD_ARGUMENT', 'apply to method=iqr'],
      ['| makeresults | anomalydetection pthresh=2 a', '2', 'SPL_BAD_ARGUMENT', 'probability'],
      // A numerical field is binned into a histogram whose bins the reference does not give.
      ['| makeresults | eval n=5, a="x" | anomalydetection a n action=annotate', ' n ', 'SPL_UNSUPPORTED_COMMAND', 'n holds numbers'],
    ];
    for (const [spl, place, code, msg] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe(code);
      expect(e.message, spl).toContain(msg);
      expect(e.format(), spl).toContain(at(spl, place.trim(), place.startsWith(' ') ? spl.indexOf(place) : spl.lastIndexOf('|')));
    }
  });

  it('bounds its counts: more than 1,000,000 distinct values is an error at the command', async () => {
    // 500,001 rows with two fields of distinct values each: 1,000,002 distinct values.
    const spl = '| makeresults count=500001 | streamstats count AS i | eval a="a".i, b="b".i | anomalydetection a b action=annotate';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('more than 1,000,000 distinct field values');
    expect(e.format()).toContain(at(spl, 'anomalydetection'));
  }, 60_000);

  it('ESCU "AWS Exfiltration via Anomalous GetObject API Activity" on hand-made CloudTrail events', async () => {
    // Its search, the cloudtrail macro expanded (sourcetype=aws:cloudtrail) and the filter macro left out.
    const ev = (t: number, user: string, type: string, ip: string) => ({
      _time: t,
      _raw: JSON.stringify({ eventName: 'GetObject', src_ip: ip, aws_account_id: '111', user_type: type, user_arn: user, userIdentity: { principalId: 'P' }, requestParameters: { bucketName: 'bkt' } }),
      index: 'main',
      sourcetype: 'aws:cloudtrail',
      source: 's',
      host: 'h',
    });
    const base = NOW - 3600 - ((NOW - 3600) % 600);
    // Three 10-minute buckets of alice (IAMUser) and one of bob (AssumedRole), 2 events each.
    const events = [0, 1, 2].flatMap((k) => [ev(base + k * 600 + 1, 'alice', 'IAMUser', '10.0.0.1'), ev(base + k * 600 + 2, 'alice', 'IAMUser', '10.0.0.1')]);
    events.push(ev(base + 1, 'bob', 'AssumedRole', '10.0.0.2'), ev(base + 2, 'bob', 'AssumedRole', '10.0.0.2'));
    const head = 'sourcetype=aws:cloudtrail eventName=GetObject | bin _time span=10m | stats count values(requestParameters.bucketName) as bucketName by _time src_ip aws_account_id user_type user_arn userIdentity.principalId';
    const escu = `${head} | anomalydetection "count" "user_type" "user_arn" action=annotate | search probable_cause=*`;
    // count is numerical (2 in every row): its histogram is not documented, so the search stops there, at "count".
    let err: unknown = null;
    await runSearch(escu, { now: NOW, source: new MemorySource(events) }).catch((e: unknown) => (err = e));
    expect(err).toMatchObject({ code: 'SPL_UNSUPPORTED_COMMAND' });
    expect((err as { format(): string }).format()).toContain(at(escu, '"count"'));
    // The categorical part on the same rows, by hand: 4 stats rows; user_type IAMUser 3/4, AssumedRole 1/4; user_arn
    // alice 3/4, bob 1/4. Every row is annotated (annotate returns all events), so probable_cause=* keeps all 4.
    const cat = `${head} | anomalydetection "user_type" "user_arn" action=annotate | search probable_cause=* | table user_arn log_event_prob probable_cause probable_cause_freq max_freq`;
    const rows = (await runSearch(cat, { now: NOW, source: new MemorySource(events) })).results.map(toObject);
    const alice = { user_arn: 'alice', log_event_prob: LN(0.75) + LN(0.75), probable_cause: 'user_type', probable_cause_freq: 0.75, max_freq: 0.75 };
    const bob = { user_arn: 'bob', log_event_prob: LN(0.25) + LN(0.25), probable_cause: 'user_type', probable_cause_freq: 0.25, max_freq: 0.25 };
    expect(rows).toEqual([alice, bob, alice, alice]);
  });
});
