import { mkdtempSync, readFileSync, existsSync, writeFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { runSearch, SplError, type LookupProvider } from '../../../src/spl/index.js';
import { withLookupDir } from '../../../src/detections/lookup-dir.js';
import { mvCellText, NO_LOOKUPS, parseMvCell } from '../../../src/spl/lookups.js';

const NOW = 1700000000;
let dir: string;
let lookups: LookupProvider;
const limits = { maxRows: 1000, maxBytes: 100_000, maxFiles: 1000, lockWaitMs: 10_000 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-outputlookup-'));
  lookups = withLookupDir(NO_LOOKUPS, { dir, refusal: null, ...limits });
});

const run = async (spl: string, l: LookupProvider = lookups) => (await runSearch(spl, { now: NOW, lookups: l })).results.map(toObject);
const file = (name: string) => readFileSync(join(dir, name), 'utf8');

async function errorOf(spl: string, l: LookupProvider = lookups): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW, lookups: l });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

const at = (spl: string, text: string) => `at 1:${spl.indexOf(text) + 1}`;

// Search Reference, outputlookup: "Writes search results to a static lookup table, or KV store collection, that you
// specify." filename: "The name of the lookup file. The file must end with .csv or .csv.gz." tablename: "If your
// lookup file and the lookup definition that it is associated with have the same name, you can provide a tablename
// that is the same value as the corresponding filename without the .csv extension ... you can use either staff.csv
// or staff as the tablename".
describe('outputlookup', () => {
  it('writes the results as CSV, passes them through unchanged, and inputlookup reads them back', async () => {
    const spl = '| makeresults count=3 | streamstats count AS n | eval user="u".n, note=if(n=2, "a, \\"b\\"", null()) | table user n note | outputlookup staff.csv';
    const rows = await run(spl);
    // By hand: three rows, n = 1, 2, 3; note only on the second (with a comma and quotes: quoted, quotes doubled).
    expect(rows).toEqual([
      { user: 'u1', n: 1 },
      { user: 'u2', n: 2, note: 'a, "b"' },
      { user: 'u3', n: 3 },
    ]);
    expect(file('staff.csv')).toBe('user,n,note\nu1,1,\nu2,2,"a, ""b"""\nu3,3,\n');
    // "you can use either staff.csv or staff": the table name reads the same file.
    expect(await run('| inputlookup staff')).toEqual([{ user: 'u1', n: '1' }, { user: 'u2', n: '2', note: 'a, "b"' }, { user: 'u3', n: '3' }]);
    await run('| makeresults | eval user="x" | table user | outputlookup staff');
    expect(file('staff.csv')).toBe('user\nx\n');
  });

  it('leaves internal fields out (_time, _raw) and writes a multivalue field space-joined, or as splunk_mv_csv', async () => {
    await run('| makeresults | eval a=split("x,y", ","), b="one" | outputlookup mv.csv');
    // makeresults gives _time: not a column. Search Reference, outputlookup, Usage, "Multivalued fields": "the
    // outputlookup command merges values in a multivalued field into single space-delimited value".
    expect(file('mv.csv')).toBe('a,b\nx y,one\n');
    await run('| makeresults | eval a=mvappend("x", "$y"), b="one" | table a b | outputlookup output_format=splunk_mv_csv mv2.csv');
    // splunk_mv_csv: a __mv_<field> column beside each, the values in $...$ ($ doubled), joined with ';'; empty for one value.
    expect(file('mv2.csv')).toBe('a,__mv_a,b,__mv_b\nx $y,$x$;$$$y$,one,\n');
    // "Use output_format=splunk_mv_csv when you want to output multivalued fields to a lookup table file, and then read
    // the fields back into Splunk using the inputlookup command": the __mv_ columns give the multivalue back.
    expect(await run('| inputlookup mv2.csv')).toEqual([{ a: ['x', '$y'], b: 'one' }]);
    // splunk_sv_csv: one value, the values and the spaces between them.
    expect(await run('| inputlookup mv.csv')).toEqual([{ a: 'x y', b: 'one' }]);
  });

  it('reads splunk_mv_csv cells by their form only ($ doubled inside; anything else: the plain column)', () => {
    expect(parseMvCell('$a$;$b$')).toEqual(['a', 'b']);
    expect(parseMvCell('$a$$b$;$$$$')).toEqual(['a$b', '$']);
    expect(parseMvCell('$$')).toEqual(['']);
    for (const bad of ['', 'a', '$a', '$a$;', '$a$b', '$a$;b']) expect(parseMvCell(bad), bad).toBeNull();
    for (const values of [['x', 'y'], ['$', '$$', ';', '$;$'], ['', 'a']]) expect(parseMvCell(mvCellText(values))).toEqual(values);
  });

  it('writes from a subsearch, which runs first (ESCU writes its baselines inside [search ...])', async () => {
    const rows = await run('| makeresults | eval k="outer" | append [| makeresults | eval k="inner" | table k | outputlookup sub.csv] | table k');
    expect(rows).toEqual([{ k: 'outer' }, { k: 'inner' }]);
    expect(file('sub.csv')).toBe('k\ninner\n');
  });

  it('append=true adds rows after the existing ones under the existing header (other fields dropped)', async () => {
    // outputcsv (the same append rule): "If there is an existing file that has a CSV header already, the command only
    // emits the fields that are referenced by that header."
    await run('| makeresults | eval src="10.0.0.1", count=5 | table src count | outputlookup base.csv');
    await run('| makeresults | eval count=7, src="10.0.0.2", extra="dropped" | table count src extra | outputlookup append=true base.csv');
    expect(file('base.csv')).toBe('src,count\n10.0.0.1,5\n10.0.0.2,7\n');
    // No file yet: append creates it.
    await run('| makeresults | eval k="v" | table k | outputlookup append=t fresh.csv');
    expect(file('fresh.csv')).toBe('k\nv\n');
  });

  it('max= writes the first rows only; every row still passes through', async () => {
    const rows = await run('| makeresults count=5 | streamstats count AS n | table n | outputlookup max=2 few.csv');
    expect(rows).toHaveLength(5);
    expect(file('few.csv')).toBe('n\n1\n2\n');
  });

  it('no results: removes the file (override_if_empty default), keeps it (false), or makes it empty (create_empty=true)', async () => {
    await run('| makeresults | eval k=1 | table k | outputlookup e.csv');
    await run('| makeresults | eval k=1 | table k | outputlookup override_if_empty=false e.csv');
    expect(await run('| makeresults | where 1=2 | outputlookup override_if_empty=false e.csv')).toEqual([]);
    expect(file('e.csv')).toBe('k\n1\n');
    await run('| makeresults | where 1=2 | outputlookup e.csv');
    expect(existsSync(join(dir, 'e.csv'))).toBe(false);
    await run('| makeresults | where 1=2 | outputlookup create_empty=true e.csv');
    expect(file('e.csv')).toBe('');
    expect(await run('| inputlookup e.csv')).toEqual([]);
  });

  it('refuses names that are not plain file names, at the name, and writes nothing', async () => {
    // A C1 control (NEL) and a bidirectional override are control characters too (the override makes the name display reversed).
    for (const name of ['"../x.csv"', '/etc/passwd', '"a/b.csv"', '"a\\\\b.csv"', '".hidden.csv"', '".."', 'x.csv.gz', '"a\u0085b.csv"', '"x\u202Evsc.csv"']) {
      const spl = `| makeresults | outputlookup ${name}`;
      const e = await errorOf(spl);
      expect(e.code, name).toBe('SPL_BAD_ARGUMENT');
      expect(e.format(), name).toContain(at(spl, name));
    }
    const long = 'n'.repeat(10 * 1024);
    const e = await errorOf(`| makeresults | outputlookup ${long}.csv`);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('255 bytes');
    expect(readdirSync(dir)).toEqual([]);
    // A name never reaches outside the directory when read either: no such table (a warning, no rows; strict=true: the error).
    expect(await run('| inputlookup "../x.csv"')).toEqual([]);
    expect((await errorOf('| inputlookup strict=true "../x.csv"')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('writes a name of the largest allowed length (255 bytes as <name>.csv)', async () => {
    const name = `${'n'.repeat(251)}.csv`;
    await run(`| makeresults | eval k="v" | table k | outputlookup ${name}`);
    expect(file(name)).toBe('k\nv\n');
    expect(readdirSync(dir)).toEqual([name]);
  });

  // Search Reference, outputlookup: "Writes search results to a static lookup table": every result of the search, whatever
  // comes after the command (head limits what is returned, not what reached the lookup).
  it('writes every result even when a head follows it (the results pass on after the file is written)', async () => {
    expect(await run('| makeresults count=1000 | streamstats count AS n | table n | outputlookup h.csv | head 2')).toEqual([{ n: 1 }, { n: 2 }]);
    const lines = file('h.csv').trim().split('\n');
    expect(lines.length).toBe(1001);
    expect([lines[0], lines[1], lines[1000]]).toEqual(['n', '1', '1000']);
  });

  it('takes a unicode name', async () => {
    await run('| makeresults | eval k="v" | table k | outputlookup "übersicht-日本.csv"');
    expect(file('übersicht-日本.csv')).toBe('k\nv\n');
    expect(await run('| inputlookup "übersicht-日本"')).toEqual([{ k: 'v' }]);
  });

  it('bounds the rows and bytes of a file (SPL_LOOKUP_WRITE at the command, the old file kept)', async () => {
    const small = withLookupDir(NO_LOOKUPS, { ...limits, dir, refusal: null, maxRows: 3, maxBytes: 50 });
    await run('| makeresults count=2 | streamstats count AS n | table n | outputlookup s.csv', small);
    let spl = '| makeresults count=4 | streamstats count AS n | table n | outputlookup s.csv';
    let e = await errorOf(spl, small);
    expect(e.code).toBe('SPL_LOOKUP_WRITE');
    expect(e.message).toContain('more than 3 rows');
    expect(e.format()).toContain(at(spl, 'outputlookup'));
    // Appending 2 rows to 2 makes 4.
    e = await errorOf('| makeresults count=2 | streamstats count AS n | table n | outputlookup append=true s.csv', small);
    expect(e.message).toContain('more than 3 rows');
    spl = '| makeresults | eval big=printf("%060d", 1) | table big | outputlookup s.csv';
    e = await errorOf(spl, small);
    expect(e.code).toBe('SPL_LOOKUP_WRITE');
    expect(e.message).toContain('more than 50 bytes');
    expect(file('s.csv')).toBe('n\n1\n2\n');
  });

  it('without a writable directory, or refused, fails at the command before any row', async () => {
    const spl = '| makeresults | outputlookup x.csv';
    let e = await errorOf(spl, NO_LOOKUPS);
    expect(e.code).toBe('SPL_LOOKUP_WRITE');
    expect(e.message).toContain('--lookup-dir');
    const refused = withLookupDir(NO_LOOKUPS, { dir, refusal: 'writing lookups is off for API searches', ...limits });
    e = await errorOf(spl, refused);
    expect(e.message).toContain('off for API searches');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses KV store options and a bad output_format', async () => {
    let spl = '| makeresults | outputlookup key_field=k x.csv';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.format()).toContain(at(spl, 'key_field'));
    spl = '| makeresults | outputlookup output_format=json x.csv';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | outputlookup')).code).toBe('SPL_SYNTAX');
  });

  it('replaces a link in the directory instead of writing through it, and reads no link', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'vigil-outside-')), 'target.csv');
    writeFileSync(outside, 'k\nsecret\n');
    symlinkSync(outside, join(dir, 'l.csv'));
    // Read neither by inputlookup nor by lookup: the file outside the directory stays unread.
    expect(await run('| inputlookup l.csv')).toEqual([]);
    expect((await errorOf('| makeresults | eval k="secret" | lookup l k OUTPUT k AS found')).message).toMatch(/unknown lookup table "l"/);
    await run('| makeresults | eval k="mine" | table k | outputlookup append=true l.csv');
    expect(readFileSync(outside, 'utf8')).toBe('k\nsecret\n');
    expect(file('l.csv')).toBe('k\nmine\n');
  });

  it('reads a table through no link put in place of its file after it was looked up (the table is read when used)', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'vigil-outside-')), 'target.csv');
    writeFileSync(outside, 'k\nsecret\n');
    writeFileSync(join(dir, 'swap.csv'), 'k\nmine\n');
    const table = lookups.get('swap')!;
    rmSync(join(dir, 'swap.csv'));
    symlinkSync(outside, join(dir, 'swap.csv'));
    expect(() => table.rows).toThrow(/cannot be read/);
  });

  it('the written lookup overrides the content table of that name (lookup reads it too)', async () => {
    const content: LookupProvider = {
      get: (n) => (n === 'seen' || n === 'seen.csv' ? { name: 'seen', fields: ['ip', 'tag'], rows: [{ ip: '1.1.1.1', tag: 'content' }], caseSensitive: true } : undefined),
      names: () => ['seen'],
    };
    const both = withLookupDir(content, { dir, refusal: null, ...limits });
    expect(await run('| makeresults | eval ip="1.1.1.1" | lookup seen ip OUTPUT tag | table tag', both)).toEqual([{ tag: 'content' }]);
    await run('| makeresults | eval ip="1.1.1.1", tag="local" | table ip tag | outputlookup seen', both);
    expect(await run('| makeresults | eval ip="1.1.1.1" | lookup seen ip OUTPUT tag | table tag', both)).toEqual([{ tag: 'local' }]);
  });
});

