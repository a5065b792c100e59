import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import { InProcessExecutor } from '../../src/schedule/executor.js';
import { compilePrefix, MatchIndex } from '../../src/schedule/incremental.js';
import { runMerged, runProjected, type MatchProjection } from '../../src/schedule/projection.js';
import { toObject, type Result } from '../../src/events/result.js';
import { expandMacros } from '../../src/spl/macros/macros.js';
import { rowsText } from '../helpers.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings, type ScheduleSettings } from '../../src/schedule/settings.js';
import { plan, runSearch } from '../../src/spl/index.js';
import { MemorySource } from '../../src/sources/memory.js';
import { datasetEvents, FakeClock, MemoryStore } from './fakes.js';

const pack = loadContent();
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;
const H = 3600;

const ALL = datasetEvents(
  'datasets/cisco_isovalent/cisco_isovalent.log',
  'datasets/cisco_isovalent/kprobe_spike.log',
  'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log',
  'datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log',
  'datasets/attack_techniques/T1552.005/isovalent_cloud_metadata/process_connect.log',
);

/** `rowsPerGroup` 0: runs merge the partial states of their stats whenever the window allows. */
function world(settings: Partial<ScheduleSettings>, incremental: boolean, rowsPerGroup?: number) {
  const store = new MemoryStore();
  const clock = new FakeClock(T0 - 0.5 * H);
  const full = { ...scheduleSettings(undefined, undefined), ...settings };
  const index = incremental ? new MatchIndex(-Infinity, 6 * H, undefined, rowsPerGroup) : undefined;
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => pack),
    clock,
    settings: full,
    alerts: null,
    ...(index ? { matchIndex: index } : {}),
  });
  return { store, clock, scheduler, index };
}

/** Ingest as the collector does: commit, then let the index observe the batch. */
function ingest(w: ReturnType<typeof world>, evs: Event[]) {
  const firstSeq = w.store.append(evs);
  w.index?.observe(evs, firstSeq);
}

const ledger = async (s: MemoryStore) => (await s.runs()).map((r) => `${r.detectionName}@${r.scheduledTime}:${r.mode}:${r.status}:${r.resultCount}/${r.riskEventCount}/${r.findingCount}`);
const outputs = (s: MemoryStore) => s.events.filter((e) => e.index !== 'main').map((e) => e._raw).sort();

