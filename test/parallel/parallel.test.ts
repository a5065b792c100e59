import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { runDetections } from '../../src/detections/run.js';
import type { Result } from '../../src/events/result.js';
import { VigilError } from '../../src/errors.js';
import { autoWorkers, runFilesInParallel, type ParallelOptions } from '../../src/parallel/run.js';
import { parallelOptions } from './helpers.js';
import { joinRest, partitionSource } from '../../src/parallel/sources.js';
import { filePartitions } from '../../src/sources/file-partitions.js';
import { FileSource, type FileSourceOptions, type FilterMemo, type LineIssue } from '../../src/sources/file.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { plan, type SearchPlan } from '../../src/spl/index.js';
import { SplError } from '../../src/spl/source.js';

// The benchmark's generator: Tetragon exports as hard as real ones (a module without types).
const GENERATOR = '../../bench/generate.mjs';
const { tetragonEvents } = (await import(GENERATOR)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

const NOW = 1795200000;
const pack = loadContent();
const dir = mkdtempSync(join(tmpdir(), 'vigil-parallel-'));

/**
 * Lines as real exports and hostile inputs give them: generated Tetragon events (exec/exit pairs, kprobes,
 * connects, the pack's detections), then a time-less first line, CRLF endings, blank and whitespace lines,
 * multibyte UTF-8 (a partition boundary is put inside one), malformed lines, equal times out of order.
 */
function corpus(count: number, seed: number): { lines: string[]; multibyteAt: number } {
  const lines: string[] = [];
  const first = { process_exec: { process: { binary: '/bin/true', arguments: 'no time', pod: { name: 'pod-notime' } } }, node_name: 'node-0' };
  lines.push(JSON.stringify(first));
  let i = 0;
  for (const ev of tetragonEvents(count, { seed })) {
    let text = JSON.stringify(ev);
    // Events sharing a second with an earlier one, out of file order: search order is decided by arrival.
    if (i % 97 === 5) text = text.replace(/"time":"[^"]*"/, '"time":"2026-11-20T13:00:00Z"');
    if (i % 31 === 7) text = text.replace('"node_name":"', '"node_name":"nœud-ü-');
    if (i % 13 === 0) text += '\r';
    lines.push(text);
    if (i % 211 === 3) lines.push('');
    if (i % 307 === 11) lines.push('   \t');
    if (i % 401 === 17) lines.push('{"truncated": ');
    if (i % 503 === 19) lines.push('["not", "an", "object"]');
    i++;
  }
  const text = lines.join('\n');
  const at = Buffer.from(text).indexOf(Buffer.from('œ'));
  return { lines, multibyteAt: at };
}

let plain: string;
let tail: string;
let gz: string;
let multibyteAt: number;

beforeAll(() => {
  const a = corpus(2500, 3);
  plain = join(dir, 'a.jsonl');
  writeFileSync(plain, a.lines.join('\n') + '\n');
  multibyteAt = a.multibyteAt;
  // No trailing newline.
  tail = join(dir, 'b.jsonl');
  writeFileSync(tail, corpus(700, 4).lines.join('\n'));
  gz = join(dir, 'c.jsonl.gz');
  writeFileSync(gz, gzipSync(corpus(600, 5).lines.join('\n') + '\n'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  rows: [string, unknown][][][];
  issues: LineIssue[];
}

const shape = (rows: readonly Result[]) => rows.map((r) => r.fieldNames().map((f): [string, unknown] => [f, r.get(f)]));

function plans(searches: readonly string[], sourceNewestFirst = false): SearchPlan[] {
  return searches.map((s) => plan(s, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, tz: 'UTC', sourceNewestFirst }));
}

async function oneThread(searches: readonly string[], paths: readonly string[]): Promise<Run> {
  const issues: LineIssue[] = [];
  const sinks = searches.map(() => new CollectSink());
  const options: FileSourceOptions = { now: NOW, defaultHost: 'host-0', onMalformed: (m) => issues.push(m), onWarning: (w) => issues.push(w) };
  await executeMany(plans(searches), sinks, { source: new FileSource(paths, options), now: NOW, tz: 'UTC', lookups: pack.lookups });
  return { rows: sinks.map((s) => shape(s.rows)), issues };
}

async function threads(searches: readonly string[], paths: readonly string[], opts: Partial<ParallelOptions>): Promise<Run | null> {
  const issues: LineIssue[] = [];
  const sinks = searches.map(() => new CollectSink());
  const options: FileSourceOptions = { now: NOW, defaultHost: 'host-0', onMalformed: (m) => issues.push(m), onWarning: (w) => issues.push(w) };
  const stats = await runFilesInParallel(plans(searches), sinks, { paths, options }, parallelOptions(pack.lookups, NOW, opts));
  if (stats === null) return null;
  expect(stats.map((s) => s.results)).toEqual(sinks.map((s) => s.rows.length));
  return { rows: sinks.map((s) => shape(s.rows)), issues };
}

const AGGREGATIONS = [
  // Every mergeable function, BY fields that are missing on some events and multivalued on others.
  `* | eval mv=if(process_id % 3 == 0, split(process_name, "s"), process_name), n=process_id / 7
     | stats count c(process) AS cp dc(process_name) estdc(pod_name) values(process_name) min(_time) max(_time) min(process) max(process)
             sum(n) avg(n) mean(process_id) range(n) var(n) varp(n) stdev(n) stdevp(n) sumsq(n) median(n) perc90(n) p10(process_id) exactperc99.5(n) upperperc1(n)
             mode(process_name) earliest_time(_time) latest_time(_time) by pod_name mv`,
  `* | eval len=len(process) | where len > 10 | rex field=process "^(?<first>\\S+)" | rename first AS f, node_name AS node | stats count values(node) by f`,
  '* | bin _time span=5m | stats count dc(process_exec) by _time',
  '* | stats count',
  'nomatchanywhere | stats count sum(x) values(x)',
  '* | stats count by nosuchfield',
  '`cisco_isovalent_process_exec` process_name=curl | stats count by parent_process_name, process_name | sort - count | head 5',
  '| tstats count dc(Processes.process) values(Processes.process_name) min(_time) from datamodel=Endpoint.Processes by Processes.dest Processes.user',
  '| tstats count where index=* by sourcetype, _time span=10m',
  // `by _time` without span=: the span comes from all the data, so tstats runs after the merge.
  '| tstats count from datamodel=Endpoint.Processes by _time',
];
const ROWS = [
  '`cisco_isovalent_process_exec` process_name=curl | table _time process pod_name node_name',
  '* process_name=sh | eval x=1',
  '* | fields _time process_name',
  '* | eval m=split(process_name, "a") | mvexpand m | table _time m',
];
const ORDERED = [
  '* | head 5',
  '* | eval x=1 | tail 3',
  '* | dedup process_name | table process_name _time',
  '* | streamstats count by node_name | table _time node_name count',
  '* | stats first(process) last(process) list(process_name) earliest(process) latest(process) mode(process_id) by node_name',
  '* | sort - process_id | head 10',
  '* | eventstats count AS n by pod_name | stats count by pod_name n',
];
const CORPUS = [...AGGREGATIONS, ...ROWS, ...ORDERED];

describe('a search split over partitions on several threads', () => {
  it('gives the one-thread results and line issues, whatever the partitions', async () => {
    const paths = [plain, tail, gz];
    const want = await oneThread(CORPUS, paths);
    expect(CORPUS.filter((_, i) => want.rows[i]!.length === 0)).toEqual(['* | stats count by nosuchfield']);
    expect(want.issues.length).toBeGreaterThan(10);
    // A cut inside a multibyte character (the first partition ends after that line), small and large partitions.
    // 'auto': an input this small is not worth a worker, this thread runs every partition (on a machine with a core to
    // spare for V8 beside a worker; else the run stays on the one-thread path: null); 'none': this thread reads each
    // file's ranges in one go.
    for (const [threadCount, partitionBytes, workers] of [
      [2, multibyteAt + 2, 'always'],
      [2, 40_000, 'always'],
      [4, 9_000, 'always'],
      [3, 700_000, 'always'],
      [2, 100_000, 'auto'],
      [2, 100_000, 'none'],
    ] as const) {
      const got = await threads(CORPUS, paths, { threads: threadCount, partitionBytes, workers });
      if (workers === 'auto' && autoWorkers(threadCount) === 0) {
        expect(got).toBeNull();
        continue;
      }
      expect(got, `threads ${threadCount}, partitions of ${partitionBytes} bytes`).not.toBeNull();
      for (let i = 0; i < CORPUS.length; i++) expect(got!.rows[i], `${CORPUS[i]} (threads ${threadCount}, partitions of ${partitionBytes} bytes)`).toEqual(want.rows[i]);
      expect(got!.issues).toEqual(want.issues);
    }
  }, 120_000);

  it('runs a lone search on workers only as on one thread', async () => {
    for (const s of [AGGREGATIONS[0]!, ROWS[0]!, ORDERED[2]!]) {
      const want = await oneThread([s], [plain]);
      const got = await threads([s], [plain], { threads: 2, workers: 'only', partitionBytes: 250_000 });
      expect(got!.rows).toEqual(want.rows);
      expect(got!.issues).toEqual(want.issues);
    }
  }, 60_000);

  it('runs the bundled detections as one pass does', async () => {
    const detections = pack.detections.filter((d) => d.type !== 'Correlation');
    const source = new FileSource([plain, gz], { now: NOW, defaultHost: 'host-0' });
    const run = (parallel?: Parameters<typeof runDetections>[2]['parallel']) =>
      runDetections(pack, detections, { source, now: NOW, tz: 'UTC', earliest: null, latest: null, ...(parallel ? { parallel } : {}) });
    const want = await run();
    expect(want.filter((r) => r.results.length > 0).length).toBeGreaterThan(3);
    for (const n of [2, 4]) {
      const got = await run((ps, outs) =>
        runFilesInParallel(ps, outs, { paths: [plain, gz], options: { now: NOW, defaultHost: 'host-0' } }, parallelOptions(pack.lookups, NOW, { threads: n, partitionBytes: 300_000 })),
      );
      got.forEach((r, i) => expect(shape(r.results), r.detection.name).toEqual(shape(want[i]!.results)));
      expect(got.map((r) => r.stats.eventsMatched)).toEqual(want.map((r) => r.stats.eventsMatched));
    }
  }, 120_000);

  it('starts over on one thread when a time-less event takes its time from another partition', async () => {
    const lines = corpus(400, 9).lines;
    const cut = Math.floor(lines.length / 2);
    lines[cut] = JSON.stringify({ process_exec: { process: { binary: '/bin/true', pod: { name: 'p' } } }, node_name: 'n' });
    const file = join(dir, 'timeless.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const at = Buffer.byteLength(lines.slice(0, cut).join('\n') + '\n');
    // The cut lands right before the time-less line.
    expect(await threads(['* | stats count'], [file], { partitionBytes: at })).toBeNull();
  });

  it('joins the contiguous partitions of a thread left alone: one file\'s ranges, not across files or gzip', () => {
    const part = (input: number, start: number, end: number, gzip = false) => ({ path: `f${input}`, input, start, end, gzip });
    const files = { kind: 'files' as const, options: {}, partitions: [part(0, 0, 10), part(0, 10, 20), part(0, 20, 25), part(1, 0, 9), part(2, 0, 5, true), part(3, 0, 4)] };
    expect(joinRest(files, 0).last).toBe(2);
    expect(joinRest(files, 0).input.partitions[0]).toEqual(part(0, 0, 25));
    expect(joinRest(files, 3).last).toBe(3);
    expect(joinRest(files, 4).last).toBe(4);
    const store = { kind: 'store' as const, store: { type: 'sqlite' as const, dataDir: 'd' }, partitions: [{ lo: 30, hi: null }, { lo: 20, hi: 30 }, { lo: null, hi: 20 }] };
    expect(joinRest(store, 1)).toEqual({ last: 2, input: { ...store, partitions: [store.partitions[0], { lo: null, hi: 30 }, store.partitions[2]] } });
  });

  it("compiles a search's filter once per thread: the partitions after the first reuse it, with the same events", async () => {
    const request = plan('sourcetype="cisco:isovalent:processExec" process_name IN ("sh", "curl") | table _time process', { now: NOW, tz: 'UTC' }).scan;
    expect(request.raw).not.toBeNull();
    const partitions = (await filePartitions([plain], 1 << 16))!;
    expect(partitions.length).toBeGreaterThan(2);
    const input = { kind: 'files' as const, options: { now: NOW, defaultHost: 'host-0' }, partitions };
    const read = async (filters: FilterMemo): Promise<string[]> => {
      const raws: string[] = [];
      for (let p = 0; p < partitions.length; p++) {
        for await (const batch of partitionSource(input, p, () => {}, null, filters).scan(request)) for (const e of batch) raws.push(`${e._time} ${e._raw}`);
      }
      return raws;
    };
    const memo: FilterMemo = new Map();
    const once = await read(memo);
    expect(memo.size).toBe(1);
    const compiled = [...memo.values()][0];
    // Each partition on its own memo: compiled on its own sample, as before the memo.
    const each: string[] = [];
    for (let p = 0; p < partitions.length; p++) {
      for await (const batch of partitionSource(input, p, () => {}, null, new Map()).scan(request)) for (const e of batch) each.push(`${e._time} ${e._raw}`);
    }
    expect(once).toEqual(each);
    expect(once.length).toBeGreaterThan(50);
    await read(memo);
    expect([...memo.values()][0]).toBe(compiled);
  });

  it("warns as one pass does: a row's pattern it cannot run, the first in search order, once", async () => {
    // Every seventh event's pattern is bad and names its process id: each partition meets a different first one.
    const searches = ['* | eval p=if(process_id % 7 == 0, "(" . process_id, "x") | where match(process, p) | stats count', '* | eval p="(" . process_id | where match(process, p) | head 3'];
    const warnings = async (threadCount: number): Promise<string[]> => {
      const said: string[] = [];
      const onWarning = (i: number, m: string, at?: { start: number }) => said.push(`${i} ${m} @${at?.start}`);
      const sinks = searches.map(() => new CollectSink());
      const options: FileSourceOptions = { now: NOW, defaultHost: 'host-0' };
      if (threadCount === 1) await executeMany(plans(searches), sinks, { source: new FileSource([plain, gz], options), now: NOW, tz: 'UTC', lookups: pack.lookups, onWarning });
      else expect(await runFilesInParallel(plans(searches), sinks, { paths: [plain, gz], options }, parallelOptions(pack.lookups, NOW, { threads: threadCount, workers: 'only', partitionBytes: 60_000, onWarning }))).not.toBeNull();
      return said;
    };
    const want = await warnings(1);
    expect(want).toHaveLength(2);
    expect(want.map((w) => w[0]).sort()).toEqual(['0', '1']);
    for (const w of want) expect(w).toMatch(/match\(\) is null where a row's pattern cannot be run .*pattern: "\(\d+"/);
    expect(await warnings(3)).toEqual(want);
  }, 60_000);

  it("reports the lines a search's filter skips as one pass does: each range of a file filters as its start's sample says", async () => {
    // The first window holds no curl (the filter is worth testing), the rest little else (not worth it: a range
    // sampling there parsed every line and reported the object-shaped malformed ones the filter skips).
    const curl = readFileSync('attack_data/datasets/cisco_isovalent/cisco_isovalent.log', 'utf8').split('\n').find((l) => l.includes('curl'))!;
    const lines = corpus(150, 12).lines.filter((l) => !l.includes('curl'));
    for (let i = 0; i < 1500; i++) lines.push(i % 40 === 7 ? '{"bad": }' : curl.replace('"pid":', `"pid":${i + 1}`));
    const file = join(dir, 'curl.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const search = ['curl | stats count'];
    const want = await oneThread(search, [file]);
    expect(want.rows[0]).toEqual([[['count', 1500 - 38]]]);
    const got = await threads(search, [file], { workers: 'only', partitionBytes: 200_000 });
    expect(got!.rows).toEqual(want.rows);
    expect(got!.issues).toEqual(want.issues);
  }, 60_000);

  it('leaves small inputs and stdin to one thread', async () => {
    expect(await threads(['* | stats count'], [plain], { minBytes: 1 << 30 })).toBeNull();
    expect(await threads(['* | stats count'], ['-', plain], {})).toBeNull();
    expect(await threads(['* | stats count'], [plain], { threads: 1 })).toBeNull();
  });

  it('starts over on one thread when a search fails over files: that pass says the line issues before the failure', async () => {
    const bad = join(dir, 'bad.jsonl.gz');
    const good = gzipSync(readFileSync(plain));
    // Past the header, corrupt deflate data.
    writeFileSync(bad, Buffer.concat([good.subarray(0, 200), Buffer.alloc(5000, 0x55)]));
    // A bad input, and a value too long to hold made by the events of the second half of a file.
    const late = (await oneThread(['* | stats max(_time) AS t'], [plain])).rows[0]![0]![0]![1] as number;
    for (const [search, paths] of [
      ['* | stats count', [plain, bad, gz]],
      [`* | eval x=if(_time >= ${late}, printf("%1000000000d", 1), "a") | stats count by x`, [plain, tail]],
    ] as const) {
      const single = await oneThread([search], paths).catch((e: unknown) => e);
      expect(single).toBeInstanceOf(VigilError);
      const issues: LineIssue[] = [];
      const options: FileSourceOptions = { now: NOW, defaultHost: 'host-0', onMalformed: (m) => issues.push(m), onWarning: (w) => issues.push(w) };
      const parallel = await runFilesInParallel(plans([search]), [new CollectSink()], { paths, options }, parallelOptions(pack.lookups, NOW, { workers: 'only', partitionBytes: 60_000 }));
      expect(parallel, search).toBeNull();
      expect(issues).toEqual([]);
    }
    unlinkSync(bad);
  });

  it('raises static errors before any worker starts, with the search position', async () => {
    const e = await threads(['* | eval x=len(1, 2)'], [plain], {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SplError);
    expect((e as SplError).format()).toContain('^');
  });

  it('stops its workers when cancelled', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const run = threads(['* | stats count by process'], [plain, tail, gz], { workers: 'only', partitionBytes: 20_000, signal: ac.signal, onProgress: () => ac.abort(new Error('stop')) });
    await expect(run).rejects.toThrow('stop');
    expect(performance.now() - started).toBeLessThan(60_000);
  });
});
