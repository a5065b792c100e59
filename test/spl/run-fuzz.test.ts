import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { loadContent } from '../../src/detections/content.js';
import { VigilError } from '../../src/errors.js';
import { supportedCommands } from '../../src/spl/commands/index.js';
import { EVAL_FUNCTIONS } from '../../src/spl/eval/functions/index.js';
import { AGGREGATIONS } from '../../src/spl/stats/aggregations.js';
import { MacroLibrary, SplError, streamSearch, type SearchOptions } from '../../src/spl/index.js';
import { MemorySource } from '../../src/sources/memory.js';
import { toEvent } from '../../src/sources/tetragon.js';
import { escuCorpusPresent, escuMacros, escuSearches } from '../escu-tree.js';
import { memorySource, REPO_ROOT } from '../helpers.js';
import { rng } from '../rng.js';

/**
 * Runtime fuzzing: real searches (ESCU's 1,613 when ../shared has them, vigil's detections, a pipeline per command),
 * mutated and RUN over ~45 Tetragon events. Each must succeed or fail with a typed error whose code docs/errors.md
 * lists, an SPL error with a line:column inside its text; never a TypeError, a hang or unbounded rows.
 * Seeded: VIGIL_FUZZ_SEED=<n> tries other mutations, VIGIL_FUZZ_RUNS=<n> more of them.
 */

