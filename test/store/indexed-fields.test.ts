/**
 * The store's indexed process name (store/indexed-fields.ts): a scan with an exact-value condition on process_name
 * returns exactly the events whose process_name, as search reads it, is one of the values (or has several values),
 * newest first from the `(pn, t)` index; a table of another version of the rule, or of none, is read whole.
 * Expectations are computed from the events with the engine's documented comparison of `field=value` for a value
 * without wildcards: any value of the field, as text, lower-cased, equals the lower-cased value.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest, type ScanRequest } from '../../src/events/scan.js';
import { isMultivalue, toText } from '../../src/events/value.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { INDEXED_FIELDS_VERSION, processNameKey } from '../../src/store/indexed-fields.js';
import { groupSql, type BucketRef, type ScanPlan } from '../../src/store/reader.js';
import { createPartSql, MIXED_PART } from '../../src/store/schema.js';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { bruteForce, cleanupDirs, collect, event, pick, plain, rng, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const T0 = 1_700_000_000;
const EXEC = 'cisco:isovalent:processExec';
/** Eleven sourcetypes: past a bucket's eight tables, the others share its mixed table. */
const STS = [EXEC, 'cisco:isovalent', 'cisco:isovalent:processConnect', 'other', ...Array.from({ length: 7 }, (_, i) => `extra${i}`)];

/** Binaries as Tetragon spells them in `_raw` (JSON text), with what they mean to search. */
const BINARIES = [
  '/usr/bin/curl',
  '/usr/bin/CURL',
  '/opt/Curl',
  '\\/usr\\/bin\\/curl', // `\/` spelling
  '/usr/bin/cu\\u0072l', // `\u` escape
  '/bin/sh',
  '/bin/bash',
  '/bin/ba\u017fh', // LONG S: not `bash` to a case-insensitive equality
  '/sbin/\u212a', // KELVIN SIGN: lower-cases to `k`
  '/x/\u0130', // İ: lower-cases to two characters
  '/x/straße',
  '/usr/bin/', // an empty basename
  'nsenter',
];
const SEARCHED = ['curl', 'CURL', 'sh', 'bash', 'ba\u017fh', 'k', '\u212a', 'i\u0307', '\u0130', 'STRASSE', 'straße', '', 'nsenter', 'missing', '7'];

function raw(r: () => number): string {
  const b = pick(r, BINARIES);
  switch (Math.floor(r() * 9)) {
    case 0:
      return `{"process_exit":{"process":{"binary":"${b}","pid":1}},"node_name":"n"}`;
    case 1:
      return `{"process_kprobe":{"process":{"binary":"${b}"},"function_name":"f"}}`;
    case 2:
      return `{"process_exec":{"process":{"pid":3}},"process_name":"${pick(r, ['curl', 'Sh'])}"}`; // no binary: the top-level key
    case 3:
      return `{"process_name":${pick(r, ['"curl"', '"CURL"', '7', '["curl","sh"]', '["x","y"]', 'null', '{"a":1}'])}}`;
    case 4:
      return `{"process_exec":{"process":{"binary":"${b}"}`; // truncated
    case 5:
      return r() < 0.5 ? 'not json at all curl' : `{"process_exec":{"process":{"binary":"/bin/${r() < 0.5 ? 'curl' : 'x'.repeat(2000)}${'x'.repeat(1100)}"}}}`; // too long to index
    default:
      return `{"process_exec":{"process":{"binary":"${b}","arguments":"-k"},"parent":{"binary":"/bin/sh"}},"node_name":"n"}`;
  }
}

function corpus(n: number, seed: number, t0 = T0): Event[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => event({ _time: t0 + Math.floor(i / 4), sourcetype: pick(r, STS), _raw: raw(r) }));
}

