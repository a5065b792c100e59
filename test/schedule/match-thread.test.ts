import { afterEach, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { MatchIndex } from '../../src/schedule/incremental.js';
import { MatchIndexThread } from '../../src/schedule/match-thread.js';
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
});