// ESCU 2024-10 "Detect Spike in S3 Bucket deletion": its subsearch keeps a per-arn baseline in s3_deletion_baseline
// (inputlookup append=t ... outputlookup) and flags a spike against it. Its pipeline from `stats` on, verbatim, over
// hand-made events (10 DeleteBucket calls by arn:a, 1 by arn:b); the content ships the table's first state.
describe('outputlookup in an ESCU baseline', () => {
  const ESCU =
    '| stats count as apiCalls by arn | inputlookup s3_deletion_baseline append=t | fields - latestCount | stats values(*) as * by arn | rename apiCalls as latestCount | eval newAvgApiCalls=avgApiCalls + (latestCount-avgApiCalls)/720 | eval newStdevApiCalls=sqrt(((pow(stdevApiCalls, 2)*719 + (latestCount-newAvgApiCalls)*(latestCount-avgApiCalls))/720)) | eval avgApiCalls=coalesce(newAvgApiCalls, avgApiCalls), stdevApiCalls=coalesce(newStdevApiCalls, stdevApiCalls), numDataPoints=if(isnull(latestCount), numDataPoints, numDataPoints+1) | table arn, latestCount, numDataPoints, avgApiCalls, stdevApiCalls | outputlookup s3_deletion_baseline | eval dataPointThreshold = 15, deviationThreshold = 3 | eval isSpike=if((latestCount > avgApiCalls+deviationThreshold*stdevApiCalls) AND numDataPoints > dataPointThreshold, 1, 0) | where isSpike=1 | rename arn as userIdentity.arn | table userIdentity.arn';
  const EVENTS = '| makeresults count=11 | streamstats count AS i | eval arn=if(i<=10, "arn:a", "arn:b") ';
  const content: LookupProvider = {
    get: (n) =>
      n === 's3_deletion_baseline'
        ? { name: n, fields: ['arn', 'latestCount', 'numDataPoints', 'avgApiCalls', 'stdevApiCalls'], rows: [{ arn: 'arn:a', latestCount: '3', numDataPoints: '20', avgApiCalls: '2', stdevApiCalls: '1' }], caseSensitive: true }
        : undefined,
    names: () => ['s3_deletion_baseline'],
  };

  it('writes the new baseline and flags the spike; the next run reads the written baseline, not the content one', async () => {
    const l = withLookupDir(content, { dir, refusal: null, ...limits });
    // By hand, arn:a: latestCount 10, avg 2 + (10-2)/720 = 2.0111..., stdev sqrt((1*719 + (10-2.0111)*(10-2))/720) =
    // 1.04277..., numDataPoints 21; 10 > 2.0111 + 3*1.0428 = 5.14 and 21 > 15: a spike. arn:b: only latestCount 1.
    expect(await run(EVENTS + ESCU, l)).toEqual([{ 'userIdentity.arn': 'arn:a' }]);
    const first = (await run('| inputlookup s3_deletion_baseline', l)) as Record<string, string>[];
    expect(first.map((r) => [r['arn'], r['latestCount'], r['numDataPoints']])).toEqual([
      ['arn:a', '10', '21'],
      ['arn:b', '1', undefined],
    ]);
    expect(Number(first[0]!['avgApiCalls'])).toBeCloseTo(2 + 8 / 720, 12);
    expect(Number(first[0]!['stdevApiCalls'])).toBeCloseTo(Math.sqrt((719 + (10 - (2 + 8 / 720)) * 8) / 720), 12);
    // Run 2, same events: arn:a from the written row (22 data points); arn:b has no average, so never a spike.
    expect(await run(EVENTS + ESCU, l)).toEqual([{ 'userIdentity.arn': 'arn:a' }]);
    const second = (await run('| inputlookup s3_deletion_baseline.csv', l)) as Record<string, string>[];
    expect(second[0]!['numDataPoints']).toBe('22');
    const avg1 = 2 + 8 / 720;
    expect(Number(second[0]!['avgApiCalls'])).toBeCloseTo(avg1 + (10 - avg1) / 720, 12);
  });
});
