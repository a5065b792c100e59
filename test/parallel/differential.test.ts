/**
 * Differential test of issue #10's contract: a search split over partitions on several threads gives the results of
 * the one-thread run, order included, with the same warnings and line issues. Many searches run both ways:
 * `--threads 1` (executeMany over one FileSource, or over the store) against `runFilesInParallel` with workers forced
 * and small partitions (several per thread), and against `runStoreInParallel` (time slices). The searches: the real
 * ESCU searches vigil plans (skipped when ../shared is absent), and generated pipelines of streaming commands around
 * one aggregation with every stats function. Seeded (VIGIL_DIFF_SEED), so a difference reproduces.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { withLookupDir } from '../../src/detections/lookup-dir.js';
import type { Result } from '../../src/events/result.js';
import { runFilesInParallel, runStoreInParallel, type ParallelOptions } from '../../src/parallel/run.js';
import { FileSource, type FileSourceOptions, type LineIssue } from '../../src/sources/file.js';
import { toEvent } from '../../src/sources/tetragon.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink, type ExecuteStats } from '../../src/spl/exec/run.js';
import { MacroLibrary, plan, SplError, type SearchPlan } from '../../src/spl/index.js';
import type { LookupDirSetup } from '../../src/spl/lookups.js';
import { splitPlan } from '../../src/spl/plan/split.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import type { Event } from '../../src/events/event.js';
import { escuCorpusPresent, escuMacros, escuSearches, isLinuxProcesses } from '../escu-tree.js';
import { REPO_ROOT } from '../helpers.js';
import { rng } from '../rng.js';
import { parallelOptions } from './helpers.js';

const GENERATOR = '../../bench/generate.mjs';
const { tetragonEvents } = (await import(GENERATOR)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

const NOW = 1795200000;
const SEED = Number(process.env.VIGIL_DIFF_SEED ?? 20261207);
/** Generated searches (ESCU: three times as many, `all` with VIGIL_DIFF_ESCU=all); the defaults keep the file under a minute. */
const RUNS = Number(process.env.VIGIL_DIFF_RUNS ?? 30);
const DEBUG = process.env.VIGIL_DIFF_DEBUG !== undefined;
const pack = loadContent();
const dir = mkdtempSync(join(tmpdir(), 'vigil-differential-'));
const lookupSetup: LookupDirSetup = { dir: join(dir, 'lookups'), refusal: 'read only', maxRows: 100_000, maxBytes: 10_000_000, maxFiles: 1000, lockWaitMs: 10_000 };
const lookups = withLookupDir(pack.lookups, lookupSetup);
let events: string;
let storeDir: string;
let store: SqliteStore;

/**
 * Lines as hard as real exports and worse: generated Tetragon events whose times tie in runs (a run of ~40 lines
 * shares one second, so cuts fall inside ties), events with no `time` (they take the previous line's), malformed
 * lines (truncated JSON, arrays), blank and CRLF lines.
 */
function corpus(count: number, seed: number): string[] {
  const r = rng(seed);
  const lines: string[] = [];
  let i = 0;
  let tie: string | null = null;
  for (const ev of tetragonEvents(count, { seed })) {
    let text = JSON.stringify(ev);
    const time = /"time":"([^"]*)"/.exec(text)?.[1] ?? null;
    if (i % 40 === 0) tie = time;
    // Whole runs of one time, and fractions dropped: equal _time values across partition cuts.
    if (tie !== null && i % 40 < 25) text = text.replace(/"time":"[^"]*"/, `"time":"${tie}"`);
    else if (r() < 0.2) text = text.replace(/"time":"([^".]*)\.\d+Z"/, '"time":"$1Z"');
    // A time-less line takes its time from the line before (never the first line of a partition: see below).
    if (i % 53 === 9) text = text.replace(/"time":"[^"]*",?/, '');
    if (i % 17 === 0) text += '\r';
    lines.push(text);
    if (i % 61 === 13) lines.push('{"truncated": ');
    if (i % 89 === 21) lines.push('["not", "an", "object"]');
    if (i % 97 === 30) lines.push('');
    i++;
  }
  return lines;
}

