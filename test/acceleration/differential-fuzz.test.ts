import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SummaryBuilder } from '../../src/acceleration/builder.js';
import { acceleratedDatasets } from '../../src/acceleration/datasets.js';
import { SummaryReader } from '../../src/acceleration/reader.js';
import { openSummaryDb } from '../../src/acceleration/summary-db.js';
import type { ContentPack } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { runSearch, SplError } from '../../src/spl/index.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { ESCU_CORPUS_DIR, rowsText } from '../helpers.js';
import { rng } from '../rng.js';
import { NOW, SHOP_MODEL, shopPack } from '../spl/datamodel/helpers.js';

/**
 * Differential fuzzing of tstats over accelerated data models, against Splunk's contracts (Search Reference,
 * tstats: https://help.splunk.com/splunk-enterprise/spl-search-reference/10.0/search-commands/tstats):
 * - "summariesonly=false ... returns results for the entire time range": summaries where they cover, raw events
 *   elsewhere, so the rows of a search of the events (A: accelerated = raw);
 * - "When summariesonly is set to true, the tstats search returns results only from summarized data" (B: the rows
 *   of a raw search over exactly the events that were summarized);
 * - a data model search then stats (datamodel command: "Returns the search results exactly how they are defined")
 *   gives tstats' rows (C), with data-models.md's documented differences built into the equivalent: null BY
 *   values dropped or filled by fillnull_value, `_time span=` as bin, multivalue BY fields split.
 * Events arrive in batches out of time order, late ones land in summarized hours, retention drops buckets and the
 * model definition changes mid-way. Seeded: VIGIL_FUZZ_SEED, VIGIL_FUZZ_RUNS (searches per phase).
 */
const SEED = Number(process.env['VIGIL_FUZZ_SEED'] ?? 20261207);
const RUNS = Number(process.env['VIGIL_FUZZ_RUNS'] ?? 8);
const T0 = 1_700_000_000 - (1_700_000_000 % 3600); // an hour start: 2023-11-14T22:00:00Z
const HOURS = 30;

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const some = <T>(r: Rand, xs: readonly T[], max: number): T[] => {
  const n = 1 + Math.floor(r() * max);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const x = pick(r, xs);
    if (!out.includes(x)) out.push(x);
  }
  return out;
};

const BINS = ['/usr/bin/bash', '/usr/sbin/useradd', '/usr/bin/curl', '/bin/sh', '/usr/bin/base64', '/usr/bin/crontab', '/usr/bin/sudo', '/usr/bin/Curl'];
// Binaries and arguments ESCU's Linux detections look for (so that their searches find rows).
const ESCU_BINS = ['/usr/bin/chmod', '/usr/bin/wget', '/usr/bin/nc', '/usr/bin/python3', '/usr/sbin/setcap', '/usr/bin/find', '/usr/sbin/insmod', '/usr/bin/dd', '/usr/sbin/iptables', '/usr/bin/ssh-keygen', '/usr/bin/passwd', '/usr/bin/chown', '/usr/bin/shred', '/usr/bin/systemctl', '/usr/bin/at', '/bin/su', '/usr/bin/visudo', '/usr/sbin/usermod'];
const ARGS = ['-c "echo aGk= | base64 -d | sh"', 'eve', '-k https://x.example/a', '', '-d /tmp/p', '-e', 'su -', '+s /bin/bash', '-T /root/.aws/credentials https://e.example', '-rf /', 'if=/dev/zero of=/dev/sda', '-F', '-aG sudo eve', 'cap_setuid+ep /tmp/x', '-perm -4000', 'start evil.service', 'root -c id'];
// Case variants, non-ASCII case folding (É/é, ß), texts that look like numbers.
const ITEMS = ['Apple', 'apple', 'APPLE', 'banana', 'Cherry', 'cherry pie', 'Éclair', 'éCLAIR', 'straße', 'STRASSE', '1e3', '1000', '-0', ' 42', '0x10'];