describe('incremental evaluation', () => {
  it('compiles the filter prefix of each bundled detection (or declines)', () => {
    const seed = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
    const p = compilePrefix(seed, pack, 'UTC')!;
    expect(p.text).toContain('| regex process=');
    expect(p.text).not.toContain('stats');
    const curlK = ALL.find((e) => e._raw.includes('-sSLk'))!;
    const curlS = ALL.find((e) => e._raw.includes('"-s https://k8s.io/"'))!;
    expect(p.accepts(curlK)).toBe(true);
    expect(p.accepts(curlS)).toBe(false);
    const rule = pack.detections.find((d) => d.type === 'Correlation')!;
    expect(compilePrefix(rule, pack, 'UTC')).toBeNull(); // reads index=risk, which the scheduler writes itself
    // Time windows under OR test _time against times resolved at the run's now: no prefix (the run scans).
    const windows = { ...seed, search: seed.search.replace('|', '((earliest=-2h latest=-1h) OR (earliest=-30m)) |') };
    expect(plan(windows.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: T0, tz: 'UTC' }).timeWindows).toBe(true);
    expect(compilePrefix(windows, pack, 'UTC')).toBeNull();
    expect(compilePrefix({ ...seed, search: seed.search.replace('|', 'earliest=-2h |') }, pack, 'UTC')).not.toBeNull();
    // So does a later search's earliest= (a filter on _time by the run's now): no prefix either.
    const later = { ...seed, search: seed.search.replace('|', '| search earliest=-2h |') };
    expect(plan(later.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: T0, tz: 'UTC' }).timeWindows).toBe(true);
    expect(compilePrefix(later, pack, 'UTC')).toBeNull();
  });

  it('gives exactly the scheduled runs of full scans, for the whole pack and the risk rules', async () => {
    const inc = world({}, true);
    const merged = world({}, true, 0);
    const full = world({}, false);
    for (const w of [inc, merged, full]) {
      await w.scheduler.runDue(); // first sight at 09:30
      w.index?.setDetections(w.scheduler.enabledDetections(), pack, 'UTC');
      ingest(w, ALL);
      for (let m = 15; m <= 5 * 60; m += 15) {
        w.clock.t = T0 - 0.5 * H + m * 60;
        await w.scheduler.runDue();
      }
    }
    expect(inc.index!.stats().matches).toBeGreaterThan(0);
    expect(inc.index!.stats().matches).toBeLessThan(ALL.length * 8);
    expect(await ledger(inc.store)).toEqual(await ledger(full.store));
    expect(outputs(inc.store)).toEqual(outputs(full.store));
    expect(await ledger(merged.store)).toEqual(await ledger(full.store));
    expect(outputs(merged.store)).toEqual(outputs(full.store));
    expect((await inc.store.findings()).length).toBeGreaterThan(0);
  });

  it('restarts a detection’s coverage when a macro its prefix uses changes (its search text unchanged)', () => {
    const seed = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
    const index = new MatchIndex(-Infinity, 6 * H);
    index.setDetections([seed], pack, 'UTC');
    index.observe(ALL, 1);
    const newest = Math.max(...ALL.map((e) => e._time));
    expect(index.covers(seed.id, T0 - H)).toBe(true);
    index.setDetections([seed], pack, 'UTC'); // nothing changed: coverage kept
    expect(index.covers(seed.id, T0 - H)).toBe(true);
    const edited = pack.macros.with([{ name: 'cisco_isovalent_process_exec', args: [], definition: 'sourcetype="cisco:isovalent:processExec" host=*' }]);
    index.setDetections([seed], { ...pack, macros: edited }, 'UTC');
    expect(index.covers(seed.id, T0 - H)).toBe(false);
    expect(index.covers(seed.id, newest + 1)).toBe(true);
  });

  it('stops covering windows whose matches were pruned (an event dated past the horizon, a backfill of an old window)', () => {
    const seed = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
    const index = new MatchIndex(-Infinity, 6 * H);
    index.setDetections([seed], pack, 'UTC');
    index.observe(ALL, 1);
    const lo = Math.min(...ALL.map((e) => e._time));
    const hi = Math.max(...ALL.map((e) => e._time)) + 1;
    const found = index.matches(seed.id, lo, hi).length;
    expect(found).toBeGreaterThan(0);
    // One event dated a day ahead (a node's clock off, hostile input): the horizon moves past every match.
    const ahead = { ...ALL[0]!, _time: hi + 24 * H };
    index.observe([ahead], ALL.length + 1);
    index.prune();
    // The run must not be served from the (now empty) matches: it scans and finds what it found before.
    expect(index.covers(seed.id, lo)).toBe(false);
    expect(index.covers(seed.id, hi + 24 * H - 6 * H + 1)).toBe(true);
  });

  it('falls back to a full scan for windows that predate the index', async () => {
    const w = world({ enable: ['Cisco Isovalent - Curl Execution With Insecure Flags'] }, false);
    w.store.append(ALL); // already stored before the index started
    const index = new MatchIndex(T0 + 1000, 6 * H); // newest stored event time at start
    index.setDetections(w.scheduler.enabledDetections(), pack, 'UTC');
    expect(index.covers(pack.detections.find((d) => d.name.includes('Curl'))!.id, T0 - 600)).toBe(false);
    expect(index.covers(pack.detections.find((d) => d.name.includes('Curl'))!.id, T0 + 1001)).toBe(true);
  });
});

