/**
 * The store's raw prefilter (SQL LIKE/GLOB pushdown, then the row test in JavaScript for what SQL cannot say) never
 * drops a row a search keeps: hostile rows (other JSON spellings of a literal, GLOB and LIKE metacharacters, NUL,
 * non-ASCII, malformed lines) against random filters, single and shared (a pack's alternatives), compared with the
 * same scan without any raw filter, then the exact filter applied in JavaScript.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, metadataPredicate, type RawFilter, type ScanRequest } from '../../src/events/scan.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { bruteForce, cleanupDirs, collect, event, pick, plain, rng, tempDir } from './helpers.js';

const T0 = 1_700_000_000;
const STS = ['cisco:isovalent:processExec', 'cisco:isovalent', 'cisco:isovalent:processConnect', 'other'];

/** Pieces of rows: each a spelling that some filter below may or may not see. */
const PIECES = [
  '"binary":"/usr/bin/curl"',
  '"binary":"\\/usr\\/bin\\/curl"', // \/ spelling
  '"binary":"/usr/bin/cu\\u0072l"', // \u escape
  '"process_name":"CURL"',
  '"Binary":"x"', // key in another case
  '"arguments":"-k https://x"',
  '"arguments":"--insecure"',
  '"arguments":"-\u212a"', // KELVIN SIGN, lower-cases to k
  '"name":"ba\u017fh"', // LONG S, folds to s
  '"a*b":1',
  '"a?b":2',
  '"[x]":3',
  '"axb":4',
  '"p":"100%_\\\\u"', // LIKE metacharacters, an escaped backslash before u
  '"s":"Straße"',
  '"s":"STRASSE"',
  '"n":"nul\0curl"',
  '"process_kprobe":{"action":"KPROBE"}',
  '"process_exec":{}',
];
const TEXTS = ['curl', 'CURL', '/curl"', '"curl"', 'k', '-k', 'sh', 'bash', 'a*b', 'a?b', '[x]', 'axb', '100%', '_\\u', 'straße', 'Kprobe', '"process_kprobe', 'action"', '/usr/bin/', 'zzz'];
const KEYS = ['"binary"', '"Binary"', '"a*b"', '"a?b"', '"[x]"', '"process_exec"', '"process_kprobe', '"name"'];
const REGEXES: RawFilter[] = [
  { kind: 'regex', source: 'c[uU]rl', flags: 'i' },
  { kind: 'regex', source: '-(?:[a-z]*k|-insecure)', flags: 'iu' },
  { kind: 'regex', source: '\\[x\\]', flags: '' },
  { kind: 'regex', source: 'ba[sſ]h', flags: 'u', verbatim: true },
];

function rows(n: number, r: () => number): Event[] {
  return Array.from({ length: n }, (_, i) => {
    const parts = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, PIECES));
    const c = r();
    // Mostly JSON objects; some truncated, some not JSON, one in a while with a line feed inside.
    const raw = c < 0.8 ? `{${parts.join(',')}}` : c < 0.9 ? `{${parts.join(',')}` : c < 0.97 ? parts.join(' ') : `{${parts.join(',\n')}}`;
    return event({ _time: T0 + Math.floor(i / 3), sourcetype: pick(r, STS), _raw: raw });
  });
}

function filter(r: () => number, depth = 0): RawFilter {
  const c = r();
  if (depth < 2 && c < 0.3) return { kind: r() < 0.5 ? 'and' : 'or', items: [filter(r, depth + 1), filter(r, depth + 1)] };
  if (c < 0.45) return pick(r, REGEXES);
  if (c < 0.65) return { kind: 'contains', text: pick(r, KEYS), key: true };
  return { kind: 'contains', text: pick(r, TEXTS), ...(r() < 0.2 ? { verbatim: true } : {}) };
}

function request(r: () => number): ScanRequest {
  const metadata = r() < 0.5 ? [{ field: 'sourcetype' as const, patterns: [pick(r, STS), ...(r() < 0.3 ? [pick(r, STS)] : [])] }] : [];
  return { earliest: r() < 0.3 ? T0 + 20 : null, latest: null, metadata, raw: r() < 0.9 ? filter(r) : null, defaultIndexes: 'all' };
}

/** A filter of ASCII literals only (no regex), which SQL tests alone. */
function sqlOnly(f: RawFilter): boolean {
  if (f.kind === 'contains') return /^[\x01-\x7f]+$/.test(f.text);
  if (f.kind === 'regex') return false;
  return f.items.every(sqlOnly);
}

/** What a search keeps: the scan's events passing its whole request (the engine's re-check). */
function kept(events: readonly Event[], req: ScanRequest): Event[] {
  const meta = metadataPredicate(req);
  const raw = compileRawFilter(req.raw);
  return events.filter((e) => (req.earliest === null || e._time >= req.earliest) && meta(e) && (raw === null || raw(e._raw)));
}

