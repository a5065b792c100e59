import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW } from './helpers.js';

const event = (raw: string, t = NOW - 1, sourcetype = 'table') => ({ _time: t, _raw: raw, index: 'main', sourcetype, source: 's', host: 'h' });

/** Rows after `pipeline` over events of these `_raw`s. */
async function over(raws: readonly string[], pipeline: string): Promise<Record<string, unknown>[]> {
  const { results } = await runSearch(`index=main | ${pipeline}`, { now: NOW, source: new MemorySource(raws.map((r, i) => event(r, NOW - 10 + i))) });
  return results.map(toObject);
}

// The Search Reference's example: "Name Age Occupation / Josh 42 SoftwareEngineer / ..." with "The columns are
// aligned" and "The first line of text provides the names for the data in the columns".
const PEOPLE = 'Name     Age   Occupation\nJosh     42    SoftwareEngineer\nFrancine 35    CEO\nSamantha 22    ProjectManager';
// A process table: cells with spaces in the last column, right-aligned numbers (positions: USER 0, PID 11-13,
// %CPU 15-18, COMMAND 20).
const PS = 'USER       PID %CPU COMMAND\nroot         1  0.0 /sbin/init splash\nsplunk    4242 12.5 splunkd -p 8089 start\n';

describe('multikv', () => {
  it('"creates a new event for each table row and assigns field names from the title row"', async () => {
    expect(await over([PEOPLE], 'multikv | table Name Age Occupation')).toEqual([
      { Name: 'Josh', Age: '42', Occupation: 'SoftwareEngineer' },
      { Name: 'Francine', Age: '35', Occupation: 'CEO' },
      { Name: 'Samantha', Age: '22', Occupation: 'ProjectManager' },
    ]);
    // "can sometimes handle merely ordered fields": the same table with single spaces (as many cells as names).
    const ordered = PEOPLE.replace(/ +/g, ' ');
    expect(await over([ordered], 'multikv | table Name Age Occupation')).toEqual(await over([PEOPLE], 'multikv | table Name Age Occupation'));
  });

  it('aligns cells under the header when a row has more or fewer cells; the last column takes the rest; names cleaned', async () => {
    // root's row has 5 cells for 4 columns: "1" lies under PID, "0.0" under %CPU, "/sbin/init splash" from COMMAND on.
    expect(await over([PS], 'multikv | table USER PID CPU COMMAND')).toEqual([
      { USER: 'root', PID: '1', CPU: '0.0', COMMAND: '/sbin/init splash' },
      { USER: 'splunk', PID: '4242', CPU: '12.5', COMMAND: 'splunkd -p 8089 start' },
    ]);
    // A row missing a middle cell: "-" under USER, 7 under PID, nothing under %CPU, "idle" under COMMAND.
    expect(await over(['USER       PID %CPU COMMAND\n-            7      idle'], 'multikv | table USER PID CPU COMMAND')).toEqual([{ USER: '-', PID: '7', COMMAND: 'idle' }]);
  });

  it('fields and filter (Example 1: "multikv fields COMMAND filter splunkd")', async () => {
    // "skips over table rows that do not contain at least one of the strings in the filter list"; fields "Limit the
    // fields set by the multikv extraction to this list".
    expect(await over([PS], 'multikv fields COMMAND filter splunkd | table USER COMMAND')).toEqual([{ COMMAND: 'splunkd -p 8089 start' }]);
    expect(await over([PS], 'multikv filter "init " SPLUNKD | table USER')).toEqual([{ USER: 'root' }, { USER: 'splunk' }]);
    expect(await over([PS], 'multikv filter nothing | stats count')).toEqual([{ count: 0 }]);
  });

  it('copyattrs and rmorig: copies of the original with _raw the row, or only the row\'s fields; the original after its rows', async () => {
    const rows = await over([PEOPLE], 'multikv | head 1 | table _time _raw sourcetype Name');
    expect(rows).toEqual([{ _time: NOW - 10, _raw: 'Josh     42    SoftwareEngineer', sourcetype: 'table', Name: 'Josh' }]);
    // "When false, no fields are copied from the original event. This means that the events will have no _time field".
    const bare = await over([PEOPLE], 'multikv copyattrs=false | head 1');
    expect(bare).toEqual([{ _raw: 'Josh     42    SoftwareEngineer', Name: 'Josh', Age: '42', Occupation: 'SoftwareEngineer' }]);
    // "When false, the original events are retained in the output results, with each original emitted after the batch
    // of generated results from that original."
    const kept = await over([PEOPLE, 'A B\n1 2'], 'multikv rmorig=false | table _raw');
    // (Events come newest first: the second event, a second later, before the first.)
    expect(kept.map((r) => r._raw)).toEqual(['1 2', 'A B\n1 2', 'Josh     42    SoftwareEngineer', 'Francine 35    CEO', 'Samantha 22    ProjectManager', PEOPLE]);
  });

  it('noheader and forceheader ("1 based ... Does not include empty lines in the count")', async () => {
    // "The size of the table will be inferred from the first row, and fields will be named Column_1, Column_2, ..."
    expect(await over(['a 1\r\nb 2 extra'], 'multikv noheader=true | table Column_1 Column_2 Column_3')).toEqual([
      { Column_1: 'a', Column_2: '1' },
      { Column_1: 'b', Column_2: '2 extra' },
    ]);
    expect(await over(['report of 2 hosts\n\nHost Count\nweb 3'], 'multikv forceheader=2 | table Host Count')).toEqual([{ Host: 'web', Count: '3' }]);
    // Detected: the first line holding no number ("favors rows that are text"), so the title above is not the header.
    expect(await over(['report of 2 hosts\nHost Count\nweb 3'], 'multikv | table Host Count')).toEqual([{ Host: 'web', Count: '3' }]);
    // "Auto-detection of header rows favors rows that are text, and are ALLCAPS or Capitalized": netstat's title line
    // is text too, but the Capitalized line under it is the header; with none Capitalized, the first text line is.
    const netstat = [
      'Active Internet connections (w/o servers)',
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State',
      'tcp        0      0 10.0.0.5:22             10.0.0.1:5000           ESTABLISHED',
    ].join('\n');
    expect(await over([netstat], 'multikv | table Proto Recv_Q Send_Q State')).toEqual([{ Proto: 'tcp', Recv_Q: '0', Send_Q: '0', State: 'ESTABLISHED' }]);
    expect(await over(['the title\nname size\na 1'], 'multikv | table the title')).toEqual([
      { the: 'name', title: 'size' },
      { the: 'a', title: '1' },
    ]);
    expect(await over(['name size\nsmall text'], 'multikv | table name size')).toEqual([{ name: 'small', size: 'text' }]);
    // No table (no line without numbers, no _raw): nothing, the original dropped (rmorig=true).
    expect(await over(['1 2\n3 4'], 'multikv | stats count')).toEqual([{ count: 0 }]);
  });

  it('refuses conf= (multikv.conf), forceheader with noheader, and bad values, at their place', async () => {
    for (const [spl, bad, msg] of [
      ['| makeresults | multikv conf=ps', 'conf=ps', 'multikv.conf'],
      ['| makeresults | multikv noheader=true forceheader=2', 'forceheader=2', 'noheader=true'],
      ['| makeresults | multikv forceheader=0', '0', 'integer >= 1'],
      ['| makeresults | multikv rmorig=perhaps', 'perhaps', 'true or false'],
      ['| makeresults | multikv fields', 'fields', 'field names'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe('SPL_BAD_ARGUMENT');
      expect(e.message, spl).toContain(msg);
      expect(e.format(), spl).toContain(at(spl, bad));
    }
  });

  it('bounds a table: a header of more than 1,000 columns is an error; a 10 MB table of 100,000 rows streams', async () => {
    const wide = Array.from({ length: 1001 }, (_, k) => `c${k}`).join(' ');
    let err: unknown = null;
    await over([`${wide}\n1`], 'multikv').catch((e: unknown) => (err = e));
    expect(err).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('more than 1000') });
    // A 10 MB header line of 5,000,000 names is refused too, without a cell object per name.
    err = null;
    await over([`${'a '.repeat(5_000_000)}\n1`], 'multikv').catch((e: unknown) => (err = e));
    expect(err).toMatchObject({ code: 'SPL_BAD_ARGUMENT' });
    // A row of 3,000,000 cells under two columns: the last column takes the rest of the line.
    const long = await over([`K V\nk ${'v '.repeat(3_000_000)}`], 'multikv | eval n=len(V) | table K n');
    expect(long).toEqual([{ K: 'k', n: 3_000_000 * 2 - 1 }]);
    const line = `${'x'.repeat(90)} 1234567`;
    const big = `NAME VALUE\n${Array.from({ length: 100_000 }, () => line).join('\n')}`;
    expect(big.length).toBeGreaterThan(9_800_000);
    expect(await over([big], 'multikv copyattrs=false | stats count dc(NAME) AS names sum(VALUE) AS total')).toEqual([{ count: 100_000, names: 1, total: 123_456_700_000 }]);
  }, 60_000);

  it('ESCU "Detect GCP Storage access from a new IP": its extraction and stats on hand-made GCS usage logs', async () => {
    // The search up to its lookups (`google_gcp_pubsub_message` is sourcetype="google:gcp:pubsub:message"). GCS usage
    // logs are CSV with quoted names and values: multikv names `"sc_status"` sc_status_ (as the search's renames
    // expect) and keeps the quotes in values (as its `search status="\"200\""` expects).
    const header = '"time_micros","c_ip","c_ip_type","cs_method","cs_uri","sc_status","cs_bytes","sc_bytes","cs_bucket","cs_object"';
    const row = (ip: string, uri: string, status: string, object: string) => `"1","${ip}","1","GET","${uri}","${status}","0","10","bkt","${object}"`;
    const st = 'google:gcp:pubsub:message';
    const events = [
      event(`${header}\n${row('203.0.113.7', '/bkt/secret.txt', '200', 'secret.txt')}\n${row('203.0.113.7', '/bkt/nope', '404', 'nope')}`, NOW - 500, st),
      event(`${header}\n${row('203.0.113.7', '/bkt/secret.txt', '200', 'secret.txt')}`, NOW - 100, st),
      event(`${header}\n${row('198.51.100.2', '/bkt/a', '200', 'a')}`, NOW - 300, st),
    ];
    const spl =
      'sourcetype="google:gcp:pubsub:message" | multikv | rename sc_status_ as status | rename cs_object_ as bucket_name | rename c_ip_ as remote_ip | rename cs_uri_ as request_uri | rename cs_method_ as operation | search status="\\"200\\"" | stats earliest(_time) as firstTime latest(_time) as lastTime by bucket_name remote_ip operation request_uri | table firstTime, lastTime, bucket_name, remote_ip, operation, request_uri';
    const rows = (await runSearch(spl, { now: NOW, source: new MemorySource(events) })).results.map(toObject);
    // By hand: the 404 row is filtered; secret.txt from 203.0.113.7 seen at NOW-500 and NOW-100; a from 198.51.100.2
    // once. Groups sorted by bucket_name: "a" before "secret.txt" (both quoted).
    expect(rows).toEqual([
      { firstTime: NOW - 300, lastTime: NOW - 300, bucket_name: '"a"', remote_ip: '"198.51.100.2"', operation: '"GET"', request_uri: '"/bkt/a"' },
      { firstTime: NOW - 500, lastTime: NOW - 100, bucket_name: '"secret.txt"', remote_ip: '"203.0.113.7"', operation: '"GET"', request_uri: '"/bkt/secret.txt"' },
    ]);
  });
});