/** One random event: a Tetragon process_exec (some with node, exec ids, user) or a shop order, at `t`. */
function randomEvent(r: Rand, t: number): Event {
  const base = { index: r() < 0.15 ? 'other' : 'main', source: 'tetragon.log', host: 'collector', _time: t };
  if (r() < 0.45) {
    const o: Record<string, unknown> = { item: pick(r, ITEMS), qty: r() < 0.1 ? pick(r, ['1.0', '01', ' 2', 'x']) : Math.floor(r() * 5), price: Math.floor(r() * 9) * 20 };
    if (r() < 0.7) o.customer = `c${Math.floor(r() * 4)}`;
    o.status = pick(r, ['paid', '', 'Paid', undefined]);
    const labels = pick(r, ['a', 'b,a', 'a,b,c', 'B', undefined]);
    if (labels !== undefined) o.label_list = labels;
    return { ...base, sourcetype: 'shop:order', _raw: JSON.stringify(o) };
  }
  const proc: Record<string, unknown> = { pid: 1000 + Math.floor(r() * 9), uid: 0, cwd: '/', binary: pick(r, r() < 0.7 ? BINS : ESCU_BINS), arguments: pick(r, ARGS) };
  if (r() < 0.5) proc.exec_id = `e${Math.floor(r() * 6)}`;
  const body: Record<string, unknown> = { process: proc };
  if (r() < 0.75) body.parent = { pid: 900 + Math.floor(r() * 3), uid: 0, cwd: '/', binary: pick(r, BINS) };
  const json: Record<string, unknown> = { process_exec: body, time: new Date(t * 1000).toISOString() };
  if (r() < 0.6) json.node_name = pick(r, ['node-a', 'node-b', 'Node-A']);
  return { ...base, sourcetype: 'cisco:isovalent:processExec', _raw: JSON.stringify(json) };
}

/** A batch: times spread over the hours, some of them late (hours already summarized), some repeated (ties). */
function batch(r: Rand, n: number, fromHour: number, toHour: number, ties = true): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < n; i++) {
    // Some times are fractional (microseconds, as the store keeps them).
    const t = ties && r() < 0.1 && out.length ? out[out.length - 1]!._time : T0 + Math.floor(fromHour * 3600 + r() * (toHour - fromHour) * 3600) + (r() < 0.2 ? Math.floor(r() * 1e6) / 1e6 : 0);
    out.push(randomEvent(r, t));
  }
  return out;
}

interface Field {
  name: string;
  values: readonly string[];
  numeric?: boolean;
}
interface Target {
  model: string;
  root: string;
  children: readonly string[];
  fields: readonly Field[];
}
const SHOP: Target = {
  model: 'Shop',
  root: 'Orders',
  children: ['Big_Orders'],
  fields: [
    { name: 'Orders.item', values: ['apple', 'Apple', 'APP*', '*an*', 'cherry*', '"cherry pie"', 'éclair', 'ÉCL*', 'STRAßE', 'strasse', '1000', '1e3', '0', '" 42"', '42', '16'] },
    { name: 'Orders.qty', values: ['0', '1', '3', '1.0', '01', 'x*'], numeric: true },
    { name: 'Orders.customer', values: ['c1', 'C2', 'c*'] },
    { name: 'Orders.region', values: ['eu', '*'] },
    { name: 'Orders.labels', values: ['a', 'b', 'B', 'c*'] },
    { name: 'Orders.status', values: ['paid', 'unknown', 'PAID', 'p*'] },
    { name: 'Orders.total', values: ['0', '120', '160'], numeric: true },
    // Only in the second changed definition: the number 1 on some rows, the text "1" on others.
    { name: 'Orders.mixed', values: ['1', '3', '"1"'], numeric: true },
  ],
};
const PROCESSES: Target = {
  model: 'Endpoint',
  root: 'Processes',
  children: [],
  fields: [
    { name: 'Processes.process_name', values: ['bash', 'curl', 'CURL', 'sh', '*sudo*', 'use*'] },
    { name: 'Processes.parent_process_name', values: ['bash', 'unknown', 'sh', 'cu*'] },
    { name: 'Processes.process', values: ['*base64*-d*', '*-k*', '"*| sh*"', '/usr/bin/curl*'] },
    { name: 'Processes.dest', values: ['node-a', 'unknown', 'node*'] },
    { name: 'Processes.user', values: ['unknown', 'root'] },
    { name: 'Processes.process_id', values: ['1003', '1007', '100*'], numeric: true },
    { name: 'Processes.process_guid', values: ['e1', 'e*'] },
  ],
};

function term(r: Rand, t: Target): string {
  const f = pick(r, t.fields);
  const v = pick(r, f.values);
  switch (Math.floor(r() * 8)) {
    case 0:
      return `NOT ${f.name}=${v}`;
    case 1:
      return `${f.name}!=${v}`;
    case 2:
      return `${f.name} IN (${some(r, f.values, 3).join(', ')})`;
    case 3:
      return `NOT ${f.name} IN (${some(r, f.values, 2).join(', ')})`;
    case 4:
      return f.numeric ? `${f.name}${pick(r, ['>', '<', '>=', '<='])}${pick(r, f.values.filter((x) => !x.includes('*')))}` : `${f.name}=${v}`;
    case 5:
      return `(${term(r, t)} OR ${term(r, t)})`;
    default:
      return `${f.name}=${v}`;
  }
}