/** The real Tetragon samples of ../shared/datasets (absent: none), years before the generated events. */
function samples(): string[] {
  const out: string[] = [];
  for (const f of ['tetragon-upstream-samples.jsonl', 'splunk-security-content-example.jsonl']) {
    const path = join(REPO_ROOT, '..', 'shared', 'datasets', f);
    if (existsSync(path)) out.push(...readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()));
  }
  return out;
}

beforeAll(async () => {
  events = join(dir, 'events.jsonl');
  const lines = corpus(Number(process.env.VIGIL_DIFF_EVENTS ?? 600), SEED);
  // The real samples first, and again in the middle: old times among new ones (one pass sorts them newest first).
  const real = samples();
  lines.splice(Math.floor(lines.length / 2), 0, ...real);
  writeFileSync(events, [...real, ...lines].join('\n') + '\n');
  mkdirSync(lookupSetup.dir);
  // Two rows for sh (a multivalued output), none for most binaries.
  writeFileSync(
    join(lookupSetup.dir, 'kinds.csv'),
    'process_name,kind,weight\nsh,shell,1.5\nsh,interpreter,2\nbash,shell,0.1\ncurl,fetch,0.2\nnode,app,3\njava,app,0.7\n',
  );
  storeDir = join(dir, 'store');
  const w = await openStore(storeDir, { bucketSeconds: 600 });
  const evs: Event[] = [];
  let i = 0;
  for (const ev of tetragonEvents(1500, { seed: SEED + 1 })) {
    const out = toEvent(JSON.stringify(ev), { index: i % 5 === 0 ? 'other' : 'main', source: 'gen', defaultHost: 'h', fallbackTime: () => NOW });
    if (!out.ok) continue;
    const e = out.event;
    // Equal times (ties go by insertion order), over hours, in no time order.
    e._time = i % 9 === 0 ? 1795150000 : i % 13 === 0 ? Math.floor(e._time) - 7200 : e._time - (i % 6) * 1800;
    delete e.json;
    evs.push(e);
    i++;
  }
  for (let k = 0; k < evs.length; k += 400) await w.append(evs.slice(k, k + 400));
  await w.close();
  store = await openStore(storeDir, { readonly: true });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  rows: string[][];
  warnings: string[];
  issues: LineIssue[];
  stats: ExecuteStats[];
}

/** A row as its fields in order, each with its value(s): order of rows, of fields and of multivalues all count. */
const shape = (rows: readonly Result[]): string[] => rows.map((r) => JSON.stringify(r.fieldNames().map((f) => [f, r.get(f)])));

function planAll(searches: readonly string[], macros: MacroLibrary, onStore: boolean): SearchPlan[] {
  return searches.map((s) => plan(s, { macros, lookups, knowledge: pack.knowledge, now: NOW, tz: 'UTC', ...(onStore ? { source: store } : { sourceNewestFirst: false }) }));
}

function collector(): { warnings: string[]; issues: LineIssue[]; options: FileSourceOptions; onWarning: (i: number, m: string, at?: { start: number; end: number }) => void } {
  const warnings: string[] = [];
  const issues: LineIssue[] = [];
  return {
    warnings,
    issues,
    options: { now: NOW, defaultHost: 'host-0', onMalformed: (m) => issues.push(m), onWarning: (w) => issues.push(w) },
    onWarning: (i, m, at) => warnings.push(`${i} ${at ? `${at.start}-${at.end}` : '-'} ${m}`),
  };
}

async function oneThread(plans: readonly SearchPlan[], onStore: boolean): Promise<Run> {
  const c = collector();
  const sinks = plans.map(() => new CollectSink());
  const source = onStore ? store : new FileSource([events], c.options);
  const stats = await executeMany(plans, sinks, { source, now: NOW, tz: 'UTC', lookups, onWarning: c.onWarning });
  return { rows: sinks.map((s) => shape(s.rows)), warnings: c.warnings, issues: c.issues, stats };
}

async function threads(plans: readonly SearchPlan[], onStore: boolean, opts: Partial<ParallelOptions>): Promise<Run | null> {
  const c = collector();
  const sinks = plans.map(() => new CollectSink());
  const o = parallelOptions(lookups, NOW, { lookupDir: lookupSetup, onWarning: c.onWarning, ...opts });
  const stats = onStore
    ? await runStoreInParallel(plans, sinks, { store, locator: { type: 'sqlite', dataDir: storeDir } }, o)
    : await runFilesInParallel(plans, sinks, { paths: [events], options: c.options }, o);
  if (stats === null) return null;
  return { rows: sinks.map((s) => shape(s.rows)), warnings: c.warnings, issues: c.issues, stats };
}

/** The differences between two runs of the same searches, one line each (empty: the same). */
function differences(searches: readonly string[], want: Run, got: Run): string[] {
  const out: string[] = [];
  searches.forEach((s, i) => {
    const a = want.rows[i]!;
    const b = got.rows[i]!;
    if (a.length !== b.length) out.push(`${s}\n  rows: ${a.length} on one thread, ${b.length} split`);
    else {
      const k = a.findIndex((x, j) => x !== b[j]);
      if (k >= 0) out.push(`${s}\n  row ${k}: ${a[k]}\n  split:  ${b[k]}`);
    }
    // A search that halts (head) stops reading at a point that depends on the partitions: only its rows count.
    if (!/\|\s*head\b/.test(s) && want.stats[i]!.eventsMatched !== got.stats[i]!.eventsMatched) out.push(`${s}\n  events matched: ${want.stats[i]!.eventsMatched} / ${got.stats[i]!.eventsMatched}`);
  });
  // Each search's warnings, in its order: how those of different searches of one run interleave is timing (docs/spl.md).
  const bySearch = (ws: readonly string[]) => [...ws].sort((x, y) => Number.parseInt(x) - Number.parseInt(y));
  if (JSON.stringify(bySearch(want.warnings)) !== JSON.stringify(bySearch(got.warnings))) out.push(`warnings:\n  one: ${want.warnings.join('\n       ')}\n  split: ${got.warnings.join('\n       ')}`);
  if (JSON.stringify(want.issues) !== JSON.stringify(got.issues)) out.push(`line issues: ${want.issues.length} / ${got.issues.length}`);
  return out;
}

/** Runs `searches` both ways in every configuration; the split runs that could not split (null) are retried with other cuts. */
async function compare(all: readonly string[], macros: MacroLibrary, onStore: boolean, configs: readonly Partial<ParallelOptions>[]): Promise<{ diffs: string[]; runs: number; searches: number }> {
  let t0 = performance.now();
  let searches = all;
  let want: Run | null = null;
  // A search that fails at run time (a timechart span too fine for the data) fails the whole shared scan: it is left out.
  while (want === null) {
    try {
      want = await oneThread(planAll(searches, macros, onStore), onStore);
    } catch (e) {
      const text = e instanceof SplError ? e.source?.text : undefined;
      const plans = planAll(searches, macros, onStore);
      const k = plans.findIndex((p) => p.pipeline.source.text === text);
      if (k < 0) throw e;
      searches = searches.filter((_, i) => i !== k);
    }
  }
  if (DEBUG) console.log(`one thread: ${Math.round(performance.now() - t0)} ms`);
  const diffs: string[] = [];
  let runs = 0;
  for (const config of configs) {
    let got: Run | null = null;
    // A cut right before a time-less line makes the run start over on one thread (null): move the cuts.
    for (let shift = 0; got === null && shift < 5; shift++) {
      const o = { ...config, ...(config.partitionBytes ? { partitionBytes: config.partitionBytes + shift * 997 } : {}) };
      got = await threads(planAll(searches, macros, onStore), onStore, o);
    }
    expect(got, JSON.stringify(config)).not.toBeNull();
    if (DEBUG) console.log(`${JSON.stringify(config)}: ${Math.round(performance.now() - t0)} ms`);
    t0 = performance.now();
    runs++;
    for (const d of differences(searches, want, got!)) diffs.push(`[${JSON.stringify(config)}] ${d}`);
  }
  if (DEBUG) console.log(`searches with rows: ${want.rows.filter((r) => r.length > 0).length} of ${searches.length}; warnings ${want.warnings.length}, line issues ${want.issues.length}`);
  return { diffs, runs, searches: searches.length };
}

// ---- generated pipelines ----------------------------------------------------------------------------------------

const STREAMING = [
  'eval n=process_id % 7 / 10, mv=if(process_id % 3 == 0, split(process_name, "s"), process_name)',
  'eval g=if(process_id % 4 == 0, null(), node_name), f=process_id / 3 + 0.1',
  'where isnotnull(process_name)',
  'where process_id % 5 != 1',
  'rex field=process "^(?<head>\\S+)\\s*(?<arg1>\\S*)"',
  'rename node_name AS node, pod_name AS pod',
  'fields _time process_name process_id node_name pod_name parent_process_name process',
  'fillnull value="none" parent_process_name pod_name',
  'lookup kinds.csv process_name OUTPUT kind weight',
  'eval t=floor(_time / 60) * 60',
  'eval m=split(process, " ") | mvexpand m limit=3',
  // Values that compare equal as numbers and differ as text, near the largest double, multivalues with repeats.
  'eval v=case(process_id % 7 == 0, "01", process_id % 7 == 1, "1", process_id % 7 == 2, 1e308, process_id % 7 == 3, -1e308, process_id % 7 == 4, "1.0", process_id % 7 == 5, 0.1, true(), "abc")',
  'eval w=if(process_id % 2 == 0, mvappend("b", "a", "b"), "B")',
  // A pattern that cannot run for some rows: a warning naming the first one met.
  'where match(process, if(process_id % 11 == 0, "(" . process_id, "."))',
  'eval _time=if(process_id % 3 == 0, 1795150000, _time)',
  'convert num(process_id) AS pidnum ctime(_time) AS ct',
  'rangemap field=process_id low=0-1000 mid=1001-20000 default=high',
  'strcat node_name "/" process_name np',
  'replace "sh" WITH "shell", "*node*" WITH "n" IN process_name',
  'makemv delim="/" process',
  'spath input=_raw path=process_exec.process.pid output=spid',
  'regex process="^/usr"',
  'tojson process_name node_name output_field=j | fromjson j prefix=j_',
  'foreach n f [eval <<FIELD>>_x=<<FIELD>> * 2]',
  'addinfo',
];

const FUNCTIONS = [
  'count', 'count(process)', 'c(pod_name)', 'dc(process_name)', 'distinct_count(node_name)', 'estdc(process)', 'estdc_error(process)',
  'sum(process_id)', 'sum(n)', 'avg(f)', 'mean(process_id)', 'min(process)', 'max(_time)', 'min(n)', 'max(process_name)', 'range(process_id)',
  'stdev(f)', 'stdevp(n)', 'var(process_id)', 'varp(f)', 'sumsq(f)', 'median(process_id)', 'perc95(f)', 'p50(n)', 'exactperc90(process_id)',
  'upperperc75(f)', 'mode(process_name)', 'mode(n)', 'first(process)', 'last(process)', 'earliest(process_name)', 'latest(process_name)',
  'earliest_time(process)', 'latest_time(_time)', 'list(process_name)', 'values(process_name)', 'values(mv)', 'values(n)', 'rate(process_id)',
  'eval(count(process_id) + 1)', 'sum(v)', 'avg(v)', 'stdev(v)', 'var(v)', 'sumsq(v)', 'values(w)', 'list(w)', 'dc(v)', 'mode(v)', 'min(v)', 'max(v)',
  'first(w)', 'last(v)', 'earliest(v)', 'latest(w)', 'range(v)', 'median(v)', 'perc10(v)', 'sparkline(count)', 'sparkline(avg(f), 1m)', 'sparkline(dc(process_name))',
];

const BY = ['', 'by node_name', 'by process_name', 'by mv', 'by g', 'by pod_name process_name', 'by n', 'by parent_process_name', 'by kind', 'by nosuch', 'by v', 'by w', 'by v w', 'by w g'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function aggregation(r: () => number): string {
  const fns = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, FUNCTIONS));
  const by = pick(r, BY);
  const byFields = by.replace(/^by /, '');
  const field = pick(r, ['process_name', 'node_name', 'mv', 'g', 'n', 'process_id', 'kind', 'nosuch', 'v', 'w']);
  const kind = pick(r, ['stats', 'stats', 'stats', 'chart', 'timechart', 'top', 'rare', 'dedup', 'eventstats', 'streamstats', 'head', 'tail', 'sort', 'transaction', 'tstats', 'bin', 'rows']);
  const fnList = fns.filter((f) => !f.startsWith('eval(') && !f.startsWith('rate'));
  switch (kind) {
    case 'stats':
      return `stats ${pick(r, ['', '', 'dedup_splitvals=true ', 'allnum=true '])}${fns.join(' ')} ${by}`;
    case 'chart':
      return pick(r, [`chart ${fnList.join(' ') || 'count'} ${by ? `over ${byFields.split(' ')[0]}` : ''}`, `chart count over node_name by ${field}`, `chart ${pick(r, fnList.length ? fnList : ['count'])} by process_name ${field}`]);
    case 'timechart':
      // Without span= over all time the span follows the data's range: each partition's own, coarsened at the merge.
      return pick(r, [
        `timechart span=${pick(r, ['1m', '5m', '10s'])} ${fnList.join(' ') || 'count'}`,
        `timechart span=5m count by ${field}`,
        `timechart count by ${field} limit=3`,
        `timechart ${fnList.join(' ') || 'count'}`,
        `timechart bins=7 count by ${field}`,
        `timechart cont=false ${pick(r, fnList.length ? fnList : ['count'])} by ${field} useother=f`,
      ]);
    case 'top':
    case 'rare':
      return `${kind} ${pick(r, ['', 'limit=3 ', 'countfield=c showperc=f '])}${field} ${pick(r, ['', 'by node_name'])}`;
    case 'dedup':
      return `dedup ${pick(r, ['', '2 ', 'keepempty=true '])}${field}${pick(r, ['', ' sortby -process_id', ' consecutive=true'])}`;
    case 'eventstats':
      return `eventstats ${fns.join(' ')} ${by}`;
    case 'streamstats':
      return `streamstats ${pick(r, ['', 'window=5 ', 'current=f ', 'global=f window=3 '])}${fnList.join(' ') || 'count'} ${by}`;
    case 'head':
      return `head ${pick(r, ['1', '7', '200', '(process_id < 20000)', 'limit=3 keeplast=t process_id > 100'])}`;
    case 'tail':
      return `tail ${pick(r, ['1', '9', '500'])}`;
    case 'sort':
      return `sort ${pick(r, ['', '5 ', '0 '])}${pick(r, ['- _time', 'process_name', '- n, process_id', 'num(process_id)', 'str(n)', '+mv'])}`;
    case 'transaction':
      return `transaction ${pick(r, ['node_name maxspan=5m', 'process_id maxevents=3', 'pod_name maxpause=30s'])}`;
    case 'tstats':
      return '';
    case 'rows':
      // Commands over every row of the search in order, after the merge.
      return pick(r, [
        'uniq',
        'reverse',
        `accum process_id AS acc | delta n AS dn | autoregress ${field} p=1-2`,
        'trendline sma3(process_id) wma2(f)',
        'filldown g kind',
        `mvcombine delim="," ${field}`,
        `stats count by node_name process_name | xyseries node_name process_name count`,
        `stats count by node_name | untable node_name k v`,
        'head 20 | transpose 5',
        'outlier process_id',
        `contingency node_name ${field}`,
        'addtotals col=true process_id n',
        'fieldsummary maxvals=3',
        'fillnull',
        `eval k=1 | makecontinuous process_id span=5000`,
        'appendpipe [stats count]',
        `streamstats reset_on_change=true count by node_name`,
      ]);
    default:
      return `bin _time span=${pick(r, ['1m', '15s'])} | stats ${fns.join(' ')} by _time ${byFields}`;
  }
}

