import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { MatchIndex } from '../../src/schedule/incremental.js';
import { MatchIndexThread, startMatchWorker, type MatchWorkerSetup } from '../../src/schedule/match-thread.js';
import { datasetEvents } from './fakes.js';

const pack = loadContent();
const H = 3600;
const ALL = datasetEvents(
  'datasets/cisco_isovalent/cisco_isovalent.log',
  'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log',
  'datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log',
);
const detections = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent - '));
const times = ALL.map((e) => e._time);
const lo = Math.min(...times);
const hi = Math.max(...times);

const threads: MatchIndexThread[] = [];
afterEach(async () => {
  for (const t of threads.splice(0)) await t.close();
});
function thread(opts: Partial<ConstructorParameters<typeof MatchIndexThread>[0]> = {}): MatchIndexThread {
  const t = new MatchIndexThread({ startedAfter: -Infinity, horizonSeconds: 6 * H, ...opts });
  threads.push(t);
  return t;
}

/** Feeds ALL in batches of 7, numbering events from 1 as the store would. */
function feed(index: { observe(events: typeof ALL, firstSeq: number): void }) {
  for (let i = 0; i < ALL.length; i += 7) index.observe(ALL.slice(i, i + 7), i + 1);
}

describe('MatchIndexThread', () => {
  it('answers exactly what a MatchIndex on the calling thread answers', async () => {
    const local = new MatchIndex(-Infinity, 6 * H);
    const remote = thread();
    for (const x of [local, remote]) x.setDetections(detections, pack, 'UTC');
    feed(local);
    feed(remote);
    let nonEmpty = 0;
    for (const d of detections) {
      for (const [e, l] of [[lo - 1, hi + 1], [lo + (hi - lo) / 3, hi - (hi - lo) / 3]] as const) {
        const want = await local.lookup(d.id, e, l);
        expect(await remote.lookup(d.id, e, l), d.name).toEqual(want);
        if (want && want.seqs.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(4);
    // A window that starts before the index did is not covered.
    const late = thread({ startedAfter: hi });
    late.setDetections(detections, pack, 'UTC');
    expect(await late.lookup(detections[0]!.id, lo, hi + 1)).toBeNull();
    expect((await remote.stats())!.matches).toBe(local.stats().matches);
  });

  it('keeps no partial states or rows for field patterns, as a MatchIndex given the knowledge: the runs have eventtype and tag', async () => {
    // The worker compiles prefixes without the knowledge; states kept at ingest for `stats values(*) AS *` missed
    // the event types' eventtype and tag, which a scan of the same window has.
    const custom = [
      { id: 'values-star', name: 'values star', search: 'sourcetype="cisco:isovalent:processExec" process_name=sh | stats values(*) AS * by process_name' },
      { id: 'table-star', name: 'table star', search: 'sourcetype="cisco:isovalent:processExec" process_name=sh | table *' },
    ];
    const local = new MatchIndex(-Infinity, 6 * H, undefined, 0);
    const remote = thread();
    for (const x of [local, remote]) x.setDetections(custom, pack, 'UTC');
    feed(local);
    feed(remote);
    const e = Math.floor(lo / 60) * 60;
    const l = Math.ceil(hi / 60) * 60 + 60;
    for (const d of custom) {
      expect(await local.lookup(d.id, e, l), d.name).toBeNull();
      expect(await remote.lookup(d.id, e, l), d.name).toBeNull();
    }
  });

  it('skips batches past its queue bound and reports them as a gap: those windows are no longer covered', async () => {
    const warnings: string[] = [];
    const first = ALL.slice(0, 5);
    const t = thread({ maxQueuedChars: first.reduce((n, e) => n + e._raw.length, 0), log: (_l, m) => warnings.push(m) });
    t.setDetections(detections, pack, 'UTC');
    const seed = detections.find((d) => d.name.includes('Curl Execution'))!;
    t.observe(first, 1); // queued: exactly the bound
    t.observe(ALL.slice(5, 12), 6); // would exceed the bound: skipped
    expect(warnings).toHaveLength(1);
    const skippedUpTo = Math.max(...ALL.slice(5, 12).map((e) => e._time));
    expect(await t.lookup(seed.id, skippedUpTo, hi + 1)).toBeNull();
    expect((await t.lookup(seed.id, skippedUpTo + 0.001, hi + 1))?.seqs).toEqual([]);
    // The worker has caught up (its answers come after its acknowledgements): batches are taken again.
    const curl = ALL.filter((e) => e._time > skippedUpTo && e._raw.includes('-sSLk'));
    expect(curl.length).toBeGreaterThan(0);
    t.observe(curl, 1000);
    expect(warnings).toHaveLength(1);
    expect((await t.lookup(seed.id, skippedUpTo + 0.001, hi + 1))?.seqs).toEqual(curl.map((_, i) => 1000 + i));
  });

  it("gives its worker the events' indexed fields (HEC `fields`): a prefix matches on them", async () => {
    const e = (t: number, raw: string, fields?: Record<string, string>) => ({ _time: t, index: 'main', sourcetype: 'app', source: 's', host: 'h', _raw: raw, ...(fields ? { fields } : {}) });
    // Seqs 1..3: the pod's line does not name it; the second names it only in its text; the third is another pod's.
    const batch = [e(100, 'GET /health 200', { 'k8s.pod.name': 'web-1' }), e(101, 'GET /web-1/x 200'), e(102, 'GET /health 200', { 'k8s.pod.name': 'web-2' })];
    const custom = [{ id: 'pod', name: 'pod', search: 'sourcetype=app k8s.pod.name=web-1 | table _raw' }];
    const t = thread();
    t.setDetections(custom, pack, 'UTC');
    t.observe(batch, 1);
    expect((await t.lookup('pod', 0, 200))?.seqs).toEqual([1]);
  });

  it('answers "not covered" once its worker is gone, and ignores batches', async () => {
    const t = thread();
    t.setDetections(detections, pack, 'UTC');
    await t.close();
    feed(t);
    expect(await t.lookup(detections[0]!.id, lo, hi + 1)).toBeNull();
  });

  it('is started again once a file-descriptor shortage ends: runs over later windows are served from it again', async () => {
    // What `new Worker` does out of file descriptors (measured with ulimit -n 64 on Node 20): an 'error' event
    // "Worker initialization failure: EMFILE" (ERR_WORKER_INIT_FAILED), then its exit.
    let short = true;
    const starts: MatchWorkerSetup[] = [];
    const startWorker = (setup: MatchWorkerSetup) => {
      starts.push(setup);
      if (!short) return startMatchWorker(setup);
      return new Worker("throw Object.assign(new Error('Worker initialization failure: EMFILE'), { code: 'ERR_WORKER_INIT_FAILED' })", { eval: true });
    };
    const logs: string[] = [];
    const t = thread({ restartDelayMs: 40, startWorker, log: (level, m) => logs.push(`${level}: ${m}`) });
    t.setDetections(detections, pack, 'UTC');
    const sorted = [...ALL].sort((a, b) => a._time - b._time);
    const half = sorted[Math.floor(sorted.length / 2)]!._time;
    const before = sorted.filter((e) => e._time <= half);
    const after = sorted.filter((e) => e._time > half);
    const seed = detections.find((d) => d.name.includes('Curl Execution'))!;
    // While descriptors are short: every batch is shown, every lookup says "not covered" (runs scan); the
    // starts tried are bounded by the back-off, not one per need.
    const began = Date.now();
    const needs = 25;
    for (let i = 0; i < needs; i++) {
      t.observe(before, 1);
      expect(await t.lookup(seed.id, half + 1e-3, hi + 1)).toBeNull();
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = Date.now() - began;
    // The k-th start after the first waits 40 × (2^k − 1) ms in all.
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts.length).toBeLessThanOrEqual(1 + Math.floor(Math.log2(elapsed / 40 + 1)));
    expect(logs).toEqual([expect.stringMatching(/^warn: match index worker failed \(Worker initialization failure: EMFILE\): scheduled runs scan their windows; it is started again at the next need, after 40 ms/)]);
    short = false;
    await new Promise((r) => setTimeout(r, 40 * 2 ** starts.length + 20)); // past the back-off reached
    // The next batch starts it again: an index that covers the windows after every event shown so far.
    const firstSeq = before.length + 1;
    t.observe(after, firstSeq);
    expect(starts.at(-1)).toEqual({ startedAfter: half, horizonSeconds: 6 * H });
    const local = new MatchIndex(-Infinity, 6 * H);
    local.setDetections(detections, pack, 'UTC');
    local.observe(before, 1);
    local.observe(after, firstSeq);
    let served = 0;
    for (const d of detections) {
      const want = await local.lookup(d.id, half + 1e-3, hi + 1);
      expect(await t.lookup(d.id, half + 1e-3, hi + 1), d.name).toEqual(want);
      if (want && want.seqs.length > 0) served++;
      // A window reaching back before the restart is not covered: it scans.
      expect(await t.lookup(d.id, half, hi + 1)).toBeNull();
    }
    expect(served).toBeGreaterThan(2);
    expect((await t.stats())!.matches).toBeGreaterThan(0);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toBe('info: match index worker started again: scheduled runs over windows after it are served from it');
  });

  it('a worker that dies later is started again at the next need, said once more', async () => {
    const logs: string[] = [];
    const t = thread({ restartDelayMs: 10, log: (level, m) => logs.push(`${level}: ${m}`) });
    t.setDetections(detections, pack, 'UTC');
    feed(t);
    expect((await t.stats())!.matches).toBeGreaterThan(0);
    await (t['worker'] as Worker).terminate();
    expect(await t.lookup(detections[0]!.id, hi + 1, hi + 2)).toBeNull();
    expect(logs).toEqual([expect.stringMatching(/^warn: match index worker failed \(exit code 1\): scheduled runs scan their windows/)]);
    await new Promise((r) => setTimeout(r, 30));
    // Started again by this lookup: empty, covering windows after the newest event it was shown.
    expect(await t.lookup(detections[0]!.id, hi + 1, hi + 2)).toMatchObject({ seqs: [] });
    expect(await t.lookup(detections[0]!.id, hi, hi + 2)).toBeNull();
  });
});