const SPANS = ['1h', '30m', '2h', '1d'];

interface Generated {
  /** The tstats search with `summariesonly=X` to fill in. */
  tstats: string;
  /** The datamodel + stats equivalent, or null when there is none to compare (functions of _time beside span). */
  equivalent: string | null;
}

/** A random tstats search over `t`, and its `| datamodel ... search | search ... | stats` equivalent. */
function generate(r: Rand, t: Target): Generated {
  const numeric = t.fields.filter((f) => f.numeric).map((f) => f.name);
  const any = t.fields.map((f) => f.name);
  const fns: string[] = [];
  const nfns = 1 + Math.floor(r() * 3);
  for (let i = 0; i < nfns; i++) {
    const k = Math.floor(r() * 13);
    const fn = ['count', 'count', 'dc', 'values', 'min', 'max', 'avg', 'sum', 'earliest', 'latest', 'perc90', 'median', 'stdev'][k]!;
    const field = k < 2 ? null : ['avg', 'sum', 'stdev', 'perc90', 'median'].includes(fn) ? pick(r, numeric) : pick(r, any);
    const f = fn === 'count' && field === null && r() < 0.5 ? `count(${pick(r, any)})` : field === null ? 'count' : `${fn}(${field})`;
    if (!fns.includes(f)) fns.push(f);
  }
  if (r() < 0.2) fns.push('min(_time)');
  const where: string[] = [];
  const nterms = Math.floor(r() * 3);
  for (let i = 0; i < nterms; i++) where.push(term(r, t));
  // A time range inside the data, not on hour boundaries; the equivalent filters _time before any bin.
  let range: [number, number] | null = null;
  if (r() < 0.2) {
    const lo = T0 + Math.floor(r() * 20 * 3600);
    range = [lo, lo + 1 + Math.floor(r() * 10 * 3600)];
    where.push(`earliest=${range[0]}`, `latest=${range[1]}`);
  }
  // _time compared as a field (no lexicon in a summary: a column of its own).
  if (r() < 0.15) where.push(`_time${pick(r, ['>=', '<', '>', '<='])}${T0 + Math.floor(r() * HOURS * 3600)}`);
  // The other index is searched only when named (default indexes: main).
  if (r() < 0.3) where.push(pick(r, ['index=*', 'index=other', 'index IN (main, other)', 'NOT index=main index=*']));
  let dataset = t.root;
  if (t.children.length && r() < 0.25) {
    dataset = pick(r, t.children);
    where.splice(Math.floor(r() * (where.length + 1)), 0, `nodename=${t.root}.${dataset}`);
  }
  const by: string[] = [];
  const nby = Math.floor(r() * 3);
  for (let i = 0; i < nby; i++) {
    const f = pick(r, any);
    if (!by.includes(f)) by.push(f);
  }
  // 'auto': `by _time` without span= (bin's automatic rule over the data's range).
  const span = r() < 0.35 ? pick(r, [...SPANS, 'auto']) : null;
  if (span) by.splice(Math.floor(r() * (by.length + 1)), 0, '_time');
  const fill = r() < 0.35 ? pick(r, ['null', 'none', 'N/A']) : null;
  const opts = `summariesonly=X${fill ? ` fillnull_value=${fill}` : ''}`;
  const byText = by.length ? ` by ${by.map((b) => (b === '_time' && span !== 'auto' ? `_time span=${span}` : b)).join(' ')}` : '';
  const tstats = `| tstats ${opts} ${fns.join(' ')} from datamodel=${t.model}.${t.root}${where.length ? ` where ${where.join(' ')}` : ''}${byText}`;
  const plainWhere = where.filter((w) => !w.startsWith('nodename=') && !w.startsWith('earliest=') && !w.startsWith('latest='));
  if (range) plainWhere.push(`_time>=${range[0]}`, `_time<${range[1]}`);
  const byFields = by.filter((b) => b !== '_time');
  // No equivalent where the pipeline cannot say what tstats does: bin rewrites _time, which min(_time) and
  // earliest/latest read as the event's time in tstats; fillnull fills a BY field that a function reads null in tstats.
  const equivalent = (span && fns.some((f) => /^(earliest|latest)\(|\(_time\)/.test(f))) || (fill && fns.some((f) => byFields.some((b) => f.includes(`(${b})`))))
    ? null
    : `| datamodel ${t.model} ${dataset} search${plainWhere.length ? ` | search ${plainWhere.join(' ')}` : ''}${span ? ` | bin _time${span === 'auto' ? '' : ` span=${span}`}` : ''}${fill && byFields.length ? ` | fillnull value=${fill} ${byFields.join(' ')}` : ''} | stats ${fns.join(' ')}${by.length ? ` by ${by.join(' ')}` : ''}`;
  return { tstats, equivalent };
}

/** Rows as text with numbers to 10 significant digits (a sum of non-integers may differ in its last bits by row order). */
function canon(rows: Record<string, string | string[]>[]): string {
  const num = (s: string) => (/^-?\d+\.\d{8,}/.test(s) ? String(Number(Number(s).toPrecision(10))) : s);
  return JSON.stringify(rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Array.isArray(v) ? v.map(num) : num(v)]))));
}