function generated(count: number, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  while (out.length < count) {
    const stages: string[] = [];
    for (let k = Math.floor(r() * 4); k > 0; k--) stages.push(pick(r, STREAMING));
    // The fields the aggregations read are made first (eval before them) in most searches.
    if (r() < 0.8) stages.unshift(STREAMING[0]!, STREAMING[1]!, STREAMING[12]!, STREAMING[13]!);
    if (r() < 0.4) stages.push(STREAMING[8]!);
    const agg = aggregation(r);
    if (agg === '') {
      out.push(
        pick(r, [
          '| tstats count dc(Processes.process) values(Processes.process_name) min(_time) max(_time) from datamodel=Endpoint.Processes by Processes.dest Processes.user',
          '| tstats count where index=* by sourcetype, _time span=1m',
          '| tstats summariesonly=false count min(_time) as firstTime max(_time) as lastTime from datamodel=Endpoint.Processes where Processes.process_name=sh by Processes.parent_process_name Processes.process',
          '| tstats prestats=t count from datamodel=Endpoint.Processes by Processes.process_name | stats count by Processes.process_name',
          '| tstats count from datamodel=Endpoint.Processes by _time',
        ]),
      );
      continue;
    }
    stages.push(agg);
    if (r() < 0.3) stages.push(pick(r, ['eval z=1', 'where isnotnull(node_name)', 'sort 0 - count', 'head 3', 'table *']));
    const lead = pick(r, ['*', '*', 'sourcetype="cisco:isovalent:processExec"', 'process_name=sh OR process_name=curl', 'index=main NOT process_name=node', 'index=other', 'earliest=1795150000 latest=1795172000', 'earliest=-30d@d']);
    out.push(`${lead} | ${stages.join(' | ')}`);
  }
  return out;
}

