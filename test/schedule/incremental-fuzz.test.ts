import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent, type ContentPack } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import type { Detection } from '../../src/detections/detection.js';
import { InProcessExecutor, type ExecuteOptions, type RunExecutor, type RunOutput, type RunRequest } from '../../src/schedule/executor.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { MatchIndex } from '../../src/schedule/incremental.js';
import { MatchIndexThread } from '../../src/schedule/match-thread.js';
import { EventTypeLibrary } from '../../src/datamodels/library.js';
import { SearchKnowledge } from '../../src/spl/datamodel/knowledge.js';
import { plan } from '../../src/spl/index.js';
import type { LookupProvider, LookupTable } from '../../src/spl/lookups.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { rowsText } from '../helpers.js';
import { rng } from '../rng.js';
import { datasetEvents, FakeClock, MemoryStore } from './fakes.js';

/**
 * Differential fuzzing of incremental scheduled runs: random custom detections run over random Tetragon event
 * streams in a SQLite store, each scheduled run served from the match index (kept rows, partial states, or the
 * matched events by seq) compared with a full scan of the same window. The contract (src/schedule/CONTEXT.md
 * "Incremental evaluation"): the same rows, in the same order; the index declines rather than differs.
 * Seeded: VIGIL_FUZZ_SEED=<n> tries other worlds, VIGIL_FUZZ_RUNS=<n> more of them.
 */
const SEED = Number(process.env['VIGIL_FUZZ_SEED'] ?? 5000);
const WORLDS = Number(process.env['VIGIL_FUZZ_RUNS'] ?? 4);
/** Five-minute steps of each world. */
const STEPS = 24;

const pack = loadContent();
const TEMPLATES = datasetEvents(
  'datasets/cisco_isovalent/cisco_isovalent.log',
  'datasets/cisco_isovalent/kprobe_spike.log',
  'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log',
  'datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log',
  'datasets/attack_techniques/T1552.005/isovalent_cloud_metadata/process_connect.log',
);
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;
const M = 60;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;

const BINARIES = ['/usr/bin/curl', '/bin/sh', '/bin/bash', '/usr/bin/CURL', '/usr/local/bin/node', '/usr/bin/wget', '/usr/bin/Curl'];
const NAMES = ['curl', 'sh', 'bash', 'CURL', 'node', 'wget', 'cu*', '*sh', 'Curl', 'nsenter', 'crontab'];

/** A random event: a template with its binary swapped, dated `time`, sometimes in another index. */
function event(r: Rand, time: number): Event {
  const t = pick(r, TEMPLATES);
  const raw = chance(r, 0.5) ? t._raw.replace(/"binary":"[^"]*"/, `"binary":"${pick(r, BINARIES)}"`) : t._raw;
  return { ...t, _raw: raw, _time: time, index: chance(r, 0.08) ? 'audit' : 'main' };
}

/** A leading search term. */
function term(r: Rand): string {
  const v = () => pick(r, NAMES);
  const choices: (() => string)[] = [
    () => 'sourcetype="cisco:isovalent:processExec"',
    () => 'sourcetype=cisco:isovalent*',
    () => 'sourcetype=CISCO:ISOVALENT:PROCESSEXEC',
    () => '`cisco_isovalent_process_exec`',
    () => '`fz_filter`',
    () => `\`fz_name(${v()})\``,
    () => 'tag=process',
    () => 'eventtype=cisco_isovalent_process_exec',
    () => `process_name=${v()}`,
    () => `process_name="${v()}"`,
    () => `Process_Name=${v()}`,
    () => `process_name IN (${v()}, ${v()})`,
    () => `NOT process_name=${v()}`,
    () => `process_name!=${v()}`,
    () => `pod_name=${pick(r, ['frontend*', 'FRONTEND*', '*-x2kqp', 'nope'])}`,
    () => `process_exec.process.binary=${pick(r, ['*/curl', '*/CURL', '/bin/*', '*sh'])}`,
    () => `"process_exec.process.pod.namespace"=${pick(r, ['shop', 'SHOP', 'kube-system'])}`,
    () => `dest_port>${pick(r, [0, 80, 443, 1000])}`,
    () => `process_kprobe.args{}.file_arg.path=${pick(r, ['/etc/*', '*.ko', '/ETC/PASSWD'])}`,
    () => `"process_kprobe.function_name"=${pick(r, ['security_file_permission', 'SECURITY_*', '*module*'])}`,
    () => pick(r, ['curl', 'CURL', '"-k"', 'sh*', 'frontend']),
    () => `(process_name=${v()} OR pod_name=${pick(r, ['frontend*', 'x*'])})`,
    () => `earliest=${pick(r, ['-30m', '-2h', '-45m@m'])}`,
    () => `latest=${pick(r, ['-20m', '+1h', '-1m@m'])}`,
    () => pick(r, ['index=audit', 'index=*', 'index=MAIN', 'NOT index=audit']),
  ];
  return pick(r, choices)();
}