/** The first row where two canonical results differ (the whole texts when one is an error). */
function firstDifference(got: string, want: string): string {
  if (!got.startsWith('[') || !want.startsWith('[')) return `  got  ${got.slice(0, 300)}\n  want ${want.slice(0, 300)}`;
  const g = JSON.parse(got) as unknown[];
  const w = JSON.parse(want) as unknown[];
  for (let i = 0; i < Math.max(g.length, w.length); i++) {
    if (JSON.stringify(g[i]) !== JSON.stringify(w[i])) return `  row ${i} of ${g.length}/${w.length}\n  got  ${JSON.stringify(g[i])}\n  want ${JSON.stringify(w[i])}`;
  }
  return '  (same rows)';
}

interface World {
  pack: ContentPack;
  store: SqliteStore;
  /** The events the summaries hold (in a store of their own: raw searches over it are the summariesonly=true reference). */
  summarized: SqliteStore;
  reader: SummaryReader;
  builder: SummaryBuilder;
  dir: string;
  /**
   * Events share times: with summariesonly=true, earliest/latest/first/last of equal times follow the summaries'
   * order, not search order (docs/spl.md, a deviation), so B leaves them out.
   */
  ties: boolean;
}

/** A store holding `events` (the summariesonly=true reference: the events the summaries hold, no others). */
async function storeOf(events: readonly Event[]): Promise<SqliteStore> {
  const { store } = await newStore();
  if (events.length) await store.append(events);
  return store;
}

const tz = 'America/New_York';

async function search(w: World, spl: string, opts: { reader?: boolean; source?: SqliteStore; macros?: MacroLibrary } = {}): Promise<string> {
  try {
    const { results } = await runSearch(spl, {
      source: opts.source ?? w.store,
      macros: opts.macros ?? w.pack.macros,
      lookups: w.pack.lookups,
      knowledge: w.pack.knowledge,
      now: NOW,
      tz,
      ...(opts.reader ? { summaries: w.reader } : {}),
    });
    return canon(rowsText(results));
  } catch (e) {
    if (e instanceof SplError) return `error ${e.code}: ${e.message}`;
    throw e;
  }
}

async function newStore(maxAgeSeconds?: number): Promise<{ store: SqliteStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-fuzz-'));
  const store = await openStore(dir, maxAgeSeconds !== undefined ? { defaultRetention: { maxAgeSeconds } } : {});
  closers.push(() => store.close());
  return { store, dir };
}

function accelerate(pack: ContentPack, store: SqliteStore, dir: string, ranges: Map<string, number | null>, now: () => number = () => NOW): { builder: SummaryBuilder; reader: SummaryReader } {
  const db = openSummaryDb(dir, false)!;
  const datasets = acceleratedDatasets(pack.knowledge, ['Endpoint', 'Shop'], (m) => pack.dataModels.get(m)!.datasets.map((d) => d.name), (p) => {
    throw new Error(p);
  });
  const builder = new SummaryBuilder({ db, store, datasets, ranges, derived: pack.knowledge.derived, lookups: pack.lookups, tz, bucketSeconds: 3600, chunkEvents: 53, maxSegmentsPerBucket: 3, now });
  const readDb = openSummaryDb(dir, true)!;
  const reader = new SummaryReader({ db: readDb, store, bucketSeconds: 3600, maxRemainderEvents: 1_000_000, maxCachedRows: 100_000 });
  closers.push(() => {
    db.close();
    readDb.close();
  });
  return { builder, reader };
}

interface Tally {
  compared: number;
  diffs: string[];
  /** Generated searches that failed (the same error both ways still compares equal): expected none. */
  errors: string[];
  /** Results equal but for the order of groups whose BY values are distinct texts of one number (see tieOrderOnly). */
  tieOrder: number;
}

/**
 * Whether two results hold the same rows, only groups ordered differently whose BY value texts are distinct but
 * numerically equal (01, 1, 1.0; 1e3, 1000): stats orders such ties as it first sees them (spl/stats/aggregator.ts),
 * raw events in search order, summaries in theirs. Splunk's documentation does not say how it orders them.
 */