/** Searches that plan, and that split (a search that runs on one thread makes the whole batch stay there). */
async function splittable(searches: readonly string[], macros: MacroLibrary, onStore: boolean): Promise<string[]> {
  const out: string[] = [];
  const none = { newestFirst: onStore, scan: async function* () {} };
  for (const s of searches) {
    try {
      const p = planAll([s], macros, onStore)[0]!;
      // Its operators build (lookups exist, static arguments hold): executeMany over no events.
      await executeMany([p], [new CollectSink()], { source: none, now: NOW, tz: 'UTC', lookups });
      if (splitPlan(p).serial === null) out.push(s);
    } catch {
      // Not a search vigil runs here.
    }
  }
  return out;
}

const FILE_CONFIGS: Partial<ParallelOptions>[] = [
  { threads: 2, workers: 'always', partitionBytes: 150_000 },
  { threads: 3, workers: 'only', partitionBytes: 61_000 },
];
const STORE_CONFIGS: Partial<ParallelOptions>[] = [{ threads: 3, workers: 'only' }];

describe('parallel runs equal one-thread runs (differential)', () => {
  it('generated pipelines over files and over the store', async () => {
    const macros = pack.macros;
    const gen = generated(RUNS, SEED);
    const files = await splittable(gen, macros, false);
    const stored = await splittable(gen, macros, true);
    const a = await compare(files, macros, false, FILE_CONFIGS);
    const b = await compare(stored, macros, true, STORE_CONFIGS);
    if (DEBUG) console.log(`differential: ${a.searches} searches over files x ${a.runs}, ${b.searches} over the store x ${b.runs}; ${a.diffs.length + b.diffs.length} differences`);
    expect([...a.diffs, ...b.diffs]).toEqual([]);
  }, 1_200_000);

  it('says no warning of the events past the point where a search halted, as one pass reads none of them', async () => {
    // Found by the generated searches over the store (newest first, so head needs no sort): head had its rows in the
    // first time slices, older slices met a pattern that cannot run, and the split run warned where one pass had
    // stopped reading before that event.
    const searches = [
      '* | eval p=if(_time < 1795160000, "(" . process_id, ".") | where match(process, p) | head 5',
      '* | eval p=if(_time < 1795160000, "(" . process_id, ".") | where match(process, p) | head 100000',
    ];
    const want = await oneThread(planAll(searches, pack.macros, true), true);
    expect(want.rows.map((r) => r.length)).toEqual([5, expect.any(Number)]);
    expect(want.warnings).toEqual([expect.stringMatching(/^1 .*match\(\) is null where a row's pattern cannot be run/)]);
    const { diffs } = await compare(searches, pack.macros, true, [{ threads: 2, workers: 'always' }]);
    expect(diffs).toEqual([]);
  }, 1_200_000);

  it('hostile file shapes: a BOM, CRLF at cuts, lines longer than a partition, invalid UTF-8, empty and gzip files', async () => {
    const r = rng(SEED + 7);
    const base = corpus(300, SEED + 3);
    const shaped: string[] = [];
    for (const [i, l] of base.entries()) {
      shaped.push(l);
      if (i % 37 === 4) shaped.push(`{"process_exec":{"process":{"binary":"/bin/${'x'.repeat(9000)}","pid":${i}}},"time":"2026-11-20T12:00:00Z"}`);
      if (i % 41 === 6) shaped.push('\r', '   ', '\u0000{"nul": 1}');
      if (i % 43 === 8) shaped.push(l.replace('"node_name":"', '"node_name":"\u00e9t\u00e9-'));
    }
    const a = join(dir, 'shaped-a.jsonl');
    // A BOM, CRLF endings throughout, and a lone 0xff byte in the middle of a line; no final line feed.
    const body = Buffer.from('\ufeff' + shaped.join('\r\n'));
    const at = body.indexOf(Buffer.from('node_name'), Math.floor(body.length / 2));
    writeFileSync(a, Buffer.concat([body.subarray(0, at), Buffer.from([0xff]), body.subarray(at)]));
    const b = join(dir, 'shaped-b.jsonl.gz');
    writeFileSync(b, gzipSync(corpus(200, SEED + 4).join('\n') + '\n'));
    const c = join(dir, 'shaped-c.jsonl');
    writeFileSync(c, '');
    const d = join(dir, 'shaped-d.jsonl');
    writeFileSync(d, '\n\n' + corpus(150, SEED + 5).join('\n') + '\n\n');
    const searches = [
      '* | stats count dc(process) sum(process_id) values(node_name) by sourcetype',
      '* | eval l=len(process) | table _time l node_name',
      '* | head 50 | stats count by node_name',
      '* | dedup node_name | table node_name process_name',
      '* | where like(node_name, "%t%") | stats count',
    ];
    const paths = [a, c, b, d];
    const plans = () => planAll(searches, pack.macros, false);
    const one = collector();
    const wantSinks = searches.map(() => new CollectSink());
    await executeMany(plans(), wantSinks, { source: new FileSource(paths, one.options), now: NOW, tz: 'UTC', lookups, onWarning: one.onWarning });
    expect(one.issues.length).toBeGreaterThan(5);
    let compared = 0;
    for (let k = 0; k < 4; k++) {
      const c2 = collector();
      const sinks = searches.map(() => new CollectSink());
      const stats = await runFilesInParallel(plans(), sinks, { paths, options: c2.options }, parallelOptions(lookups, NOW, { threads: 2 + (k % 2), workers: k % 3 === 0 ? 'only' : 'always', partitionBytes: 2000 + Math.floor(r() * 30_000), onWarning: c2.onWarning }));
      if (stats === null) continue; // a cut before a time-less line: that run is one thread's
      compared++;
      searches.forEach((s, i) => expect(shape(sinks[i]!.rows), s).toEqual(shape(wantSinks[i]!.rows)));
      expect(c2.issues).toEqual(one.issues);
      expect(c2.warnings).toEqual(one.warnings);
    }
    expect(compared).toBeGreaterThan(1);
  }, 1_200_000);

  it.skipIf(!escuCorpusPresent())('the ESCU searches vigil plans', async () => {
    const macros = new MacroLibrary().with(pack.macros.all());
    for (const m of escuMacros()) macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
    const all = escuSearches();
    for (const s of all) macros.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
    // A sample (seeded) unless asked for all: each search costs a plan per worker and a match per event.
    const r = rng(SEED + 1);
    // A sample (seeded) unless asked for all.
    const chosen = process.env.VIGIL_DIFF_ESCU === 'all' ? all : all.filter(() => r() < RUNS / all.length);
    // Few of them match these events: the Linux Endpoint.Processes ones without their WHERE (every process, then their
    // own pipeline) do.
    const relaxed = all.filter(isLinuxProcesses).map((s) => s.search.replace(/\bwhere\b[\s\S]*?\bby\b/, 'by'));
    const files = await splittable([...chosen.map((s) => s.search), ...relaxed], macros, false);
    const a = await compare(files, macros, false, FILE_CONFIGS.slice(1));
    if (DEBUG) console.log(`differential ESCU: ${a.searches} of ${all.length} searches split over files; ${a.diffs.length} differences`);
    expect(a.diffs).toEqual([]);
  }, 1_200_000);
});