/** Per-event commands that may form a filter prefix (projection.ts PREFIX_COMMANDS), and others that end it. */
function prefixCommand(r: Rand): string {
  return pick(r, [
    '| eval x=lower(process_name)',
    '| where len(process)>12',
    '| where like(process_name, "c%")',
    '| rex field=process "(?<first>\\S+)"',
    '| rename process_name as pn, pod_name as pod',
    '| fields _time process_name pod_name process node_name dest_port',
    '| search process_name!=bash',
    '| bin _time span=5m',
    '| eval t=strftime(_time, "%H:%M:%S")',
    '| bin _time span=1h',
    '| eval d=strftime(_time, "%d %H")',
    '| regex process="[a-z]+"',
    '| eval part=split(process, " ") | mvexpand part',
    '| eval n=len(process), k=if(n%2==0, 1, "1")',
    '| eval parts=split(process, " ")',
    '| rex field=process max_match=3 "(?<flag>-\\w+)"',
    '| convert ctime(_time) as ct',
    '| table _time process_name pod_name process',
    '| spath input=_raw path=process_exec.process.pid output=pid',
    // (Not `| search earliest=-20m`: a later search's earliest= filters by the run's now, so such a run scans.)
    '| search pod_name=*',
    '| where _time >= relative_time(_time, "@h") + 60',
    '| eval _time=_time-600',
    '| eval index="other"',
    '| eval hour=date_hour, lc=linecount',
    '| search tag=process',
    '| where eventtype="cisco_isovalent_process_exec"',
    '| eval process_name=upper(process_name)',
    '| rex field=process mode=sed "s/-/_/g"',
  ]);
}

/** Commands after the prefix. */
function tail(r: Rand): string {
  const fns = ['count', 'dc(process)', 'values(process_name)', 'min(_time)', 'max(_time)', 'earliest(process)', 'latest(process)', 'first(process)', 'last(pod_name)', 'list(process_name)', 'sum(dest_port)', 'avg(dest_port)', 'range(_time)', 'stdev(dest_port)', 'median(dest_port)', 'mode(process_name)', 'count(eval(len(process)>20))', 'values(process_kprobe.args{}.string_arg)', 'sum(process_kprobe.args{}.int_arg)', 'dc(process_connect.destination_ip)'];
  const by = ['process_kprobe.args{}.file_arg.path', 'process_kprobe.function_name', 'process_exec.process.pod.pod_labels.app', 'parts', 'flag', 'd', 't', 'ct', 'process_name', 'pod_name', 'node_name', 'process_name pod_name', '_time', 'sourcetype', 'n', 'pn', 'part', 'first', 'x', 'pid', 'k', 'eventtype', 'tag', 'index', 'date_minute', 'host', 'source', 'linecount', 'punct', '_indextime', 'splunk_server'];
  const stats = () => {
    const chosen = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => `${pick(r, fns)} as f${i}`);
    return `| stats ${chosen.join(' ')}${chance(r, 0.8) ? ` by ${pick(r, by)}` : ''}`;
  };
  return pick(r, [
    stats,
    stats,
    stats,
    () => '| eval len=len(process) | where len > 10',
    () => '| table _time pod_name process process_name',
    () => `| dedup ${pick(r, ['process_name', 'pod_name', 'process_name pod_name'])}`,
    () => '| eval p=split(process, " ") | mvexpand p',
    () => '| rex field=process "(?<arg>-\\S+)"',
    () => '| lookup fz_severity process_name OUTPUT severity',
    () => `| head ${1 + Math.floor(r() * 4)}`,
    () => pick(r, ['| sort - _time', '| sort process_name', '| sort 0 pod_name - _time']),
    () => '| eventstats count as total by pod_name',
    () => '| streamstats count as nth',
    () => '| where isnotnull(pod_name)',
    () => '| fillnull value=none pod_name',
    () => '| timechart span=5m count',
    () => '| timechart span=1m dc(process) as d by process_name',
    () => '| chart count over process_name by pod_name',
    () => '| stats count by process_name | sort - count | head 2',
    () => '| sitimechart span=10m count',
    () => '| stats sum(dest_port) as s avg(dest_port) as a p90(dest_port) as p by pod_name',
    () => '| top limit=3 process_name',
    () => '| chart count by pod_name process_name',
    () => '| addinfo | eval w=info_max_time-info_min_time',
    () => '| stats values(*) as * by process_name',
    () => '| eval et=mvjoin(eventtype, ","), tg=mvjoin(tag, ",")',
    () => '| bin _time span=1m | stats count by _time',
    () => '| stats count by eventtype',
    () => '| fillnull value=x',
    () => '| transaction pod_name maxspan=5m',
    () => '| stats count as c by process_name | lookup fz_severity process_name OUTPUTNEW severity | where isnotnull(severity)',
  ])();
}