function tieOrderOnly(got: string, want: string): boolean {
  if (!got.startsWith('[') || !want.startsWith('[')) return false;
  const g = (JSON.parse(got) as Record<string, unknown>[]).map((r) => JSON.stringify(r));
  const w = (JSON.parse(want) as Record<string, unknown>[]).map((r) => JSON.stringify(r));
  if (JSON.stringify([...g].sort()) !== JSON.stringify([...w].sort())) return false;
  // Every row out of place must have a numerically equal, textually different neighbour in the same column.
  const rows = JSON.parse(got) as Record<string, unknown>[];
  return g.some((x, i) => x !== w[i]) && rows.some((r) => Object.values(r).some((v) => typeof v === 'string' && Number.isFinite(Number(v)) && String(Number(v)) !== v));
}

/** Runs RUNS random searches and checks A, B (when `summarizedKnown`: the summaries hold exactly the events of `w.summarized`) and C. */
async function compareAll(w: World, r: Rand, tally: Tally, phase: string, summarizedKnown: boolean): Promise<void> {
  for (let i = 0; i < RUNS; i++) {
    const g = generate(r, r() < 0.55 ? SHOP : PROCESSES);
    const rawF = await search(w, g.tstats.replace('X', 'false'));
    if (rawF.startsWith('error')) tally.errors.push(`${g.tstats}: ${rawF}`);
    const check = (what: string, spl: string, got: string, want: string) => {
      tally.compared++;
      if (got === want) return;
      if (tieOrderOnly(got, want)) tally.tieOrder++;
      else tally.diffs.push(`${phase} ${what}: ${spl}\n${firstDifference(got, want)}`);
    };
    check('A accelerated=raw', g.tstats, await search(w, g.tstats.replace('X', 'false'), { reader: true }), rawF);
    if (summarizedKnown && !(w.ties && /earliest\(|latest\(/.test(g.tstats))) check('B summariesonly=t', g.tstats, await search(w, g.tstats.replace('X', 'true'), { reader: true }), await search(w, g.tstats.replace('X', 'false'), { source: w.summarized }));
    if (g.equivalent) check('C datamodel+stats', g.equivalent, rawF, await search(w, g.equivalent));
    // prestats=t into the same stats gives tstats' own rows (AS is ignored in prestats mode; there is none here).
    const m = /^\| tstats summariesonly=X( fillnull_value=\S+)? (.*?) from (datamodel=\S+)(.*?)( by (.*))?$/.exec(g.tstats);
    // prestats=t refuses what it cannot pass on (tstats.test.ts): event times beside span=, a filled BY field a function reads.
    // With `by _time` (span= or the bin after it) the stats after it reads binned times: no event-time functions.
    if (m && !(m[6] && / ?_time( |$)/.test(m[6]) && /earliest|latest|\(_time\)/.test(m[2]!)) && !(m[1] && m[6] && m[6].split(' ').some((b) => m[2]!.includes(`(${b})`)))) {
      const by = m[6] ? ` by ${m[6].replace(/ span=\S+/, '')}` : '';
      // `by _time` without span= passes event times for the command after it to bin (docs/spl.md, a decision).
      const bin = m[6] && / ?_time( |$)/.test(m[6]) && !m[6].includes('span=') ? ' | bin _time' : '';
      const pre = `| tstats prestats=t summariesonly=X${m[1] ?? ''} ${m[2]} from ${m[3]}${m[4]}${m[5] ?? ''}${bin} | stats ${m[2]}${by}`;
      check('prestats into stats', pre, await search(w, pre.replace('X', 'false'), { reader: true }), rawF);
    }
  }
}

/** tstats prestats=t into timechart equals the data model search into the same timechart. */
async function compareTimecharts(w: World, r: Rand, tally: Tally, phase: string): Promise<void> {
  for (let i = 0; i < Math.max(2, RUNS / 4); i++) {
    const t = r() < 0.5 ? SHOP : PROCESSES;
    const f = pick(r, t.fields.filter((x) => !x.name.endsWith('region')));
    const span = pick(r, SPANS);
    const w1 = term(r, t);
    const pre = `| tstats prestats=t summariesonly=false fillnull_value=NULL count from datamodel=${t.model}.${t.root} where ${w1} by _time span=${span} ${f.name} | timechart span=${span} count by ${f.name}`;
    const eq = `| datamodel ${t.model} ${t.root} search | search ${w1} | fillnull value=NULL ${f.name} | timechart span=${span} count by ${f.name}`;
    tally.compared++;
    const got = await search(w, pre, { reader: true });
    const want = await search(w, eq);
    if (got !== want && !tieOrderOnly(got, want)) tally.diffs.push(`${phase} timechart: ${pre}\n${firstDifference(got, want)}`);
  }
}

describe('tstats over accelerated data models: differential fuzzing', () => {
  it('summaries, summariesonly=true and the data model search give the rows Splunk documents', { timeout: 120_000 }, async () => {
    const r = rng(SEED);
    const pack = shopPack();
    const { store, dir } = await newStore();
    const ranges = new Map<string, number | null>([['Endpoint', null], ['Shop', null]]);
    const a = accelerate(pack, store, dir, ranges);
    const w: World = { pack, store, summarized: await storeOf([]), dir, ties: true, ...a };
    const tally: Tally = { compared: 0, diffs: [], tieOrder: 0, errors: [] };
    let pending: Event[] = [];
    const append = async (es: Event[]) => {
      await store.append(es);
      pending.push(...es);
    };
    const catchUp = async () => {
      await w.builder.catchUp();
      await w.summarized.append(pending);
      pending = [];
    };

    // Batches out of time order; each catch-up leaves summaries complete, later batches add late events.
    await append(batch(r, 160, 10, 20));
    await catchUp();
    await compareAll(w, r, tally, 'first batch', true);
    await append(batch(r, 120, 0, 12)); // older than anything summarized
    await compareAll(w, r, tally, 'behind', true);
    // Further behind than the reader follows (max_remainder_events): summariesonly=false reads raw events only,
    // summariesonly=true still the summarized rows.
    const followed = w.reader;
    const farDb = openSummaryDb(dir, true)!;
    closers.push(() => farDb.close());
    w.reader = new SummaryReader({ db: farDb, store, bucketSeconds: 3600, maxRemainderEvents: 50, maxCachedRows: 1000 });
    await compareAll(w, r, tally, 'far behind', true);
    w.reader = followed;
    await catchUp();
    await append(batch(r, 90, 8, HOURS)); // late events into summarized hours, and newer ones
    await compareAll(w, r, tally, 'late', true);
    await catchUp();
    await compareAll(w, r, tally, 'caught up', true);
    await compareTimecharts(w, r, tally, 'caught up');

    // The model's definition changes: the old summaries are not used (raw rows), then rebuilt.
    const changed = shopPack(SHOP_MODEL.replace("eval: 'qty*price'", "eval: 'qty*price+1'"));
    const b = accelerate(changed, store, dir, ranges);
    Object.assign(w, { pack: changed, ...b });
    await compareAll(w, r, tally, 'definition changed', false);
    await w.builder.catchUp();
    await compareAll(w, r, tally, 'rebuilt', true);

    // Changed again: several rows per event (mvexpand in the base search) and a field of numbers and texts.
    const expanded = shopPack(
      SHOP_MODEL.replace('| eval labels=split(label_list, ",")', '| eval labels=split(label_list, ",") | mvexpand labels').replace(
        "      - {field: total, type: number, eval: 'qty*price'}",
        "      - {field: total, type: number, eval: 'qty*price'}\n      - {field: mixed, eval: 'case(qty==1, 1, qty==2, \"1\", true(), qty)'}",
      ),
    );
    const countOf = async () => JSON.parse(await search(w, '| tstats count from datamodel=Shop.Orders where Orders.mixed=1 index=*', { reader: true })) as { count: string }[];
    expect(await countOf()).toEqual([{ count: '0' }]);
    Object.assign(w, { pack: expanded, ...accelerate(expanded, store, dir, ranges) });
    await w.builder.catchUp();
    expect(Number((await countOf())[0]!.count)).toBeGreaterThan(0);
    expect(await search(w, '| tstats count from datamodel=Shop.Orders where index=*', { reader: true })).not.toEqual(await search(w, '| tstats dc(_time) as count from datamodel=Shop.Orders where index=*'));
    await compareAll(w, r, tally, 'expanded', true);

    if (tally.diffs.length) console.log(tally.diffs.join('\n'));
    console.log(`differential fuzz: ${tally.compared} comparisons, ${tally.diffs.length} differences, ${tally.tieOrder} in the order of equal numbers only`);
    expect(tally.diffs).toEqual([]);
    expect(tally.errors).toEqual([]);
  });

  it('with a summary range and retention: summaries hold the range, the raw events the rest; deleted events are gone from both', { timeout: 120_000 }, async () => {
    const r = rng(SEED + 1);
    const pack = shopPack();
    // Events over 30 hours before NOW (T0 + 28 h): Shop summarizes the last 15 h, retention keeps 20 h.
    const { store, dir } = await newStore(20 * 3600);
    const ranges = new Map<string, number | null>([['Endpoint', null], ['Shop', 15 * 3600]]);
    // The builder's clock moves 3 h per batch: the range's start moves with it, older summaries are dropped.
    let clock = NOW - 6 * 3600;
    const boundary = () => Math.floor((clock - 15 * 3600) / 3600) * 3600;
    const a = accelerate(pack, store, dir, ranges, () => clock);
    const tally: Tally = { compared: 0, diffs: [], tieOrder: 0, errors: [] };
    let summarized: Event[] = [];
    const stored: Event[] = [];
    const w: World = { pack, store, summarized: await storeOf([]), dir, ties: false, ...a };
    // The reference holds what the summaries hold: every Endpoint event, the Shop events at or after the boundary.
    const held = (e: Event) => e.sourcetype !== 'shop:order' || e._time >= boundary();
    for (const [from, to] of [[0, 20], [10, HOURS], [0, 12]] as const) {
      const es = batch(r, 130, from, to, false);
      clock += from === 0 && to === 20 ? 0 : 3 * 3600;
      await store.append(es);
      stored.push(...es);
      await w.builder.catchUp();
      summarized = stored.filter(held);
      w.summarized = await storeOf(summarized);
      await compareAll(w, r, tally, `range ${from}-${to}`, true);
    }
    // Retention drops whole buckets: those whose newest event is older than 20 h.
    const report = await store.applyRetention(NOW);
    expect(report.deleted.length).toBeGreaterThan(0);
    const gone = (e: Event) => report.deleted.some((d) => d.index === e.index && e._time < d.before);
    summarized = summarized.filter((e) => !gone(e));
    w.summarized = await storeOf(summarized);
    await compareAll(w, r, tally, 'after retention', true);
    // An index deleted: none of its events count any more.
    await store.deleteIndex('other');
    w.summarized = await storeOf(summarized.filter((e) => e.index !== 'other'));
    await compareAll(w, r, tally, 'after deleting an index', true);

    if (tally.diffs.length) console.log(tally.diffs.join('\n'));
    console.log(`differential fuzz (range, retention): ${tally.compared} comparisons, ${tally.diffs.length} differences, ${tally.tieOrder} in the order of equal numbers only`);
    expect(tally.diffs).toEqual([]);
    expect(tally.errors).toEqual([]);
  });

  const escu = existsSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'));
  it.skipIf(!escu)('ESCU Linux Endpoint.Processes detections give the same rows accelerated, from summaries only, and raw', { timeout: 120_000 }, async () => {
    const r = rng(SEED + 2);
    const pack = shopPack();
    const macros = (only: boolean) => {
      const m = new MacroLibrary().with(pack.macros.all());
      for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'macros.jsonl'), 'utf8').trim().split('\n')) {
        const x = JSON.parse(l) as { name: string; arguments: string[] | null; definition: string };
        m.define({ name: x.name.replace(/\(\d+\)$/, ''), args: x.arguments ?? [], definition: x.name === 'summariesonly_config' ? String(only) : x.definition });
      }
      return m;
    };
    const searches: [string, string][] = [];
    for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'), 'utf8').trim().split('\n')) {
      const s = JSON.parse(l) as { name: string; search: string };
      if (s.name.startsWith('Linux') && s.search.includes('datamodel=Endpoint.Processes')) searches.push([s.name, s.search]);
    }
    const [fMacros, tMacros] = [macros(false), macros(true)];
    for (const [name] of searches) {
      const filter = { name: `${name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' };
      fMacros.defineDefault(filter);
      tMacros.defineDefault(filter);
    }
    const { store, dir } = await newStore();
    const ranges = new Map<string, number | null>([['Endpoint', null], ['Shop', null]]);
    const w: World = { pack, store, summarized: await storeOf([]), dir, ties: true, ...accelerate(pack, store, dir, ranges) };
    const first = batch(r, 400, 0, HOURS);
    await store.append(first);
    await w.builder.catchUp();
    w.summarized = await storeOf(first);
    await store.append(batch(r, 100, 0, HOURS)); // not summarized yet: raw remainder
    let compared = 0;
    let withRows = 0;
    const diffs: string[] = [];
    for (const [name, spl] of searches) {
      const raw = await search(w, spl, { macros: fMacros });
      if (raw.startsWith('error')) continue;
      if (raw !== '[]') withRows++;
      compared += 2;
      const mixed = await search(w, spl, { macros: fMacros, reader: true });
      if (mixed !== raw) diffs.push(`${name} accelerated:\n${firstDifference(mixed, raw)}`);
      const only = await search(w, spl, { macros: tMacros, reader: true });
      const want = await search(w, spl, { macros: fMacros, source: w.summarized });
      if (only !== want) diffs.push(`${name} summariesonly=true:\n${firstDifference(only, want)}`);
    }
    console.log(`differential fuzz (ESCU): ${searches.length} searches, ${compared} comparisons, ${withRows} with rows, ${diffs.length} differences`);
    if (diffs.length) console.log(diffs.join('\n'));
    expect(compared).toBeGreaterThan(100);
    expect(withRows).toBeGreaterThan(5);
    expect(diffs).toEqual([]);
  });

  it('over large lexicons (the literal prefilter of 4,096 values or more): the same rows as raw events', { timeout: 120_000 }, async () => {
    const r = rng(SEED + 3);
    const pack = shopPack();
    const { store, dir } = await newStore();
    // 6,000 orders in one hour, items mostly distinct: IPs, numbers written several ways, cases, non-ASCII, escapes.
    const item = (i: number): string =>
      pick(r, [
        () => `10.${i % 256}.${(i >> 8) % 256}.${i % 7}`,
        () => `192.168.${i % 256}.1`,
        () => String(i),
        () => `${i}.0`,
        () => `0${i}`,
        () => `${i / 1000}e3`,
        () => `Item-${i}`,
        () => `ITEM-${i}-é`,
        () => `straße-${i}`,
        () => `a*b\\c-${i}`,
        () => `"q"${i}`,
      ])();
    const events: Event[] = [];
    for (let i = 0; i < 6000; i++) {
      events.push({ index: 'main', source: 's', host: 'h', _time: T0 + 3600 + (i % 3600), sourcetype: 'shop:order', _raw: JSON.stringify({ item: item(i), qty: i % 5, price: 20 }) });
    }
    await store.append(events);
    const db = openSummaryDb(dir, false)!;
    const datasets = acceleratedDatasets(pack.knowledge, ['Shop'], (m) => pack.dataModels.get(m)!.datasets.map((d) => d.name), (p) => {
      throw new Error(p);
    });
    const builder = new SummaryBuilder({ db, store, datasets, ranges: new Map(), derived: pack.knowledge.derived, lookups: pack.lookups, tz, bucketSeconds: 3600, chunkEvents: 20_000, maxSegmentsPerBucket: 16, now: () => NOW });
    await builder.catchUp();
    const readDb = openSummaryDb(dir, true)!;
    closers.push(() => {
      db.close();
      readDb.close();
    });
    const w: World = { pack, store, summarized: store, dir, ties: false, builder, reader: new SummaryReader({ db: readDb, store, bucketSeconds: 3600, maxRemainderEvents: 1000, maxCachedRows: 100_000 }) };
    const values = ['10.0.0.0/8', '10.1.0.0/16', '192.168.0.0/16', '10.1.*', '1000', '1e3', '1000.0', '01000', 'item-1*', '*-1234', 'ITEM-12*-É', '*é', 'STRASSE-1*', 'straße-77', '"a*b\\\\c-*"', 'a\\*b*', '"\\"q\\"1*"', '*q*', '4*', '*00', '"*"'];
    const diffs: string[] = [];
    let compared = 0;
    let matched = 0;
    expect((await w.reader.forScan({ ...emptyScanRequest() }).read(datasets.find((d) => d.key === 'Shop.Orders')!.dataset, true, () => {})) !== null).toBe(true);
    for (let k = 0; k < Math.max(12, RUNS * 2); k++) {
      const v = pick(r, values);
      const where = pick(r, [`Orders.item=${v}`, `NOT Orders.item=${v}`, `Orders.item!=${v}`, `Orders.item IN (${v}, ${pick(r, values)})`, `Orders.item=${v} OR Orders.qty=3`]);
      const spl = `| tstats summariesonly=X count dc(Orders.item) from datamodel=Shop.Orders where ${where}`;
      const raw = await search(w, spl.replace('X', 'false'));
      const n = Number((JSON.parse(raw) as { count: string }[])[0]!.count);
      if (n > 0 && n < 6000) matched++;
      for (const only of ['true', 'false']) {
        compared++;
        const got = await search(w, spl.replace('X', only), { reader: true });
        if (got !== raw) diffs.push(`${spl} (summariesonly=${only}): got ${got} want ${raw}`);
      }
    }
    console.log(`differential fuzz (large lexicons): ${compared} comparisons, ${matched} searches selecting some rows, ${diffs.length} differences`);
    expect(matched).toBeGreaterThan(3);
    expect(diffs).toEqual([]);
  });
});