describe('the store prefilter keeps every row a search keeps', () => {
  let s: SqliteStore;
  let events: Event[];
  afterAll(async () => {
    await s.close();
    cleanupDirs();
  });

  it('stores the hostile rows', async () => {
    s = await openStore(tempDir());
    events = rows(900, rng(11));
    await s.append(events);
  });

  it('single searches: the same rows as the unfiltered scan after the exact filter', async () => {
    const r = rng(12);
    const all = await collect(s);
    let tested = 0;
    for (let q = 0; q < 300; q++) {
      const req = request(r);
      const got = await collect(s, req);
      const want = kept(all, req);
      expect(plain(kept(got, req)), JSON.stringify(req)).toEqual(plain(want));
      expect(plain(want)).toEqual(plain(bruteForce(events, req)));
      if (req.raw !== null && !sqlOnly(req.raw)) {
        // SQL cannot say it all: the row test gives exactly the rows passing the filter.
        tested++;
        expect(got.length, JSON.stringify(req)).toBe(want.length);
      }
    }
    expect(tested).toBeGreaterThan(50);
  });

  it('a regex, a non-ASCII literal: the row test returns exactly the rows passing the filter', async () => {
    for (const raw of [...REGEXES, { kind: 'contains', text: 'straße' } as RawFilter, { kind: 'and', items: [{ kind: 'contains', text: 'curl' }, REGEXES[1] as RawFilter] } as RawFilter]) {
      const got = await collect(s, { raw });
      expect(plain(got), JSON.stringify(raw)).toEqual(plain(bruteForce(events, { ...emptyScanRequest(), raw })));
    }
  });

  it('a filter too large for one SQL expression (SQLite: depth 1000) is tested in JavaScript: the rows it passes, no error', async () => {
    // `process_name IN (<thousands of names>)`: an OR of thousands of literals.
    const many: RawFilter = { kind: 'or', items: [...Array.from({ length: 3000 }, (_, i): RawFilter => ({ kind: 'contains', text: `zz${i}` })), { kind: 'contains', text: 'curl' }] };
    for (const raw of [many, { kind: 'and', items: [{ kind: 'contains', text: '"binary"', key: true }, many] } as RawFilter]) {
      for (const metadata of [[], [{ field: 'sourcetype' as const, patterns: STS.slice(0, 2) }]]) {
        const req = { ...emptyScanRequest(), raw, metadata };
        const got = await collect(s, req);
        expect(plain(kept(got, req))).toEqual(plain(bruteForce(events, req)));
        expect(bruteForce(events, req).length).toBeGreaterThan(0);
      }
    }
  });

  it('GLOB metacharacters in key names are literal (fully pushed: no more rows than the filter passes)', async () => {
    for (const text of ['"a*b"', '"a?b"', '"[x]"']) {
      // Verbatim: no other spelling to let through, so SQL decides exactly (the NUL rows aside).
      const raw: RawFilter = { kind: 'contains', text, key: true, verbatim: true };
      const got = (await collect(s, { raw })).filter((e) => !e._raw.includes('\0'));
      const want = events.filter((e) => e._raw.includes(text) && !e._raw.includes('\0'));
      expect(want.length).toBeGreaterThan(0);
      expect(got.length, text).toBe(want.length);
    }
  });

  it('a filter most rows pass is tested in JavaScript alone: still exactly the rows it passes', async () => {
    const t = await openStore(tempDir());
    try {
      // 95% of the rows hold the key, the others do not or spell it another way (an escape, which it must keep).
      const r = rng(14);
      const mostly = Array.from({ length: 400 }, (_, i) => {
        const c = r();
        const raw = c < 0.95 ? `{"binary":"/bin/${i}"}` : c < 0.98 ? `{"b\\u0069nary":"${i}"}` : `{"other":"${i}"}`;
        return event({ _time: T0 + i, sourcetype: pick(r, STS), _raw: raw });
      });
      await t.append(mostly);
      const single: ScanRequest = { ...emptyScanRequest(), raw: { kind: 'contains', text: '"binary"', key: true } };
      const got = await collect(t, single);
      expect(plain(got)).toEqual(plain(bruteForce(mostly, single)));
      expect(got.length).toBeLessThan(mostly.length);
      const alternatives = [single, { ...emptyScanRequest(), metadata: [{ field: 'sourcetype' as const, patterns: [STS[1] as string] }], raw: { kind: 'contains' as const, text: 'zzz' } }];
      const shared = await collect(t, { ...emptyScanRequest(), alternatives });
      expect(plain(shared)).toEqual(plain(bruteForce(mostly, single)));
    } finally {
      await t.close();
    }
  });

  it('shared scans: each search finds among the rows exactly what it finds alone', async () => {
    const r = rng(13);
    for (let q = 0; q < 150; q++) {
      const alternatives = Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({ ...request(r), earliest: null }));
      const union: ScanRequest = { earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all', alternatives };
      const got = await collect(s, union);
      for (const alt of alternatives) expect(plain(kept(got, alt)), JSON.stringify(alt)).toEqual(plain(bruteForce(events, alt)));
    }
  });
});