function detection(r: Rand, i: number): { id: string; name: string; search: string } {
  const lead: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) lead.push(term(r));
  const cmds: string[] = [];
  for (let k = Math.floor(r() * 3); k > 0; k--) cmds.push(prefixCommand(r));
  for (let k = Math.floor(r() * 3); k > 0; k--) cmds.push(tail(r));
  return { id: `fz-${i}`, name: `fz ${i}`, search: [lead.join(chance(r, 0.2) ? ' OR ' : ' '), ...cmds].join(' ') };
}

/** A lookup provider over the pack's with one table of ours, whose rows change between runs. */
function lookups(severities: Record<string, string>): LookupProvider {
  const table: LookupTable = { name: 'fz_severity', fields: ['process_name', 'severity'], rows: Object.entries(severities).map(([process_name, severity]) => ({ process_name, severity })), caseSensitive: true };
  return { get: (name) => (name === 'fz_severity' ? table : pack.lookups.get(name)), names: () => [...pack.lookups.names(), 'fz_severity'] };
}

/**
 * Our content: the macros `fz_filter` and `fz_name(n)`, the lookup `fz_severity`, and, when `execType` is given, the
 * process_exec event type's search replaced (its tag=process and eventtype= then match by it).
 */
function content(detections: Detection[], filter: string, name: string, severities: Record<string, string>, execType: string | null = null): ContentPack {
  const macros = pack.macros.with([
    { name: 'fz_filter', args: [], definition: filter },
    { name: 'fz_name', args: ['n'], definition: name },
  ]);
  const provider = lookups(severities);
  if (execType === null) return { ...pack, detections, macros, lookups: provider };
  const eventTypes = new EventTypeLibrary();
  for (const t of pack.eventTypes.all()) eventTypes.define(t.name === 'cisco_isovalent_process_exec' ? { ...t, search: execType } : t);
  return { ...pack, detections, macros, lookups: provider, eventTypes, knowledge: new SearchKnowledge({ dataModels: pack.dataModels, eventTypes, macros, lookups: provider }) };
}

const EXEC_TYPES = [null, 'sourcetype=cisco:isovalent:processExec process_name!=node', 'sourcetype=cisco:isovalent:processExec `fz_filter`'];

const FILTERS = ['sourcetype="cisco:isovalent:processExec"', 'process_name=curl OR process_name=sh', 'sourcetype=cisco:isovalent*', 'NOT process_name=node'];
const NAME_DEFS = ['process_name=$n$', 'process_name=$n$*', 'pod_name=*'];

interface Tally {
  detections: number;
  runs: number;
  served: number;
  /** Served runs by what served them: partial states, kept rows, the matched events by seq. */
  how: Record<'states' | 'rows' | 'seqs', number>;
  diffs: string[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * The scheduler's executor, which runs each request it is given (served from the index when the scheduler found
 * matches) and the same request as a full scan of the store, and notes any difference.
 */
class Comparing implements RunExecutor {
  step = 0;
  /** Called after each run: a content change there is a macro saved while a pass is running. */
  afterRun: () => void = () => {};
  constructor(
    private readonly inner: InProcessExecutor,
    private readonly seed: number,
    private readonly tally: Tally,
  ) {}