/** Whether `field=value` (a value without wildcards, not a number) keeps the event: the expectation, apart from the code. */
function keeps(e: Event, value: string): boolean {
  const v = eventResult(e).get('process_name');
  if (v === null || v === undefined) return false;
  const want = value.toLowerCase();
  return (isMultivalue(v) ? v : [v]).some((x) => (typeof x === 'string' ? x : toText(x)).toLowerCase() === want);
}

/** Rows every scan reads: not Tetragon's (`cisco:isovalent*`), or a process name of several values or over 1024 characters. */
const alwaysRead = (e: Event): boolean => {
  if (!e.sourcetype.toLowerCase().startsWith('cisco:isovalent')) return true;
  const v = eventResult(e).get('process_name');
  return isMultivalue(v) || (typeof v === 'string' && v.length > 1024);
};

function request(values: string[], over: Partial<ScanRequest> = {}): ScanRequest {
  return { ...emptyScanRequest(), ...over, indexed: [{ field: 'process_name', values: values.map((v) => v.toLowerCase()) }] };
}

async function loaded(events: readonly Event[]): Promise<string> {
  const dir = tempDir();
  const store = await openStore(dir);
  await store.append(events);
  await store.close();
  return dir;
}

describe('the indexed process name', () => {
  const events = corpus(1500, 7);

  it('reads exactly the events whose process_name is one of the values (or has several), newest first', async () => {
    const store = await openStore(await loaded(events), { readonly: true });
    try {
      let filtered = 0;
      for (const values of [...SEARCHED.map((v) => [v]), ['curl', 'sh'], ['BASH', 'nsenter', 'missing'], SEARCHED]) {
        for (const over of [{}, { metadata: [{ field: 'sourcetype' as const, patterns: [EXEC] }] }, { metadata: [{ field: 'sourcetype' as const, patterns: ['extra*', 'other'] }] }]) {
          const req = request(values, over);
          const all = bruteForce(events, { ...req, indexed: [] });
          const want = all.filter((e) => alwaysRead(e) || values.some((v) => keeps(e, v)));
          expect(plain(await collect(store, req)), `${values.join(',')} ${JSON.stringify(over)}`).toEqual(plain(want));
          filtered += all.length - want.length;
        }
      }
      expect(filtered).toBeGreaterThan(5_000); // the condition did leave rows out
    } finally {
      await store.close();
    }
  });

  it('keeps the keys of version 1 of the rule: a change to them (normalize reading the process name otherwise) bumps INDEXED_FIELDS_VERSION', () => {
    // Stores keep these keys: a build reading the field otherwise would trust keys it does not compute, and drop rows.
    expect(INDEXED_FIELDS_VERSION).toBe(1);
    const cases: [string, string, string | null][] = [
      [EXEC, '{"process_exec":{"process":{"binary":"/usr/bin/Curl","arguments":"-k"}},"node_name":"n"}', '=curl'],
      [EXEC, '{"process_exec":{"process":{"binary":"\\/usr\\/bin\\/cu\\u0072l"}}}', '=curl'],
      [EXEC, '{"process_exec":{"process":{"binary":"/usr/bin/"}}}', '='],
      [EXEC, '{"process_exec":{"process":{"binary":"nsenter"}}}', '=nsenter'],
      [EXEC, '{"process_exec":{"process":{"pid":3}},"process_name":"Sh"}', '=sh'],
      [EXEC, '{"process_kprobe":{"process":{"binary":"/x/\u0130"},"function_name":"f"}}', '=i\u0307'],
      [EXEC, '{"process_exit":{"process":{"binary":"/sbin/\u212a"}}}', '=k'],
      ['cisco:isovalent', '{"process_connect":{"process":{"binary":"/bin/bash"}}}', '=bash'],
      [EXEC, '{"process_exec":{"process":{"pid":3}},"process_name":7}', '=7'],
      [EXEC, '{"process_exec":{"process":{"pid":3}},"process_name":["curl","sh"]}', null], // an array is `process_name{}`
      ['CISCO:Isovalent:processExec', '{"process_exit":{"process":{"binary":"/bin/Sh"}}}', '=sh'],
      // Other events are always read: their process name would cost the writer a JSON.parse.
      ['other', '{"process_exec":{"process":{"binary":"/usr/bin/curl"}},"process_name":"Wget"}', '*'],
      ['other', '{"process_name":null}', '*'],
      ['other', 'process_name=curl', '*'],
      ['stash', '{"process_name":["Curl"],"risk_score":5}', '*'],
      [EXEC, `{"process_exec":{"process":{"binary":"/bin/${'x'.repeat(1025)}"}}}`, '*'],
    ];
    for (const [sourcetype, raw, key] of cases) expect(processNameKey(event({ _time: T0, sourcetype, _raw: raw })), raw).toBe(key);
  });

  it('keeps no key for a process name with a lone surrogate: SQLite returns it spelled otherwise', async () => {
    // A HEC string event may hold a lone UTF-16 surrogate: SQLite stores its WTF-8 bytes and reads them back as
    // three U+FFFD, which is what search then compares; a key of the name as appended would never be asked for.
    const names = ['\uD800x', 'a\uDC00', '\uDC00\uD800', 'ok\uD83D\uDE00'];
    const lone = names.flatMap((n, i) => [
      event({ _time: T0 + i, sourcetype: 'other', _raw: `{"process_name":"${n}"}` }),
      event({ _time: T0 + i, sourcetype: EXEC, _raw: `{"process_exec":{"process":{"binary":"/usr/bin/${n}"}},"node_name":"n"}` }),
    ]);
    const store = await openStore(await loaded(lone), { readonly: true });
    try {
      const whole = await collect(store);
      // Rows appended with a lone surrogate are read by every scan (their name comes back with U+FFFD).
      const always = (x: Event): boolean => x._raw.includes('\uFFFD') || alwaysRead(x);
      for (const e of whole) {
        const v = eventResult(e).get('process_name') as string;
        const want = whole.filter((x) => always(x) || keeps(x, v));
        expect(want.filter((x) => keeps(x, v)).length).toBeGreaterThan(0);
        expect(plain(await collect(store, request([v]))), JSON.stringify(v)).toEqual(plain(want));
      }
    } finally {
      await store.close();
    }
  });

  it('can be off (StoreOptions.indexedFields, store.indexedFields): new tables without it, read whole', async () => {
    const dir = tempDir();
    let store = await openStore(dir, { indexedFields: false });
    await store.append(events.slice(0, 700));
    await store.close();
    // On again: the tables made while it was off keep taking rows as they were made; new buckets get it.
    store = await openStore(dir);
    const later = corpus(300, 21, T0 + 7200);
    await store.append([...events.slice(700), ...later]);
    await store.close();
    const db = new Database(`${dir}/${STORE_FILE}`, { readonly: true });
    const parts = db.prepare<[], { bucket_id: number; st: number; fields: number }>('SELECT bucket_id, st, fields FROM bucket_parts ORDER BY bucket_id').all();
    const hasPn = (b: number, st: number): boolean =>
      db.prepare<[], { name: string }>(`PRAGMA table_info(${st === MIXED_PART ? `b${b}` : `b${b}_s${st}`})`).all().some((c) => c.name === 'pn');
    for (const p of parts) expect(hasPn(p.bucket_id, p.st)).toBe(p.fields > 0);
    db.close();
    expect(new Set(parts.filter((p) => p.bucket_id === parts[0]!.bucket_id).map((p) => p.fields))).toEqual(new Set([0]));
    expect(new Set(parts.filter((p) => p.bucket_id !== parts[0]!.bucket_id).map((p) => p.fields))).toEqual(new Set([INDEXED_FIELDS_VERSION]));
    const all = [...events, ...later];
    const ro = await openStore(dir, { readonly: true });
    const req = request(['curl']);
    const whole = bruteForce(all, { ...req, indexed: [] });
    // The first hour is read whole, the bucket made with the field on is filtered.
    const want = whole.filter((e) => e._time < T0 + 7200 || alwaysRead(e) || keeps(e, 'curl'));
    expect(want.length).toBeLessThan(whole.length);
    expect(plain(await collect(ro, req))).toEqual(plain(want));
    await ro.close();
  });

  it('is used only on tables of the current version of the rule: others are read whole', async () => {
    const dir = await loaded(events);
    const req = request(['curl']);
    const want = bruteForce(events, { ...req, indexed: [] }).filter((e) => alwaysRead(e) || keeps(e, 'curl'));
    expect(want.length).toBeGreaterThan(100);
    const db = new Database(`${dir}/${STORE_FILE}`);
    const tables = db.prepare<[], { bucket_id: number; st: number }>('SELECT bucket_id, st FROM bucket_parts').all();
    // Keys no search asks for: a scan that trusts them finds nothing.
    for (const { bucket_id: b, st } of tables) db.exec(`UPDATE ${st === MIXED_PART ? `b${b}` : `b${b}_s${st}`} SET pn = '=nothing'`);
    db.close();
    let store = await openStore(dir, { readonly: true });
    expect(await collect(store, req)).toEqual([]);
    await store.close();
    const old = new Database(`${dir}/${STORE_FILE}`);
    old.exec(`UPDATE bucket_parts SET fields = ${INDEXED_FIELDS_VERSION + 1}`); // written by another version of the rule
    old.close();
    store = await openStore(dir, { readonly: true });
    expect(plain(await collect(store, req))).toEqual(plain(bruteForce(events, { ...req, indexed: [] })));
    await store.close();
  });

  it('gives rows appended to a table of another version of the rule no key of this one: that version reads them all', async () => {
    const dir = await loaded(corpus(300, 21));
    // Tables a build with another rule made (a newer one, before this build came back, or an older one still writing).
    let db = new Database(`${dir}/${STORE_FILE}`);
    db.exec(`UPDATE bucket_parts SET fields = ${INDEXED_FIELDS_VERSION + 1}`);
    db.close();
    const store = await openStore(dir);
    await store.append(corpus(300, 22, T0 + 10)); // the same hour: the same tables
    await store.close();
    db = new Database(`${dir}/${STORE_FILE}`, { readonly: true });
    const keys = new Set<string | null>();
    for (const { bucket_id: b, st } of db.prepare<[], { bucket_id: number; st: number }>('SELECT bucket_id, st FROM bucket_parts').all()) {
      for (const k of db.prepare<[], string | null>(`SELECT pn FROM ${st === MIXED_PART ? `b${b}` : `b${b}_s${st}`} WHERE rowid > 300`).pluck().all()) keys.add(k);
    }
    db.close();
    expect([...keys]).toEqual(['*']);
  });

  it('goes on in an upgraded store: its tables without the column keep taking rows, new buckets get it', async () => {
    const first = corpus(600, 11);
    const dir = await loaded(first);
    // What a build before migration 6 left: no `pn`, no `fields` (nor migration 7's `f` and `has_f`).
    const db = new Database(`${dir}/${STORE_FILE}`);
    for (const { bucket_id: b, st } of db.prepare<[], { bucket_id: number; st: number }>('SELECT bucket_id, st FROM bucket_parts').all()) {
      const t = st === MIXED_PART ? `b${b}` : `b${b}_s${st}`;
      db.exec(`DROP INDEX ${t}_pn; ALTER TABLE ${t} DROP COLUMN pn; ALTER TABLE ${t} DROP COLUMN f`);
    }
    db.exec('ALTER TABLE bucket_parts DROP COLUMN fields; ALTER TABLE bucket_parts DROP COLUMN has_f');
    db.pragma('user_version = 5');
    db.close();
    const store = await openStore(dir);
    // The same hour (the old tables), then two hours later (a new bucket).
    const more = [...corpus(400, 12, T0 + 100), ...corpus(400, 13, T0 + 7200)];
    await store.append(more);
    const all = [...first, ...more];
    for (const values of [['curl'], ['sh', 'bash'], ['missing']]) {
      const req = request(values);
      const want = bruteForce(all, { ...req, indexed: [] }).filter((e) => alwaysRead(e) || values.some((v) => keeps(e, v)));
      const got = await collect(store, req);
      // Old tables are read whole: their rows come unfiltered, those of the new bucket filtered.
      const oldRows = bruteForce(all, { ...req, indexed: [] }).filter((e) => e._time < T0 + 7200);
      expect(plain(got)).toEqual(plain([...want.filter((e) => e._time >= T0 + 7200), ...oldRows]));
    }
    await store.close();
  });

  it('reads each name from the (pn, t) index in time order: no sort', () => {
    const db = new Database(':memory:');
    const group: BucketRef[] = [
      { id: 1, indexId: 1, start: 0, end: 100, parts: [3, MIXED_PART], indexed: [3, MIXED_PART] },
      { id: 2, indexId: 2, start: 0, end: 100, parts: [3, MIXED_PART], indexed: [] },
    ];
    for (const b of group) for (const st of b.parts) db.exec(createPartSql(b.id, st, b.indexed!.includes(st) ? INDEXED_FIELDS_VERSION : 0, false));
    const plan: ScanPlan = { lo: 10, hi: 20, indexIds: null, sourcetypeIds: [3, 4], sourceIds: null, hostIds: null, raw: null, processNames: ['=curl', '=sh', '*'] };
    const q = groupSql(group, plan)!;
    expect(q.params).toMatchObject({ k1: '=curl', k2: '=sh', k3: '*' });
    const steps = db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(q.params) as { detail: string }[];
    const details = steps.map((s) => s.detail).join('\n');
    expect(details).not.toMatch(/TEMP B-TREE/);
    expect(details.match(/USING INDEX b1_s3_pn/g)).toHaveLength(3);
    expect(details.match(/USING INDEX b1_pn/g)).toHaveLength(3);
    expect(details).toMatch(/USING INDEX b2_s3_t/); // a table without the column: its time index
    // Past MAX_PROCESS_NAME_ARMS names, the tables are read over their time index.
    const many = groupSql(group, { ...plan, processNames: Array.from({ length: 40 }, (_, i) => `=p${i}`) })!;
    expect(many.sql).not.toMatch(/_pn/);
  });

  it('reads a group over its time index when its name arms would pass a compound SELECT: nested, they compile for seconds', () => {
    // 64 indexes in one span, each bucket 9 tables: 16 names would be 9,216 arms (11 s to prepare, against 0.07 s).
    const wide: BucketRef[] = Array.from({ length: 64 }, (_, i) => ({ id: i + 1, indexId: i + 1, start: 0, end: 100, parts: [1, 2, 3, 4, 5, 6, 7, 8, MIXED_PART], indexed: [1, 2, 3, 4, 5, 6, 7, 8, MIXED_PART] }));
    const names = [...Array.from({ length: 15 }, (_, i) => `=p${i}`), '*'];
    const plan: ScanPlan = { lo: null, hi: null, indexIds: null, sourcetypeIds: null, sourceIds: null, hostIds: null, raw: null, processNames: names };
    const q = groupSql(wide, plan)!;
    expect(q.sql).not.toMatch(/_pn/);
    expect(q.sql.split(' UNION ALL ')).toHaveLength(64 * 9);
    // Three indexes: 432 arms, one compound SELECT.
    expect(groupSql(wide.slice(0, 3), plan)!.sql.match(/INDEXED BY b\d+(_s\d+)?_pn/g)).toHaveLength(3 * 9 * 16);
  });
});