const SEED = Number(process.env['VIGIL_FUZZ_SEED'] ?? 20261207);
const RUNS = Number(process.env['VIGIL_FUZZ_RUNS'] ?? 1500);
/** Per search: past this the run is stopped (its signal aborted); one still running at 1.5 times it is a hang. */
const TIME_BUDGET_MS = 2_000;
/** Rows a search may give before it is stopped (a mutation to `makeresults count=99999999999`). */
const ROW_BUDGET = 20_000;

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'tetragon');
const EVENTS: Event[] = ['upstream-samples.jsonl', 'splunk-example.jsonl', 'synthetic.jsonl', 'cim-kinds.jsonl'].flatMap((f) =>
  readFileSync(join(FIX, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((line) => {
      const out = toEvent(line, { index: 'main', source: f, defaultHost: 'h', fallbackTime: () => 1_700_000_000 });
      return out.ok ? [out.event] : [];
    }),
);

/** The codes a user can look up: docs/errors.md's first table. */
const KNOWN_CODES = new Set([...readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8').matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));

/** One pipeline per command (supportedCommands() is checked against it), each reaching the command's run path. */
export const COMMAND_PIPELINES: Record<string, string> = {
  accum: '| makeresults count=5 | eval x=1 | accum x AS total',
  addcoltotals: '| makeresults count=3 | eval a=1, b=2.5 | addcoltotals labelfield=name a*',
  addinfo: '| makeresults | addinfo',
  addtotals: '| makeresults count=3 | eval a=1, b=2.5 | addtotals row=t col=t',
  anomalydetection: 'index=main | anomalydetection process_name',
  append: '| makeresults | append [| makeresults count=2 | eval y=2]',
  appendcols: '| makeresults count=2 | appendcols [| makeresults count=3 | eval z=1]',
  appendpipe: 'index=main | stats count by sourcetype | appendpipe [stats sum(count) as count]',
  autoregress: '| makeresults count=4 | streamstats count as n | autoregress n p=1-3',
  bin: 'index=main | bin _time span=5m | stats count by _time',
  bucket: 'index=main | bucket _time span=1h | stats count by _time',
  discretize: 'index=main | discretize _time bins=3 | stats count by _time',
  counttable: 'index=main | counttable sourcetype host',
  ctable: 'index=main | ctable host sourcetype',
  kv: '| makeresults | eval _raw="a=1 b=2" | kv',
  chart: 'index=main | chart count over sourcetype by host',
  contingency: 'index=main | contingency sourcetype host',
  convert: '| makeresults | eval t=1700000000, d="01:02:03" | convert ctime(t) dur2sec(d) num(x)',
  datamodel: '| datamodel Endpoint Processes search | head 5',
  dedup: 'index=main | dedup 2 sourcetype keepempty=true sortby -_time',
  delta: '| makeresults count=5 | streamstats count as n | delta n AS d p=2',
  eval: 'index=main | eval x=len(_raw)*2, y=if(x>100,"big","small"), z=mvindex(split(_raw,","),0,2)',
  eventcount: '| eventcount summarize=false index=*',
  eventstats: 'index=main | eventstats count, dc(host) as hosts by sourcetype',
  extract: '| makeresults | eval _raw="a=1 b=2, c=3" | extract pairdelim=", " kvdelim="="',
  fields: 'index=main | fields - _raw | fields + process_name, _time',
  fieldsummary: 'index=main | fieldsummary maxvals=3',
  filldown: '| makeresults count=3 | streamstats count as n | eval x=if(n=1,"a",null()) | filldown x',
  fillnull: 'index=main | fillnull value="none" process_name pod_name',
  foreach: '| makeresults | eval a=1, b=2 | foreach a b [eval <<FIELD>>=<<FIELD>>*2]',
  format: '| makeresults count=2 | eval host="h" | format',
  from: '| from datamodel:Endpoint.Processes | head 3',
  fromjson: '| makeresults | eval j="{\\"a\\":1,\\"b\\":[1,2]}" | fromjson j prefix=p_',
  gentimes: '| gentimes start=10/01/2024 end=10/03/2024 increment=12h',
  head: 'index=main | head 3 | head (isnotnull(_time))',
  inputlookup: '| inputlookup nonexistent_lookup.csv',
  iplocation: '| makeresults | eval ip="8.8.8.8" | iplocation ip',
  join: 'index=main | join type=left sourcetype [search index=main | stats count by sourcetype]',
  lookup: 'index=main | lookup nonexistent_lookup process_name OUTPUT x',
  makecontinuous: '| makeresults count=3 | streamstats count as n | eval n=n*10 | makecontinuous n span=5',
  makemv: '| makeresults | eval x="a,b,,c" | makemv delim="," allowempty=true x',
  makeresults: '| makeresults count=3 annotate=true',
  map: '| makeresults count=2 | streamstats count as n | map search="| makeresults | eval m=$n$" maxsearches=2',
  metadata: '| metadata type=sourcetypes index=main',
  multikv: '| makeresults | eval _raw="A B\n1 2\n3 4" | multikv',
  multisearch: '| multisearch [search index=main process_name=curl] [search index=main sourcetype=cisco*]',
  mvcombine: 'index=main | stats count by sourcetype, host | mvcombine host',
  mvexpand: '| makeresults | eval x=split("a b c"," ") | mvexpand x limit=2',
  nomv: '| makeresults | eval x=split("a b c"," ") | nomv x',
  outlier: '| makeresults count=10 | streamstats count as n | eval n=if(n=10,1000,n) | outlier action=transform n',
  outputlookup: '| makeresults | outputlookup fuzz_never_written.csv',
  rangemap: '| makeresults | eval v=5 | rangemap field=v low=0-3 mid=4-6 default=other',
  rare: 'index=main | rare sourcetype limit=2',
  regex: 'index=main | regex _raw="(?i)\\bcurl\\b" | regex process_name!="^sh$"',
  rename: 'index=main | rename process_name AS pn, *_name AS name_*',
  replace: 'index=main | replace "cisco:*" WITH "c:*" IN sourcetype',
  return: '| makeresults count=3 | eval host="h" | return 2 host',
  reverse: 'index=main | reverse',
  rex: 'index=main | rex field=_raw "\\"binary\\":\\"(?<bin>[^\\"]+)" max_match=2 | rex field=bin mode=sed "s/\\//_/g"',
  search: 'index=main (process_name=curl OR process_name=sh*) NOT host="x" | search _time>0',
  selfjoin: 'index=main | eval k=sourcetype | selfjoin k',
  set: '| set union [| makeresults | eval a=1] [| makeresults | eval a=2]',
  sort: 'index=main | sort 5 -_time, +num(process_id), str(host)',
  spath: 'index=main | spath path=process_exec.process.pid output=pid | spath input=_raw',
  stats: 'index=main | stats count, values(*) as *, avg(_time), perc95(_time), latest(host) by sourcetype',
  strcat: '| makeresults | eval a="x", b=1 | strcat allrequired=f a "-" b c',
  streamstats: 'index=main | streamstats window=3 current=f count, dc(host) as h by sourcetype',
  table: 'index=main | table _time, process*, *name',
  tail: 'index=main | tail 3',
  timechart: 'index=main | timechart span=1h count by sourcetype limit=2',
  tojson: 'index=main | head 2 | tojson auto(*) output_field=j',
  top: 'index=main | top 3 sourcetype by host showperc=f',
  transaction: 'index=main | transaction host maxspan=1h maxevents=3',
  transpose: 'index=main | stats count by sourcetype | transpose 3 header_field=sourcetype',
  trendline: '| makeresults count=6 | streamstats count as n | trendline sma2(n) ema3(n) AS e wma2(n)',
  tstats: '| tstats count from datamodel=Endpoint.Processes where Processes.process_name=curl by Processes.dest span=1h',
  union: '| union [| makeresults | eval a=1] [search index=main | head 2]',
  uniq: 'index=main | fields sourcetype | uniq',
  untable: 'index=main | stats count by sourcetype, host | untable sourcetype field value',
  where: 'index=main | where like(process_name, "c%") OR cidrmatch("10.0.0.0/8", source_ip)',
  xmlkv: '| makeresults | eval _raw="<a>1</a><b>x</b>" | xmlkv maxinputs=10',
  xyseries: 'index=main | stats count by sourcetype, host | xyseries sourcetype host count',
};

interface Outcome {
  kind: 'ok' | 'error' | 'crash';
  detail: string;
  /** Rows the search gave before it ended. */
  rows: number;
}

/** A minimal event source per run: MemorySource (newest first, like the store) or the test helper's file order. */
function sourceFor(i: number): SearchOptions['source'] {
  return i % 2 === 0 ? new MemorySource(EVENTS) : memorySource(EVENTS);
}

/** Runs `spl` within the budgets and classifies what happened. */
async function runOne(spl: string, base: SearchOptions, i: number): Promise<Outcome> {
  const ac = new AbortController();
  let rows = 0;
  let overRows = false;
  const started = performance.now();
  const timer = setTimeout(() => ac.abort(), TIME_BUDGET_MS);
  try {
    await streamSearch(
      spl,
      // A generating command awaits `ready` between chunks: a macrotask, so the budget's timer gets to fire.
      { ...base, source: sourceFor(i), signal: ac.signal, ready: () => new Promise<void>((r) => setImmediate(r)) },
      {
        push: () => {
          if (++rows > ROW_BUDGET && !overRows) {
            overRows = true;
            ac.abort();
          }
        },
        end: () => {},
      },
    );
  } catch (e) {
    return { ...classify(e, spl), rows };
  } finally {
    clearTimeout(timer);
  }
  // A search stopped at the budget is a long one (`makeresults count=99999999999`), not a hang; one that went on is.
  const ms = performance.now() - started;
  if (ms > TIME_BUDGET_MS * 1.5) return { kind: 'crash', detail: `hang: ${Math.round(ms)} ms (did not stop at the budget)`, rows };
  return { kind: 'ok', detail: '', rows };
}

function classify(e: unknown, spl: string): Omit<Outcome, 'rows'> {
  if (!(e instanceof VigilError)) {
    const err = e as Error;
    const frame = (err?.stack ?? '').split('\n').find((l) => l.includes('/src/')) ?? '';
    return { kind: 'crash', detail: `${err?.name ?? typeof e}: ${String(err?.message).replace(/(.)\1{20,}/g, '$1…').slice(0, 160)} ${frame.trim()}` };
  }
  if (!KNOWN_CODES.has(e.code)) return { kind: 'crash', detail: `unknown code ${e.code}: ${e.message.slice(0, 160)}` };
  if (e instanceof SplError) {
    const loc = e.location();
    if (!loc) return { kind: 'crash', detail: `no location: ${e.code} ${e.message.slice(0, 160)}` };
    if (loc.offset < 0 || loc.offset > loc.origin.text.length) return { kind: 'crash', detail: `location outside its text: ${e.code} ${e.message.slice(0, 120)}` };
  } else if (/^(SPL_|REGEX_|TIME_)/.test(e.code)) {
    return { kind: 'crash', detail: `an SPL error without a position: ${e.code} ${e.message.slice(0, 160)} (${spl.length} chars)` };
  }
  return { kind: 'error', detail: e.code };
}

// ---------------------------------------------------------------- mutations

const NUMBERS = ['0', '-1', '99999999999', '1e308', '-1e308', '9007199254740993', '0.0000001', '-0', 'NaN', 'inf', '""', '1.5.5', '0x10'];
const FIELDS = ['_time', '_raw', 'process_name', 'count', '"pod name"', "'x y'", '*', 'a*b', 'process.pid', 'x{}', '_', '""', 'by', 'AS', '0', 'é'];
const UNBALANCED = ['(', ')', '[', ']', '"', "'", '`', '```', '{', '}', '\\', '$', '$x$', '<<FIELD>>', '|', '||', ',', '='];
const UNICODE = ['é', '\u200b', '😀', '\ud800', '\u0000', '\u202e', 'Ω≈ç', '\r\n', '\t'];
const COMMAND_NAMES = supportedCommands();
const ARG_PIECES = [
  'x', '_time', 'count', 'span=0', 'span=-1', 'span=99999999d', 'limit=0', 'max=-1', 'count=0', 'bins=0', 'p=0', 'window=0', 'x=1', 'field=_raw',
  '"(?<a>.)"', '"(?<a>"', '"s/a/b/"', 'mode=sed', 'by x', 'AS y', 'BY', 'count(x)', 'values(*)', 'dc(_raw)', 'sum(x) AS', '[', ']', '[| makeresults]',
  'type=outer', 'delim=""', 'tokenizer="("', 'maxevents=0', 'maxspan=0', 'start=0', 'end=-1', 'increment=0s', 'path=""', 'output=', 'prefix=', '0', '-5',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Quoted strings, words, runs of space, and single punctuation characters. */
function tokens(s: string): string[] {
  return s.match(/"(?:[^"\\]|\\.)*"?|[A-Za-z0-9_.:*@+-]+|\s+|[^\sA-Za-z0-9_]/g) ?? [];
}

function randomCommand(r: () => number): string {
  let s = ` | ${pick(r, COMMAND_NAMES)}`;
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) s += ` ${pick(r, ARG_PIECES)}`;
  return s + ' ';
}

const VALUES = ['1', '0', '-1', '1e308', '"x"', '""', '"10.0.0.1"', 'null()', 'split("a,b,c", ",")', 'mvrange(0, 5)', '"curl -k https://x"', 'now()', '"2024-10-01"'];

/**
 * The search after its first command, over events given a value for up to 8 of the names it mentions: real
 * pipelines (ESCU's start with a tstats or a data source this set lacks) then get rows to work on.
 */
function grafted(spl: string, r: () => number): string {
  const ts = tokens(spl);
  const pipe = ts.indexOf('|', ts[0] === '|' ? 1 : 0);
  if (pipe < 0) return spl;
  const names = [...new Set(ts.slice(pipe).filter((t) => /^[A-Za-z_][\w.]*$/.test(t) && !COMMAND_NAMES.includes(t)))];
  const sets: string[] = [];
  for (let i = 0; i < 8 && names.length > 0; i++) sets.push(`'${pick(r, names)}'=${pick(r, VALUES)}`);
  return `index=main | head ${1 + Math.floor(r() * 20)} | eval ${sets.length ? sets.join(', ') : 'x=1'} ${ts.slice(pipe).join('')}`;
}

export function mutate(spl: string, r: () => number): string {
  const ts = tokens(r() < 0.4 ? grafted(spl, r) : spl);
  // Mostly one change, mostly one that keeps the syntax (numbers, names, strings, an added command): a search that
  // does not parse tests only the parser, which test/spl/fuzz.test.ts covers.
  const ops = r() < 0.6 ? 1 : r() < 0.75 ? 2 : 3;
  const weights = [1, 1, 1, 5, 3, 4, 2, 1, 1, 1, 1];
  const total = weights.reduce((a, b) => a + b, 0);
  for (let o = 0; o < ops; o++) {
    if (ts.length === 0) ts.push('x');
    const at = Math.floor(r() * ts.length);
    const t = ts[at]!;
    let k = 0;
    for (let w = r() * total; k < weights.length - 1 && w >= weights[k]!; k++) w -= weights[k]!;
    if (k === 0) ts.splice(at, 1);
    else if (k === 1) ts.splice(at, 0, t);
    else if (k === 2) {
      const b = Math.floor(r() * ts.length);
      [ts[at], ts[b]] = [ts[b]!, t];
    } else if (k === 3) {
      // A number where there was one (else anywhere): counts, spans, limits, indexes.
      const nums = ts.map((x, i) => (/^-?\d/.test(x) ? i : -1)).filter((i) => i >= 0);
      ts[nums.length ? pick(r, nums) : at] = pick(r, NUMBERS);
    } else if (k === 4) {
      const strs = ts.map((x, i) => (x.startsWith('"') ? i : -1)).filter((i) => i >= 0);
      ts[strs.length ? pick(r, strs) : at] = pick(r, ['""', '"', '"\\"', `"${'a'.repeat(50_000)}"`, `"${pick(r, UNICODE)}"`, '"*"', '"%"', '"%s%d%1000000000s"']);
    } else if (k === 5) {
      const words = ts.map((x, i) => (/^[A-Za-z_]/.test(x) ? i : -1)).filter((i) => i >= 0);
      ts[words.length ? pick(r, words) : at] = pick(r, FIELDS);
    } else if (k === 6) {
      const pipes = ts.map((x, i) => (x === '|' ? i : -1)).filter((i) => i >= 0);
      ts.splice(pipes.length && r() < 0.7 ? pick(r, pipes) : ts.length, 0, randomCommand(r));
    } else if (k === 7) ts.splice(at, 0, pick(r, UNBALANCED));
    else if (k === 8) ts.splice(at, 0, pick(r, UNICODE));
    else if (k === 9) ts.splice(at, 0, r() < 0.5 ? 'x'.repeat(20_000) : `${'('.repeat(300)}`);
    else ts[at] = t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase();
  }
  return ts.join('');
}

// ---------------------------------------------------------------- the runs

let context: { base: SearchOptions; seeds: string[] } | undefined;
function setup(): NonNullable<typeof context> {
  if (context) return context;
  const pack = loadContent();
  const macros = new MacroLibrary().with(pack.macros.all());
  const seeds = [...Object.values(COMMAND_PIPELINES), ...pack.detections.map((d) => d.search)];
  if (escuCorpusPresent()) {
    for (const m of escuMacros()) macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
    for (const s of escuSearches()) {
      macros.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
      seeds.push(s.search);
    }
  }
  return (context = { base: { macros, knowledge: pack.knowledge, now: 1_700_000_100, defaultIndexes: 'all' }, seeds });
}

/** Runs `spls`, returning the crashes grouped by their class (first reproduction kept) and the outcome counts. */
async function runAll(spls: readonly string[], base: SearchOptions): Promise<{ crashes: Map<string, string>; ok: number; errors: number; rows: number; codes: Map<string, number> }> {
  const crashes = new Map<string, string>();
  const codes = new Map<string, number>();
  let ok = 0;
  let errors = 0;
  let rows = 0;
  for (let i = 0; i < spls.length; i++) {
    const out = await runOne(spls[i]!, base, i);
    rows += out.rows;
    if (out.kind === 'ok') ok++;
    else if (out.kind === 'error') {
      errors++;
      codes.set(out.detail, (codes.get(out.detail) ?? 0) + 1);
    } else if (!crashes.has(out.detail)) crashes.set(out.detail, spls[i]!.length > 600 ? `${spls[i]!.slice(0, 600)}... (${spls[i]!.length} chars)` : spls[i]!);
  }
  return { crashes, ok, errors, rows, codes };
}

function report(crashes: Map<string, string>): string {
  return [...crashes].map(([what, spl]) => `${what}\n    ${JSON.stringify(spl)}`).join('\n');
}

describe('SPL runtime fuzzing', () => {
  it('has a pipeline for every command', () => {
    expect(COMMAND_NAMES.filter((c) => !(c in COMMAND_PIPELINES))).toEqual([]);
  });

  it('runs every command pipeline unmutated without a crash', async () => {
    const { base } = setup();
    const { crashes } = await runAll(Object.values(COMMAND_PIPELINES), base);
    expect(report(crashes)).toBe('');
  }, 60_000);

  it(`runs ${RUNS} mutated real searches (seed ${SEED}) without a crash`, async () => {
    const { base, seeds } = setup();
    const r = rng(SEED);
    const spls: string[] = [];
    for (let i = 0; i < RUNS; i++) spls.push(mutate(i % 3 === 0 ? pick(r, Object.values(COMMAND_PIPELINES)) : pick(r, seeds), r));
    const { crashes, ok, errors, rows, codes } = await runAll(spls, base);
    if (process.env['VIGIL_FUZZ_VERBOSE']) console.log({ ok, errors, rows, codes: Object.fromEntries(codes) });
    expect(report(crashes)).toBe('');
    // A fuzzer that only ever fails (or only passes) proves nothing.
    expect(ok).toBeGreaterThan(RUNS / 20);
    expect(errors).toBeGreaterThan(RUNS / 20);
  }, 300_000);

  it('takes a 40,000-character word or string in every place of every command pipeline', async () => {
    const { base } = setup();
    const long = 'a'.repeat(40_000);
    const spls: string[] = [];
    for (const spl of Object.values(COMMAND_PIPELINES)) {
      const ts = tokens(spl);
      ts.forEach((t, i) => {
        if (!/^["A-Za-z_]/.test(t)) return;
        const swap = (x: string): string => [...ts.slice(0, i), x, ...ts.slice(i + 1)].join('');
        // Plain and with wildcards, alternately (both everywhere doubled the time for no class of failure more).
        const wild = spls.length % 2 === 1;
        spls.push(swap(t.startsWith('"') ? (wild ? `"*${long}*"` : `"${long}"`) : wild ? `${long}*` : long));
      });
    }
    const { crashes } = await runAll(spls, base);
    expect(report(crashes)).toBe('');
  }, 300_000);

  it('calls every eval function with wrong arities and types without a crash', async () => {
    const { base } = setup();
    const r = rng(SEED + 1);
    const ARGS = [
      '1', '-1', '0', '1.5e308', '"x"', '""', '"NaN"', '"1e999"', 'null()', 'true()', 'false()', 'mv', 'n', 's', 'nope', '_time', '_raw',
      '"%Y-%m-%d %H:%M:%S"', '"(?<a>x)"', '"("', '"$.a"', '"{\\"a\\":[1,2]}"', '"10.0.0.0/8"', '"::1"', '"😀\ud800"', '-0.5', '99999999999', 'mvappend(1,"a",null())',
    ];
    const spls: string[] = [];
    for (const f of EVAL_FUNCTIONS.values()) {
      const arities = new Set([0, Math.max(0, f.minArgs - 1), f.minArgs, Math.min(f.maxArgs, f.minArgs + 3), Math.min(f.maxArgs, 8) + 1]);
      for (const n of arities) {
        for (let k = 0; k < Math.max(3, Math.round(RUNS / 500)); k++) {
          const args = Array.from({ length: n }, () => pick(r, ARGS)).join(', ');
          spls.push(`| makeresults count=2 | eval mv=split("a,b,,c", ","), n=1700000000, s="10.1.2.3" | eval r=${f.name}(${args}) | where isnull(r) OR isnotnull(r)`);
        }
      }
    }
    const { crashes, ok, errors } = await runAll(spls, base);
    expect(report(crashes)).toBe('');
    expect(ok).toBeGreaterThan(0);
    expect(errors).toBeGreaterThan(0);
  }, 300_000);

  it('runs every stats function over odd values in every command that aggregates, without a crash', async () => {
    const { base } = setup();
    const r = rng(SEED + 2);
    const rows = '| makeresults count=7 | streamstats count as n | eval v=case(n=1, 1e308, n=2, -1e308, n=3, "x", n=4, split("1,b", ","), n=5, 0/0, n=6, "", true(), null()), k=n%2';
    const spls: string[] = [];
    for (const name of AGGREGATIONS.keys()) {
      const calls = [`${name}(v)`, `${name}`, `${name}(*)`, `${name}(eval(v*2))`, `${name}(nope)`, `${name}(_time)`, `${name}(v) AS`, `${name}(v, v)`];
      for (const cmd of ['stats', 'eventstats', 'streamstats window=2', 'chart', 'timechart span=1h', 'tstats']) {
        for (const call of calls) spls.push(`${rows} | ${cmd} ${call}${r() < 0.5 ? ' by k' : ''}`);
      }
    }
    const { crashes, ok, errors } = await runAll(spls, base);
    expect(report(crashes)).toBe('');
    expect(ok).toBeGreaterThan(spls.length / 10);
    expect(errors).toBeGreaterThan(0);
  }, 300_000);

  it('takes hostile regexes to rex, regex, match and replace: refused at a position, or run over short text', async () => {
    const { base } = setup();
    const PATTERNS = [
      '(a+)+$', '(a|a)*b', '(.*)*x', '((a*)*)*c', '(?<n>a)\\\\k<n>', '\\\\1(a)', '(?<n>', '[', '[z-a]', '(?R)', '\\\\K', '(?<=a+)b', '(?(1)a|b)',
      '(*FAIL)', 'a{2,1}', 'a{99999999}', 'x**', '(?<a>.)(?<a>.)', '\\\\p{Nope}', '(?i', ')', '\\\\', '',
    ];
    const spls: string[] = [];
    for (const p of PATTERNS) {
      const input = '| makeresults | eval v="aaaaaaaaaaaaaaaa!"';
      spls.push(`${input} | rex field=v "${p}"`, `${input} | regex v="${p}"`, `${input} | eval m=match(v, "${p}"), r=replace(v, "${p}", "z")`);
      spls.push(`${input} | eval p="${p}" | eval m=match(v, p), r=replace(v, p, "z")`, `${input} | rex field=v mode=sed "s/${p}/z/g"`, `${input} | makemv tokenizer="${p}" v`);
    }
    const { crashes } = await runAll(spls, base);
    expect(report(crashes)).toBe('');
  }, 120_000);
});