  async execute(req: RunRequest, timeoutMs: number, opts?: ExecuteOptions): Promise<RunOutput> {
    const full: RunRequest = { ...req };
    delete full.eventSeqs;
    delete full.projection;
    delete full.partials;
    // Each path's output, or its error (the scheduler is given the served one, as it would be).
    const run = async (q: RunRequest): Promise<{ out: RunOutput | null; error: unknown; seen: Outcome }> => {
      try {
        const out = await this.inner.execute(q, timeoutMs, opts);
        return { out, error: null, seen: rowsText(out.rows) };
      } catch (e) {
        return { out: null, error: e, seen: `error: ${(e as Error).message}` };
      }
    };
    const want = await run(full);
    this.tally.runs++;
    const got = req.eventSeqs === undefined ? want : await run(req);
    if (req.eventSeqs !== undefined) {
      this.tally.served++;
      const how = req.partials ? 'states' : req.projection ? 'rows' : 'seqs';
      this.tally.how[how]++;
      if (JSON.stringify(got.seen) !== JSON.stringify(want.seen)) {
        this.tally.diffs.push(`seed ${this.seed} step ${this.step} ${how} [${(req.earliest as number) - T0}, ${(req.latest as number) - T0}) ${req.search}\n${difference(want.seen, got.seen)}`);
      }
    }
    this.afterRun();
    if (got.out === null) throw got.error;
    return got.out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

type Outcome = Record<string, string | string[]>[] | string;

/** Where two outcomes first differ: the row and its differing fields (`_raw` left out). */
function difference(want: Outcome, got: Outcome): string {
  if (typeof want === 'string' || typeof got === 'string') return `  full:   ${JSON.stringify(want).slice(0, 300)}\n  served: ${JSON.stringify(got).slice(0, 300)}`;
  const i = want.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(got[k]));
  const at = i < 0 ? want.length : i;
  const a = want[at] ?? {};
  const b = got[at] ?? {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  const pickKeys = (row: Record<string, unknown>) => JSON.stringify(Object.fromEntries(keys.map((k) => [k, row[k]]))).slice(0, 300);
  return `  ${want.length} rows vs ${got.length}; row ${at}: full ${pickKeys(a)} served ${pickKeys(b)}`;
}

async function world(seed: number, tally: Tally): Promise<void> {
  const r = rng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-incfuzz-'));
  dirs.push(dir);
  const closing: (MatchIndex | MatchIndexThread)[] = [];
  // Small buckets: retention deletes often, in the middle of windows.
  const store: SqliteStore = await openStore(dir, { bucketSeconds: pick(r, [300, 600, 3600]), scanThreadMinEvents: Infinity });
  try {
    await store.createIndex('audit');
    const template = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
    const detections: Detection[] = [];
    const realtime: string[] = [];
    let current = content([], pick(r, FILTERS), pick(r, NAME_DEFS), { curl: 'high', sh: 'low' });
    for (let i = 0; detections.length < 7 && i < 40; i++) {
      const d = detection(r, i);
      try {
        plan(d.search, { macros: current.macros, lookups: current.lookups, knowledge: current.knowledge, now: T0, tz: 'UTC' });
      } catch {
        continue;
      }
      const window = pick(r, [['-70m@m', '-10m@m'], ['-15m@m', 'now'], ['-5m', 'now'], ['-1h@h', '@h'], ['-70m@m', '-10m@m'], ['@d', 'now'], null] as const);
      if (window === null && realtime.length === 0) realtime.push(d.name);
      const [earliest, latest] = window ?? ['-70m@m', '-10m@m'];
      const every = pick(r, [5, 15, 60]);
      detections.push({ ...template, ...d, throttle: null, schedule: { ...template.schedule, cron: every === 60 ? '0 * * * *' : `*/${every} * * * *`, earliest, latest, scheduleWindow: 0, realtimeWindowSeconds: 150 } });
    }
    tally.detections += detections.length;
    const severities = (): Record<string, string> => (chance(r, 0.5) ? { curl: 'medium' } : { curl: 'high', sh: 'low', bash: 'low' });
    current = content(detections, pick(r, FILTERS), pick(r, NAME_DEFS), { curl: 'high', sh: 'low' });
    const compare = new Comparing(new InProcessExecutor(store, () => current), seed, tally);
    compare.afterRun = () => {
      if (chance(r, 0.03)) current = content(detections, pick(r, FILTERS), pick(r, NAME_DEFS), severities(), pick(r, EXEC_TYPES));
    };
    const times: number[] = [];
    // Events stored before the index started: windows reaching back to them scan.
    const before = Array.from({ length: Math.floor(r() * 30) }, () => event(r, T0 - r() * 3 * 3600));
    if (before.length) await store.append(before);
    before.forEach((e) => times.push(e._time));
    const startedAfter = before.length ? Math.max(...before.map((e) => e._time)) : -Infinity;
    // On this thread, or on its own as `vigil serve` runs it (prefixes compiled from expanded searches, without the knowledge).
    const horizon = pick(r, [2, 3, 6]) * 3600;
    const index = chance(r, 0.3) ? new MatchIndexThread({ startedAfter, horizonSeconds: horizon, maxQueuedChars: pick(r, [64 * 1024 * 1024, 4000]) }) : new MatchIndex(startedAfter, horizon, pick(r, [40_000_000, 40_000_000, 400]), pick(r, [0, 0, 4]));
    closing.push(index);
    store.onDeleted((idx, upTo) => index.forget(idx, upTo));
    const clock = new FakeClock(T0);
    const scheduler = new Scheduler({
      content: () => current,
      // Run state in memory (SQLite's commits cost a sync each); the events in the SQLite store.
      state: new MemoryStore(),
      defaultIndexes: () => ['main'],
      executor: compare,
      clock,
      // A zone whose hours start at :30 UTC too: @h, @d, strftime and bin in it.
      settings: { ...scheduleSettings(undefined, undefined), tz: pick(r, ['UTC', 'UTC', 'America/New_York', 'Asia/Kolkata']), enable: detections.map((d) => d.name), realtime, realtimeGraceSeconds: 1 },
      alerts: null,
      matchIndex: index,
    });
    await scheduler.runDue(); // first sight: runs start from now
    const add = async (evs: Event[]) => {
      if (evs.length === 0) return;
      const receipt = await store.append(evs);
      index.observe(evs, receipt.firstSeq!);
      for (const e of evs) times.push(e._time);
    };
    // Some worlds get events dated ahead, which end the index's coverage for hours: the others keep serving.
    const ahead = chance(r, 0.25);
    const retention = chance(r, 0.5) ? { main: { maxAgeSeconds: pick(r, [40, 90, 150]) * M } } : null;
    if (retention) store.setRetention(retention);

    for (let s = 1; s <= STEPS; s++) {
      const now = T0 + s * 5 * M;
      compare.step = s;
      // Events of the last five minutes, in random batches and order; some late, some on window bounds,
      // some at equal or sub-microsecond times.
      // A macro or lookup saved while events arrive: the index still has the old prefix until the next pass.
      if (chance(r, 0.1)) current = content(detections, pick(r, FILTERS), pick(r, NAME_DEFS), severities(), pick(r, EXEC_TYPES));
      const batches = Math.floor(r() * 4);
      for (let b = 0; b < batches; b++) {
        const evs: Event[] = [];
        for (let k = Math.floor(r() * 25); k > 0; k--) {
          const x = r();
          let t: number;
          if (x < 0.55) t = now - r() * 5 * M;
          else if (x < 0.7) t = now - r() * 3 * 3600; // late: into windows already run
          else if (x < 0.82) t = Math.floor(now / 3600) * 3600 - pick(r, [70, 10, 60, 0, 15, 5]) * M + pick(r, [0, 0, -1e-7, 4e-7, -6e-7, 1e-6, -1e-6]);
          else if (x < 0.92 && times.length) t = pick(r, times);
          else if (x < 0.995 || !ahead) t = Math.floor((now - r() * 20 * M) / M) * M + pick(r, [0, -5e-7, 5e-7, 0.5]);
          else t = now + pick(r, [2 * 86400, 7 * 3600, 600]); // dated ahead (a node's clock off): the horizon moves
          evs.push(event(r, t));
        }
        await add(evs);
      }
      if (chance(r, 0.15)) current = content(detections, pick(r, FILTERS), pick(r, NAME_DEFS), severities(), pick(r, EXEC_TYPES));
      if (retention && chance(r, 0.3)) await store.applyRetention(now);
      if (chance(r, 0.05)) {
        await store.deleteIndex('audit');
        await store.createIndex('audit');
      }
      if (chance(r, 0.2)) index.prune();
      clock.t = now + 2;
      await scheduler.runDue();
    }
  } finally {
    for (const c of closing) if (c instanceof MatchIndexThread) await c.close();
    await store.close();
  }
}

describe('incremental runs = full scans (differential fuzzing)', () => {
  it(`random detections over random event streams (seed ${SEED}, ${WORLDS} worlds)`, async () => {
    const tally: Tally = { detections: 0, runs: 0, served: 0, how: { states: 0, rows: 0, seqs: 0 }, diffs: [] };
    for (let w = 0; w < WORLDS; w++) {
      const t = performance.now();
      await world(SEED + w, tally);
      console.log(`world ${w}: ${Math.round(performance.now() - t)} ms, ${tally.runs} runs so far`);
    }
    console.log(`incremental fuzz: ${tally.detections} detections, ${tally.runs} runs, ${tally.served} served from the index (${JSON.stringify(tally.how)}), ${tally.diffs.length} differences`);
    expect(tally.diffs.slice(0, 5)).toEqual([]);
    expect(tally.served).toBeGreaterThan(tally.runs / 4);
    // Every way of serving a run was compared (the default seed's worlds use all three).
    if (process.env['VIGIL_FUZZ_SEED'] === undefined) for (const n of Object.values(tally.how)) expect(n).toBeGreaterThan(0);
  }, 60_000 * Math.max(2, WORLDS));
});

describe('incremental runs = full scans (what the fuzzing found)', () => {
  const template = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
  const exec = TEMPLATES.filter((e) => e.sourcetype === 'cisco:isovalent:processExec');
  const custom = (name: string, search: string, earliest: string, latest: string, cron: string): Detection => ({
    ...template,
    id: name,
    name,
    search,
    throttle: null,
    schedule: { ...template.schedule, cron, earliest, latest, scheduleWindow: 0 },
  });

  /** A scheduler over `source` whose runs are each compared with a full scan; `ingest` commits and shows the index a batch. */
  function harness(d: Detection, source: SqliteStore | MemoryStore, rowsPerGroup: number) {
    const tally: Tally = { detections: 1, runs: 0, served: 0, how: { states: 0, rows: 0, seqs: 0 }, diffs: [] };
    const c = { ...pack, detections: [d] };
    const index = new MatchIndex(-Infinity, 6 * 3600, undefined, rowsPerGroup);
    const clock = new FakeClock(T0);
    const scheduler = new Scheduler({
      content: () => c,
      state: new MemoryStore(),
      defaultIndexes: () => ['main'],
      executor: new Comparing(new InProcessExecutor(source, () => c), 0, tally),
      clock,
      settings: { ...scheduleSettings(undefined, undefined), enable: [d.name] },
      alerts: null,
      matchIndex: index,
    });
    const ingest = async (evs: Event[]) => {
      const receipt = await source.append(evs);
      index.observe(evs, typeof receipt === 'number' ? receipt : receipt.firstSeq!);
    };
    return { tally, clock, scheduler, ingest };
  }

  it('a search whose own earliest= reaches past its scheduled window is served from the matches of its own range', async () => {
    // Search Manual, "Specify time modifiers in your search": a time range given in a saved search overrides the
    // one selected; Search Reference, "Time modifiers": without latest=, latest is now. The run at 10:40 with a
    // -5m..now window and earliest=-45m@m searches [09:55, 10:40): its served run read only [10:35, 10:40) before.
    const d = custom('own range', 'earliest=-45m@m sourcetype="cisco:isovalent:processExec" | stats count', '-5m', 'now', '*/5 * * * *');
    const store = new MemoryStore();
    const h = harness(d, store, 4);
    await h.scheduler.runDue(); // first sight at 10:00
    const times = [5, 12, 20, 33, 38].map((m) => T0 + m * 60 + 1);
    await h.ingest(times.map((t, i) => ({ ...exec[i % exec.length]!, _time: t })));
    h.clock.t = T0 + 40 * 60;
    const records = await h.scheduler.runDue();
    expect(h.tally.diffs).toEqual([]);
    expect(h.tally.served).toBeGreaterThan(0);
    // Every run's count is the events in [now-45m@m, now): at 10:40 all five.
    const last = records.find((r) => r.scheduledTime === T0 + 40 * 60)!;
    expect(last.resultCount).toBe(1);
    const full = await new InProcessExecutor(store, () => ({ ...pack, detections: [d] })).execute({ name: d.name, search: d.search, earliest: T0 + 35 * 60, latest: T0 + 40 * 60, now: T0 + 40 * 60, tz: 'UTC', defaultIndexes: ['main'] }, 10_000);
    expect(rowsText(full.rows)).toEqual([{ count: '5' }]);
  });

  it('keeps matches, rows and partial states at the time the store keeps (whole microseconds), window bounds included', async () => {
    // Search Reference (SPL2), "Time modifiers": a range finds events whose timestamp is >= earliest and < latest.
    // An event 0.4 µs before 10:00 is stored at 10:00:00.000000: in the window [10:00, 11:00) of the 11:10 run, as a
    // scan finds it. Its kept _time was 09:59:59.9999996 (min(_time) showed it) and its match was left out.
    for (const rowsPerGroup of [0, 4]) {
      const d = custom(`micro ${rowsPerGroup}`, 'sourcetype="cisco:isovalent:processExec" | stats min(_time) as first max(_time) as last count', '-70m@m', '-10m@m', '10 * * * *');
      const dir = mkdtempSync(join(tmpdir(), 'vigil-incfuzz-'));
      dirs.push(dir);
      const store = await openStore(dir, { scanThreadMinEvents: Infinity });
      try {
        const h = harness(d, store, rowsPerGroup);
        await h.scheduler.runDue(); // first sight at 10:00
        await h.ingest([
          { ...exec[0]!, _time: T0 - 4e-7 },
          { ...exec[1]!, _time: T0 + 1800.2376996 },
          { ...exec[2]!, _time: T0 + 3600 - 4e-7 },
        ]);
        h.clock.t = T0 + 70 * 60;
        const records = await h.scheduler.runDue();
        expect(h.tally.diffs).toEqual([]);
        // Runs at 10:10 ([09:00, 10:00): the event 0.4 µs before 10:00 is not in it) and 11:10, both served.
        expect(h.tally.served).toBe(2);
        expect(records.map((r) => r.scheduledTime - T0)).toEqual([600, 4200]);
        const full = await new InProcessExecutor(store, () => ({ ...pack, detections: [d] })).execute({ name: d.name, search: d.search, earliest: T0, latest: T0 + 3600, now: T0 + 70 * 60, tz: 'UTC', defaultIndexes: ['main'] }, 10_000);
        // The first at 10:00:00 exactly, the last at 10:59:59.999999 + 0.4 µs rounded to 11:00, out of the window.
        expect(rowsText(full.rows)).toEqual([{ first: String(T0), last: String(T0 + 1800.237700), count: '2' }]);
      } finally {
        await store.close();
      }
    }
  });
});

describe('incremental runs = full scans (event types, content saved during a pass)', () => {
  const template = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
  const hourly = (name: string, search: string): Detection => ({ ...template, id: name, name, search, throttle: null, schedule: { ...template.schedule, cron: '10 * * * *', earliest: '-70m@m', latest: '-10m@m', scheduleWindow: 0 } });
  const events = TEMPLATES.map((e, i) => ({ ...e, _time: T0 + 60 + i }));

  it('a stats by eventtype after the prefix is served from the matched events, not from states kept without event types', async () => {
    // Knowledge Manager Manual, "About event types": eventtype is a field every matching event carries at search
    // time, so a count by it counts the events of each type. States kept at ingest had none: no rows at all.
    const d = hourly('by eventtype', 'process_name!=nsenter | stats count by eventtype');
    for (const rowsPerGroup of [0, 4]) {
      const tally: Tally = { detections: 1, runs: 0, served: 0, how: { states: 0, rows: 0, seqs: 0 }, diffs: [] };
      const store = new MemoryStore();
      const c = { ...pack, detections: [d] };
      const index = new MatchIndex(-Infinity, 6 * 3600, undefined, rowsPerGroup);
      const clock = new FakeClock(T0);
      const executor = new Comparing(new InProcessExecutor(store, () => c), 0, tally);
      const scheduler = new Scheduler({ content: () => c, state: new MemoryStore(), defaultIndexes: () => ['main'], executor, clock, settings: { ...scheduleSettings(undefined, undefined), enable: [d.name] }, alerts: null, matchIndex: index });
      await scheduler.runDue();
      index.observe(events, store.append(events));
      clock.t = T0 + 70 * 60;
      await scheduler.runDue();
      expect(tally.diffs).toEqual([]);
      expect(tally.how).toEqual({ states: 0, rows: 0, seqs: 2 }); // the runs of 10:10 and 11:10
      const full = await new InProcessExecutor(store, () => c).execute({ name: d.name, search: d.search, earliest: T0, latest: T0 + 3600, now: T0 + 70 * 60, tz: 'UTC', defaultIndexes: ['main'] }, 10_000);
      expect(rowsText(full.rows).map((r) => r['eventtype'])).toContain('cisco_isovalent_process_exec');
    }
  });

  it('a run planned with content saved after the pass began scans: the matches are the old macro’s', async () => {
    // Search Manual, "Use search macros in searches": a macro's definition is expanded when the search runs, so the
    // run after the save searches with the new definition (here: every process, not only curl).
    const d1 = hourly('macro a', '`fz_filter` | stats count by process_name');
    const d2 = hourly('macro b', '`fz_filter` | stats count by process_name');
    const tally: Tally = { detections: 2, runs: 0, served: 0, how: { states: 0, rows: 0, seqs: 0 }, diffs: [] };
    const store = new MemoryStore();
    let c = content([d1, d2], 'process_name=curl', 'process_name=$n$', {});
    const index = new MatchIndex(-Infinity, 6 * 3600);
    const clock = new FakeClock(T0);
    const executor = new Comparing(new InProcessExecutor(store, () => c), 0, tally);
    // Saved while the first run of the pass is running.
    executor.afterRun = () => {
      c = content([d1, d2], 'sourcetype="cisco:isovalent:processExec"', 'process_name=$n$', {});
    };
    const scheduler = new Scheduler({ content: () => c, state: new MemoryStore(), defaultIndexes: () => ['main'], executor, clock, settings: { ...scheduleSettings(undefined, undefined), enable: [d1.name, d2.name] }, alerts: null, matchIndex: index });
    await scheduler.runDue();
    index.observe(events, store.append(events));
    clock.t = T0 + 70 * 60;
    const records = await scheduler.runDue();
    expect(tally.diffs).toEqual([]);
    // One pass runs 10:10 (an empty window) and 11:10 of both; the macro is saved after the first run, which alone
    // is served: the 11:10 runs count every process of the window, as the new definition asks.
    expect(tally.served).toBe(1);
    const processes = new Set(events.filter((e) => e.sourcetype === 'cisco:isovalent:processExec').map((e) => /"binary":"[^"]*\/([^"/]*)"/.exec(e._raw)![1])).size;
    expect(records.map((r) => r.resultCount)).toEqual([0, 0, processes, processes]);
  });
});

describe('incremental runs = full scans (event types changed between passes)', () => {
  it('a lead using tag= or eventtype= starts its matches again when an event type it expands to changes', async () => {
    // Knowledge Manager Manual, "About event types" / "Tag event types": tag=process matches the events of the event
    // types tagged process, by their searches as they are when the search runs. An edited event type (its file, a
    // macro its search uses) changes what the same search text matches: matches kept for the old one are void.
    const d = { id: 'et', name: 'et', search: 'tag=process | stats count by process_name' };
    // Without tag=/eventtype= in its lead, a search is not concerned.
    const plain = { id: 'plain', name: 'plain', search: 'sourcetype="cisco:isovalent:processExec" | stats count by process_name' };
    const narrowed = new EventTypeLibrary();
    for (const t of pack.eventTypes.all()) narrowed.define(t.name === 'cisco_isovalent_process_exec' ? { ...t, search: `${t.search} process_name=curl` } : t);
    const edited = { ...pack, eventTypes: narrowed, knowledge: new SearchKnowledge({ dataModels: pack.dataModels, eventTypes: narrowed, macros: pack.macros, lookups: pack.lookups }) };
    const index = new MatchIndex(-Infinity, 6 * 3600);
    index.setDetections([d, plain], pack, 'UTC');
    const events = TEMPLATES.map((e, i) => ({ ...e, _time: T0 + i }));
    index.observe(events, 1);
    index.setDetections([d, plain], pack, 'UTC'); // unchanged: kept
    expect(index.covers(d.id, T0 - 1)).toBe(true);
    index.setDetections([d, plain], edited, 'UTC');
    expect(index.covers(d.id, T0 - 1)).toBe(false); // the old matches counted every process: the run scans
    expect(index.covers(d.id, T0 + events.length)).toBe(true);
    expect(index.covers(plain.id, T0 - 1)).toBe(true);
  });
});