describe('kept rows (projections)', () => {
  const lo = Math.min(...ALL.map((e) => e._time));
  const hi = Math.max(...ALL.map((e) => e._time)) + 1;
  const opts = { lookups: pack.lookups, knowledge: pack.knowledge, now: hi, tz: 'UTC', earliest: lo - 1, latest: hi, defaultIndexes: ['main'] };
  const project = (search: string, p: MatchProjection): Result[] | null => {
    const rows: Result[] = [];
    return runProjected(search, p, opts, { push: (r) => void rows.push(r), end: () => {} }) === null ? null : rows;
  };
  const scan = async (search: string): Promise<Result[]> => (await runSearch(search, { ...opts, source: new MemorySource(ALL) })).results;
  /** A detection of our own, through the same path as the content's. */
  const custom = (name: string, search: string) => ({ id: name, name, search });

  it('run every bundled detection from the rows kept at ingest, exactly as a scan of the events', async () => {
    const index = new MatchIndex(-Infinity, 6 * H);
    const detections = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent'));
    index.setDetections(detections, pack, 'UTC');
    index.observe(ALL, 1);
    expect(index.stats().projectedRows).toBeGreaterThan(0);
    let served = 0;
    for (const d of detections) {
      const m = (await index.lookup(d.id, lo - 1, hi))!;
      const search = expandMacros(d.search, pack.macros).text;
      const got = m.projection ? project(search, m.projection) : null;
      if (got === null) continue;
      served++;
      expect(rowsText(got), d.name).toEqual(rowsText(await scan(search)));
    }
    expect(served).toBe(detections.length);
  });

  it('merge the partial states of a stats kept per minute, for a window of whole minutes, exactly as a scan', async () => {
    // Whatever their number: here groups are nearly as many as rows, which would otherwise serve the runs.
    const index = new MatchIndex(-Infinity, 6 * H, undefined, 0);
    const detections = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent'));
    index.setDetections(detections, pack, 'UTC');
    index.observe(ALL, 1);
    const e = Math.floor(lo / 60) * 60;
    const l = Math.ceil(hi / 60) * 60 + 60;
    const whole = { ...opts, earliest: e, latest: l };
    let merged = 0;
    for (const d of detections) {
      const m = (await index.lookup(d.id, e, l))!;
      const search = expandMacros(d.search, pack.macros).text;
      const want = rowsText((await runSearch(search, { ...whole, source: new MemorySource(ALL) })).results);
      if (m.partials === null) {
        // No stats after the prefix (Late Process Execution ends in a table): the rows serve it.
        expect(m.projection, d.name).not.toBeNull();
        continue;
      }
      const rows: Result[] = [];
      expect(runMerged(search, m.partials, whole, { push: (r) => void rows.push(r), end: () => {} }), d.name).not.toBeNull();
      expect(rowsText(rows), d.name).toEqual(want);
      merged++;
      // Not on whole minutes: no states, and states taken for another window are refused.
      expect((await index.lookup(d.id, e + 1, l))!.partials).toBeNull();
      expect(runMerged(search, m.partials, { ...whole, latest: l - 60 }, { push: () => {}, end: () => {} })).toBeNull();
    }
    expect(merged).toBe(detections.length - 1);
  });

  it('keep the rows an mvexpand makes, in order, and a table’s whole', async () => {
    const index = new MatchIndex(-Infinity, 6 * H);
    const searches = [
      custom('mv', 'sourcetype="cisco:isovalent:processExec" | eval part=split(process, " ") | mvexpand part | stats list(part) as parts count by process_name'),
      custom('table', 'sourcetype="cisco:isovalent:processExec" process_name=sh | table _time process pod_name | eval n=len(process)'),
      custom('first', 'sourcetype="cisco:isovalent:processExec" | stats first(process) as p latest(_time) as t by node_name'),
    ];
    index.setDetections(searches, pack, 'UTC');
    index.observe(ALL, 1);
    for (const d of searches) {
      const m = (await index.lookup(d.id, lo - 1, hi))!;
      const got = project(d.search, m.projection!);
      expect(got, d.name).not.toBeNull();
      expect(rowsText(got!), d.name).toEqual(rowsText(await scan(d.search)));
    }
  });

  it('feed a stats from the kept columns exactly as a scan feeds it the events (groups, their values, their order)', async () => {
    const exec = 'sourcetype="cisco:isovalent:processExec"';
    const searches = [
      // Integers (their own texts), fractions, texts; several BY fields, some rows missing one.
      `${exec} | eval n=len(process) | stats count min(_time) as first values(process_name) as names by n node_name`,
      `${exec} | eval f=len(process)/7 | stats count by f`,
      `${exec} | eval y=if(len(process)%2==0, process_name, null()) | stats count dc(process) as d by y node_name`,
      // 1 and "1" are one group, shown as its first row's value; 0.1+0.2 and 0.3 share a text, not a number.
      `${exec} | eval k=if(len(process)%2==0, 1, "1") | stats count by k`,
      `${exec} | eval g=if(len(process)%2==0, 0.1+0.2, 0.3) | stats count by g`,
      // Equal numbers written differently, and numbers mixed with texts: stats' own sort decides.
      `${exec} | eval m=if(len(process_name)%2==0, "0" . tostring(len(process)), len(process)) | stats count by m`,
      `${exec} | eval x=if(len(process)%2==0, process_name, len(process)) | stats count by x`,
      // A multivalue BY field, no BY at all, an eval inside a function, names given twice, commands after.
      `${exec} | eval parts=split(process, " ") | stats count by parts`,
      `${exec} | stats count dc(process_name) as d`,
      `${exec} process_name=nothing-like-this | stats count`,
      `${exec} | stats count(eval(len(process)>20)) as long by process_name`,
      `${exec} | stats count as n max(_time) as n by process_name`,
      `${exec} | stats count by process_name node_name | eval c2=count*2 | where c2 > 2 | rename count as n | fields - node_name`,
    ];
    const index = new MatchIndex(-Infinity, 6 * H);
    const detections = searches.map((q, i) => custom(`s${i}`, q));
    index.setDetections(detections, pack, 'UTC');
    index.observe(ALL, 1);
    const exact = (rows: readonly Result[]) => rows.map((r) => JSON.stringify(toObject(r)));
    for (const d of detections) {
      const m = (await index.lookup(d.id, lo - 1, hi))!;
      const got = project(d.search, m.projection!);
      expect(got, d.search).not.toBeNull();
      const want = exact(await scan(d.search));
      expect(exact(got!), d.search).toEqual(want);
      expect(want.length, d.search).toBeGreaterThan(0);
    }
  });

  it('find a window’s matches and rows alike whether events arrived in time order or not', async () => {
    const d = custom('exec', 'sourcetype="cisco:isovalent:processExec" | stats count by process_name node_name');
    const sorted = [...ALL].sort((a, b) => a._time - b._time);
    const inOrder = new MatchIndex(-Infinity, 6 * H);
    const late = new MatchIndex(-Infinity, 6 * H);
    for (const index of [inOrder, late]) {
      index.setDetections([d], pack, 'UTC');
      index.observe(sorted, 1);
    }
    // An event older than all others arrives last: its index can no longer take a window as one range.
    const old = sorted.find((e) => e.sourcetype === 'cisco:isovalent:processExec')!;
    late.observe([{ ...old, _time: lo - 100 }], sorted.length + 1);
    // Windows starting and ending on the times of matches, and between them.
    const times = sorted.filter((e) => e.sourcetype === 'cisco:isovalent:processExec').map((e) => e._time);
    let compared = 0;
    const at = (q: number) => times[Math.floor(q * (times.length - 1))]!;
    for (const [a, b] of [[lo, hi], [at(0.1), at(0.6)], [at(0.5), at(0.5) + 1], [at(0.3), hi], [hi, hi + 10], [at(0.6), at(0.1)], [at(0.2), NaN]] as const) {
      for (const e of [a, a - 0.5]) {
        const x = (await inOrder.lookup(d.id, e, b))!;
        const y = (await late.lookup(d.id, e, b))!;
        expect(x.seqs).toEqual(y.seqs);
        expect(x.projection).toEqual(y.projection);
        compared += x.seqs.length;
      }
    }
    expect(inOrder.matches(d.id, NaN, hi)).toEqual([]);
    expect(compared).toBeGreaterThan(0);
    expect((await late.lookup(d.id, lo - 101, hi))!.seqs).toEqual([...(await inOrder.lookup(d.id, lo - 101, hi))!.seqs, sorted.length + 1]);
  });

  it('notice a read of anything not kept: the run then reads the events, with the same results', async () => {
    const d = custom('star', 'sourcetype="cisco:isovalent:processExec" process_name=sh | fillnull value=none | stats count by process_name');
    const w = world({}, true);
    w.index!.setDetections([d], pack, 'UTC');
    ingest(w, ALL);
    const m = (await w.index!.lookup(d.id, lo - 1, hi))!;
    expect(m.projection).not.toBeNull();
    expect(project(d.search, m.projection!)).toBeNull(); // fillnull without fields lists every field of a row
    const exec = new InProcessExecutor(w.store, () => pack);
    const req = { name: d.name, search: d.search, earliest: lo - 1, latest: hi, now: hi, tz: 'UTC', defaultIndexes: ['main'] as string[] };
    const served = await exec.execute({ ...req, eventSeqs: m.seqs, projection: m.projection! }, 10_000);
    const full = await exec.execute(req, 10_000);
    expect(rowsText(served.rows)).toEqual(rowsText(full.rows));
    expect(served.rows.length).toBeGreaterThan(0);
  });

  it('keep no rows for a prefix that lists field names: at ingest they lack the event types\' eventtype and tag', async () => {
    const d = custom('table star', 'sourcetype="cisco:isovalent:processExec" process_name=sh | table *');
    const w = world({}, true);
    w.index!.setDetections([d], pack, 'UTC');
    ingest(w, ALL);
    // No prefix: the run reads the events, whose rows carry eventtype and tag (a kept row had neither).
    expect(await w.index!.lookup(d.id, lo - 1, hi)).toBeNull();
    const full = await new InProcessExecutor(w.store, () => pack).execute({ name: d.name, search: d.search, earliest: lo - 1, latest: hi, now: hi, tz: 'UTC', defaultIndexes: ['main'] }, 10_000);
    expect(full.rows.length).toBeGreaterThan(0);
    expect(rowsText(full.rows).every((r) => r['eventtype'] === 'cisco_isovalent_process_exec')).toBe(true);
  });

  it('keep no partial states of a stats with a field pattern: at ingest its rows lack eventtype and tag', async () => {
    const d = custom('values star', 'sourcetype="cisco:isovalent:processExec" process_name=sh | stats values(*) AS * by process_name');
    const index = new MatchIndex(-Infinity, 6 * H, undefined, 0);
    index.setDetections([d], pack, 'UTC');
    index.observe(ALL, 1);
    const e = Math.floor(lo / 60) * 60;
    expect(await index.lookup(d.id, e, Math.ceil(hi / 60) * 60 + 60)).toBeNull();
    const rows = rowsText(await scan(d.search));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r['eventtype'] === 'cisco_isovalent_process_exec')).toBe(true);
  });

  it('start again when events they hold are deleted, and stop past their memory budget', async () => {
    const seed = pack.detections.find((d) => d.name.includes('Curl Execution'))!;
    const index = new MatchIndex(-Infinity, 6 * H);
    index.setDetections([seed], pack, 'UTC');
    index.observe(ALL, 1);
    index.forget('other', Infinity); // holds none of it: kept
    expect((await index.lookup(seed.id, lo - 1, hi))!.projection).not.toBeNull();
    index.forget('MAIN', hi);
    const after = (await index.lookup(seed.id, lo - 1, hi))!;
    expect(after.projection).toBeNull(); // the seqs still serve the run: the store no longer has the deleted events
    expect(after.seqs.length).toBeGreaterThan(0);
    const later = ALL.map((e) => ({ ...e, _time: e._time + 2 * H }));
    index.observe(later, 10_000);
    expect((await index.lookup(seed.id, hi + 1, hi + 3 * H))!.projection!.times.length).toBeGreaterThan(0);

    const small = new MatchIndex(-Infinity, 6 * H, 10);
    small.setDetections([seed], pack, 'UTC');
    small.observe(ALL, 1);
    const m = (await small.lookup(seed.id, lo - 1, hi))!;
    expect(m.projection).toBeNull();
    expect(m.seqs.length).toBeGreaterThan(0);
  });
});

