import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';
import { SplError } from '../../src/spl/source.js';

// Events whose JSON becomes fields (KV_MODE=json); the `id` field names each event in assertions.
const events = jsonEvents([
  { id: 'a', process_name: 'curl', pod: 'web-1', n: 5, tags: ['x', 'y'] },
  { id: 'b', process_name: 'CURL', pod: 'web-2', n: 10 },
  { id: 'c', process_name: 'libcurl', n: '7' },
  { id: 'd', process_name: 'bash', pod: 'db-1', n: 20, ip: '10.1.2.3' },
  { id: 'e', other: 'no process_name', ip: '192.168.0.1' },
]);
const ids = async (spl: string) => rowsText(await search(spl, events)).map((r) => r['id']).sort();

describe('search command semantics (Splunk pitfalls)', () => {
  it('matches field values case-insensitively and as whole values', async () => {
    expect(await ids('process_name=curl')).toEqual(['a', 'b']);
    expect(await ids('process_name="Curl"')).toEqual(['a', 'b']);
  });

  it('supports * wildcards anchored to the whole value', async () => {
    expect(await ids('process_name=*curl')).toEqual(['a', 'b', 'c']);
    expect(await ids('process_name=cu*')).toEqual(['a', 'b']);
    expect(await ids('pod=*')).toEqual(['a', 'b', 'd']);
  });

  it('!= excludes events that lack the field; NOT keeps them', async () => {
    expect(await ids('process_name!=curl')).toEqual(['c', 'd']);
    expect(await ids('NOT process_name=curl')).toEqual(['c', 'd', 'e']);
  });

  it('evaluates OR before the implicit AND', async () => {
    // a=1 b=2 OR c=3 means a=1 AND (b=2 OR c=3)
    expect(await ids('process_name=*curl* pod=web-1 OR pod=db-1')).toEqual(['a']);
    expect(await ids('(process_name=*curl* pod=web-1) OR pod=db-1')).toEqual(['a', 'd']);
  });

  it('NOT applies to the term right after it only', async () => {
    expect(await ids('NOT process_name=curl pod=*')).toEqual(['d']);
  });

  it('IN matches any listed value, with wildcards, case-insensitively', async () => {
    expect(await ids('process_name IN ("BASH", cu*)')).toEqual(['a', 'b', 'd']);
  });

  it('IN is an operator only in uppercase; a lowercase `in` is a term', async () => {
    // Splunk's blog "Smooth operator | Searching for multiple field values": "The IN operator must be in uppercase",
    // as the Search Manual's "Boolean expressions" says of AND/OR/NOT. No event holds the word `in`.
    expect(await ids('process_name IN (bash)')).toEqual(['d']);
    expect(await ids('process_name in (bash)')).toEqual([]);
    expect(await ids('process_name In (bash)')).toEqual([]);
    // Read as terms, the list's comma is no longer inside an IN list.
    await expect(ids('process_name in (bash, curl)')).rejects.toMatchObject({ code: 'SPL_SYNTAX' });
  });

  it('compares numerically when both sides are numbers', async () => {
    expect(await ids('n>6')).toEqual(['b', 'c', 'd']);
    expect(await ids('n<=5')).toEqual(['a']);
    expect(await ids('n=7.0')).toEqual(['c']);
  });

  it('matches any value of a multivalue field', async () => {
    expect(await ids('tags{}=y')).toEqual(['a']);
    expect(await ids('"tags{}"=x')).toEqual(['a']);
  });

  it('matches bare terms against _raw at token boundaries', async () => {
    expect(await ids('curl')).toEqual(['a', 'b']); // not libcurl
    expect(await ids('*curl*')).toEqual(['a', 'b', 'c']);
    expect(await ids('"no process_name"')).toEqual(['e']);
  });

  it('supports CIDR values', async () => {
    expect(await ids('ip=10.0.0.0/8')).toEqual(['d']);
    expect(await ids('ip=192.168.0.0/16 OR ip=10.1.2.3')).toEqual(['d', 'e']);
  });

  it('uppercase AND/OR/NOT are operators; CASE() is case-sensitive', async () => {
    expect(await ids('process_name=curl AND pod=web-2')).toEqual(['b']);
    expect(await ids('process_name=CASE(CURL)')).toEqual(['b']);
  });

  it('an uppercase AND/OR is never a term: one without a term beside it is an error at it', async () => {
    // Search Manual, "Boolean expressions with logical operators": "The operators must be capitalized" (so an
    // uppercase OR is the operator, not the word "OR"); quoted, the word is a term: the search reference's
    // `error "AND"`, "A search for the keyword AND without meaning the Boolean operator".
    const at = async (spl: string) => {
      const e = await search(spl, events).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(SplError);
      const err = e as SplError;
      return [err.code, err.message, spl.slice(err.span.start, err.span.end)];
    };
    expect(await at('pod=web-1 AND')).toEqual(['SPL_SYNTAX', 'AND needs a term on its right', 'AND']);
    expect(await at('(pod=web-1 AND) OR pod=db-1')).toEqual(['SPL_SYNTAX', 'AND needs a term on its right', 'AND']);
    expect(await at('pod=web-1 AND AND pod=db-1')).toEqual(['SPL_SYNTAX', 'AND needs a term on its right', 'AND']);
    expect(await at('pod=web-1 OR OR pod=db-1')).toEqual(['SPL_SYNTAX', 'OR needs a term on its left', 'OR']);
    expect(await at('pod=web-1 AND OR pod=db-1')).toEqual(['SPL_SYNTAX', 'AND needs a term on its right', 'AND']);
    expect(await at('NOT OR pod=db-1')).toEqual(['SPL_SYNTAX', 'OR needs a term on its left', 'OR']);
    expect(await ids('"no" "AND"')).toEqual([]);
    expect(await ids('process_name "OR"')).toEqual([]);
    expect(await ids('pod=web-1 AND pod=web-1')).toEqual(['a']);
  });

  it('handles earliest/latest inside the search as the time range', async () => {
    // events are at 1700000000 + index
    expect(await ids('earliest=1700000001 latest=1700000003')).toEqual(['b', 'c']);
  });

  it('an earliest= without latest= ends the range at now, whatever the default range', async () => {
    // Search Reference, "Time modifiers": the time modifier overrides the picker's range, and "Because the search
    // does not specify the latest time modifier, the default value now is used for latest". Events d and e are at
    // now and after it (latest is exclusive).
    const at = async (spl: string, opts: { earliest?: number | null; latest?: number | null } = {}) =>
      rowsText(await search(spl, events, { now: 1_700_000_003, ...opts })).map((r) => r['id']).sort();
    expect(await at('earliest=1700000001')).toEqual(['b', 'c']);
    expect(await at('earliest=-2s')).toEqual(['b', 'c']);
    expect(await at('earliest=-2s', { earliest: 1_600_000_000, latest: 1_800_000_000 })).toEqual(['b', 'c']);
    const info = rowsText(await search('earliest=1700000001 | addinfo | head 1', events, { now: 1_700_000_003 }))[0]!;
    expect([info['info_min_time'], info['info_max_time']]).toEqual(['1700000001.000', '1700000003.000']);
    // latest= alone keeps the default earliest; both given: the search's own.
    expect(await at('latest=1700000002', { earliest: 1_700_000_001 })).toEqual(['b']);
    expect(await at('earliest=1700000001 latest=+1s')).toEqual(['b', 'c', 'd']);
  });

  it('earliest=/latest= under OR are time windows, each alternative its own', async () => {
    // Search Reference, "Time modifiers", examples 5 and 6: "(earliest=... latest=...) OR (earliest=... latest=...)"
    // finds events of either window, and "((earliest=-24h latest<@d) OR (earliest>=@d+1h))" the last 24 hours
    // without midnight to 1 AM. Events a..e are at 1700000000..1700000004 (a to e).
    const at = async (spl: string, opts: { earliest?: number | null; latest?: number | null; now?: number } = {}) =>
      rowsText(await search(spl, events, { now: 1_700_000_010, ...opts })).map((r) => r['id']).sort();
    expect(await at('(earliest=1700000000 latest=1700000001) OR (earliest=1700000003 latest=1700000004)')).toEqual(['a', 'd']);
    // The picker's range (here the default) does not hold the windows back: the search's own times override it.
    expect(await at('(earliest=1700000000 latest=1700000001) OR (earliest=1700000003 latest=1700000004)', { earliest: 1_700_000_002 })).toEqual(['a', 'd']);
    // An alternative with earliest only ends at now; `latest<` and `earliest>=` as in the reference's example 6.
    expect(await at('(earliest=1700000000 latest<1700000001) OR (earliest>=1700000003)', { now: 1_700_000_004 })).toEqual(['a', 'd']);
    // Other terms still apply within each alternative; an alternative without times has the search's range.
    expect(await at('(earliest=1700000000 latest=1700000002 pod=web-2) OR (process_name=bash)')).toEqual(['b', 'd']);
    expect(await at('(earliest=1700000000 latest=1700000001) OR id=e', { earliest: 1_700_000_003 })).toEqual(['a', 'e']);
    // A top-level range bounds every window.
    expect(await at('earliest=1700000001 latest=1700000004 ((earliest=1700000000 latest=1700000002) OR (earliest=1700000003))')).toEqual(['b', 'd']);
    // Under NOT they mean nothing: an error at the term.
    const e = await search('NOT (earliest=1700000000 latest=1700000001)', events).then(() => null, (x: unknown) => x as SplError);
    expect([e?.code, e?.format().split('\n')[1]!.trim()]).toEqual(['SPL_BAD_ARGUMENT', 'at 1:6']);
  });

  it('the older time modifiers (daysago=, starttime=, starttimeu=, ...) set the range as earliest=/latest= do', async () => {
    // Search Reference, "Time modifiers", "Other time modifiers": "still valid". Events a..e are at 1700000000..4.
    const at = async (spl: string, tz = 'UTC') => rowsText(await search(spl, events, { now: 1_700_000_010, tz })).map((r) => r['id']).sort();
    // "starttimeu: Search for events starting from the specific UNIX time"; "endtimeu: ... before the specific UNIX time".
    expect(await at('starttimeu=1700000001 endtimeu=1700000003')).toEqual(['b', 'c']);
    // starttime/endtime in timeformat (default %m/%d/%Y:%H:%M:%S): 1700000002 is 11/14/2023 22:13:22 UTC.
    expect(await at('starttime=11/14/2023:22:13:22')).toEqual(['c', 'd', 'e']);
    expect(await at('timeformat=%Y-%m-%dT%H:%M:%S endtime=2023-11-14T22:13:22')).toEqual(['a', 'b']);
    expect(await at('starttime=11/14/2023:17:13:22', 'America/New_York')).toEqual(['c', 'd', 'e']);
    // "minutesago: Search events within the last integer number of minutes" (to now, as an earliest= alone).
    expect(await at('minutesago=0')).toEqual([]);
    const all = rowsText(await search('startminutesago=1 endminutesago=0', events, { now: 1_700_000_003 })).map((r) => r['id']).sort();
    expect(all).toEqual(['a', 'b', 'c']);
    // A field of another name is still a field; the span form is refused (the reference does not say where it starts).
    expect(await at('constructor=1')).toEqual([]);
    const e = await search('searchtimespandays=1', events).then(() => null, (x: unknown) => x as SplError);
    expect([e?.code, e?.format().split('\n')[1]!.trim()]).toEqual(['SPL_UNSUPPORTED_COMMAND', 'at 1:1']);
    const bad = await search('pod=* starttime=yesterday', events).then(() => null, (x: unknown) => x as SplError);
    expect([bad?.code, bad?.format().split('\n')[1]!.trim()]).toEqual(['TIME_MODIFIER', 'at 1:17']);
  });

  it('_index_earliest=/_index_latest= are refused at their place: vigil keeps no index time', async () => {
    // Search Reference, "Time modifiers": they bound _indextime, which vigil does not keep; as field
    // comparisons they matched nothing, silently.
    for (const [spl, at] of [['pod=* _index_earliest=-1h', 'at 1:7'], ['pod=*\n  _INDEX_LATEST=now', 'at 2:3']] as const) {
      const e = await search(spl, events).then(() => null, (x: unknown) => x as SplError);
      expect(e).toBeInstanceOf(SplError);
      expect([e!.code, e!.format().split('\n')[1]!.trim()]).toEqual(['SPL_UNSUPPORTED_COMMAND', at]);
    }
  });

  it('returns results newest first by default', async () => {
    const rows = rowsText(await search('*', events));
    expect(rows.map((r) => r['id'])).toEqual(['e', 'd', 'c', 'b', 'a']);
  });
});

describe('where/eval semantics differ from search', () => {
  it('where compares case-sensitively and treats bare words as field names', async () => {
    expect(await ids('* | where process_name="curl"')).toEqual(['a']);
    expect(await ids('* | where process_name=pod')).toEqual([]);
  });

  it('where evaluates AND before OR', async () => {
    // (a AND b) OR c
    expect(await ids('* | where process_name="bash" AND n>100 OR id="e"')).toEqual(['e']);
  });

  it('a comparison with a missing field is not true (the row is dropped)', async () => {
    expect(await ids('* | where n>0')).toEqual(['a', 'b', 'c', 'd']);
    expect(await ids('* | where isnull(pod) OR pod="web-1"')).toEqual(['a', 'c', 'e']);
  });

  it('regex keeps results whose field matches anywhere (unanchored), != keeps missing fields', async () => {
    expect(await ids('* | regex process_name="url$"')).toEqual(['a', 'c']);
    expect(await ids('* | regex process_name!="(?i)curl"')).toEqual(['d', 'e']);
  });
});