describe('realtime mode', () => {
  it('emits risk events per tumbling window, equal to a scheduled search over each window', async () => {
    const name = 'Cisco Isovalent - Curl Execution With Insecure Flags';
    const w = world({ enable: [name], realtime: [name], realtimeGraceSeconds: 1 }, true);
    w.clock.t = T0;
    await w.scheduler.runDue(); // first sight: cursor at the current window start
    w.index!.setDetections(w.scheduler.enabledDetections(), pack, 'UTC');
    // Events arrive over time; the clock follows them, windows close a second after their end.
    const byTime = [...ALL].sort((a, b) => a._time - b._time);
    for (const e of byTime) {
      ingest(w, [e]);
      w.clock.t = Math.max(w.clock.t, e._time + 0.1);
      await w.scheduler.runDue();
    }
    w.clock.t = T0 + 700;
    await w.scheduler.runDue();
    const runs = await w.store.runs();
    expect(runs.every((r) => r.mode === 'realtime' && r.latest - r.earliest === 10)).toBe(true);
    expect(runs.filter((r) => r.riskEventCount > 0).map((r) => r.scheduledTime - T0)).toEqual([310, 320, 330, 340]);
    // Each window equals a full search of the store over the same window.
    const d = pack.detections.find((x) => x.name === name)!;
    for (const r of runs.filter((x) => x.resultCount > 0)) {
      const { results } = await runSearch(d.search, { macros: pack.macros, source: new MemorySource(w.store.events.filter((e) => e.index === 'main')), earliest: r.earliest, latest: r.latest, now: r.scheduledTime });
      expect(results.length).toBe(r.resultCount);
    }
    expect(w.store.events.filter((e) => e.index === 'risk')).toHaveLength(4);
  });
});
