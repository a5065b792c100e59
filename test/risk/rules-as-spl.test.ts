import { describe, expect, it } from 'vitest';
import { loadContent, type ContentPack } from '../../src/detections/content.js';
import type { Detection } from '../../src/detections/detection.js';
import type { Event } from '../../src/events/event.js';
import { Row, toObject } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { InProcessExecutor } from '../../src/schedule/executor.js';
import { riskEventsOfRun } from '../../src/schedule/outputs.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { searchWindow } from '../../src/schedule/window.js';
import { runSearch } from '../../src/spl/index.js';
import { rng } from '../rng.js';
import { FakeClock, MemoryStore } from '../schedule/fakes.js';

/**
 * vigil's two risk incident rules are SPL over the Risk data model (`tstats ... from datamodel=Risk.All_Risk`,
 * as Splunk ES writes its own). These are the searches they replaced, over `index=risk` with `stats`: the
 * reference the rules must agree with, row for row and finding for finding.
 */
const OLD_SEARCHES: Record<string, string> = {
  'Risk - Threshold Exceeded For Object Over 24 Hours': `index=risk
| stats sum(risk_score) as source_score max(risk_score) as max_source_score count as source_events
    values(risk_event_id) as risk_event_ids
    values(annotations.mitre_attack.mitre_tactic) as tactics
    values(annotations.mitre_attack) as techniques
    by risk_object risk_object_type search_name
| eval source_score=min(source_score, max_source_score * \`vigil_risk_source_cap\`)
| stats sum(source_score) as risk_score sum(source_events) as risk_event_count dc(search_name) as source_count
    values(search_name) as sources values(tactics) as tactics values(techniques) as techniques
    values(risk_event_ids) as risk_event_ids
    by risk_object risk_object_type
| where risk_score > \`vigil_risk_threshold\`
| \`risk___threshold_exceeded_for_object_over_24_hours_filter\``,
  'Risk - ATT&CK Tactics Across Sources Over 7 Days': `index=risk
| stats dc(annotations.mitre_attack.mitre_tactic) as tactic_count dc(search_name) as source_count
    sum(risk_score) as risk_score count as risk_event_count
    values(annotations.mitre_attack.mitre_tactic) as tactics values(annotations.mitre_attack) as techniques
    values(search_name) as sources values(risk_event_id) as risk_event_ids
    by risk_object risk_object_type
| where tactic_count >= \`vigil_risk_min_tactics\` AND source_count >= \`vigil_risk_min_sources\`
| \`risk___att_ck_tactics_across_sources_over_7_days_filter\``,
};

const pack = loadContent();
const RULES = pack.detections.filter((d) => d.type === 'Correlation');
const TEMPLATE = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const withRules = (p: ContentPack, f: (d: Detection) => Detection): ContentPack => ({ ...p, detections: p.detections.map((d) => (d.type === 'Correlation' ? f(d) : d)) });
const OLD = withRules(pack, (d) => ({ ...d, search: OLD_SEARCHES[d.name]! }));

const H = 3600;
const DAY = 24 * H;
/** The risk events span 9 days from T0; the rules run over the last one (the 7-day rule then looks back to T0 + 1 d). */
const T0 = Date.UTC(2026, 10, 1) / 1000;
const END = T0 + 9 * DAY;

/** Detections that write the risk events: ATT&CK ids spanning tactics, none, an unknown one; user and system objects. */
function source(n: number, name: string, score: number, techniques: string[], userToo = false): Detection {
  return {
    ...TEMPLATE,
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name,
    mitreAttackIds: techniques,
    riskObjects: [
      { field: 'pod', type: 'system', score, message: `${name} on $pod$` },
      ...(userToo ? [{ field: 'user', type: 'user', score, message: `${name} by $user$` }] : []),
    ],
    threatObjects: [{ field: 'binary', type: 'process_name' }],
  };
}
const S = {
  curl: source(1, 'Gen - Ingress Tool Transfer', 40, ['T1105']),
  cred: source(2, 'Gen - Credential Dumping', 25, ['T1003'], true),
  disc: source(3, 'Gen - Discovery', 10, ['T1018', 'T1046']),
  cron: source(4, 'Gen - Cron', 35, ['T1053.003']),
  masq: source(5, 'Gen - Masquerading', 15, ['T1036']),
  unknown: source(6, 'Gen - Unknown Technique', 30, ['T9999']),
  none: source(7, 'Gen - No ATT&CK', 20, []),
  ssh: source(8, 'Gen - SSH', 50, ['T1021.004']),
  sniff: source(9, 'Gen - Sniffing', 7.5, ['T1040']),
  c2: source(10, 'Gen - Application Layer Protocol', 45, ['T1071']),
};
const SOURCES = Object.values(S);

class RiskEvents {
  readonly events: Event[] = [];
  private seq = 0;
  /** One detection result at `t` with these fields, written as the scheduler writes risk events. */
  add(d: Detection, t: number, fields: Record<string, FieldValue>): void {
    const row = new Row([['_time', t], ['binary', '/usr/bin/x'], ...Object.entries(fields)]);
    // A distinct run per result, so risk_event_ids never repeat.
    this.events.push(...riskEventsOfRun(d, [row], T0 - ++this.seq, { earliest: null, latest: null }));
  }
  /** `d` on `pod` `n` times, a minute apart from `t`. */
  burst(d: Detection, pod: string, t: number, n = 1): void {
    for (let i = 0; i < n; i++) this.add(d, t + 60 * i, { pod });
  }
}

/** Random risk over 9 days (many objects and sources, some busy) and the edge cases of the thresholds and windows. */
function generate(): Event[] {
  const r = rng(10);
  const g = new RiskEvents();
  const pods = Array.from({ length: 40 }, (_, i) => `pod-${String(i).padStart(2, '0')}`);
  for (let i = 0; i < 800; i++) {
    const pod = pods[Math.floor(r() ** 2 * pods.length)]!; // a few objects collect most of the risk
    const d = SOURCES[Math.floor(r() * SOURCES.length)]!;
    g.add(d, T0 + Math.floor(r() * 9 * DAY), { pod, user: `user-${Math.floor(r() * 5)}` });
  }
  const day8 = T0 + 8 * DAY;
  // 24 h threshold: exactly 100 does not exceed it, 107.5 does.
  g.burst(S.curl, 'exact-100', day8);
  g.burst(S.cron, 'exact-100', day8 + H);
  g.burst(S.cred, 'exact-100', day8 + 2 * H);
  g.burst(S.curl, 'over-100', day8);
  g.burst(S.cron, 'over-100', day8 + H);
  g.burst(S.cred, 'over-100', day8 + 2 * H);
  g.burst(S.sniff, 'over-100', day8 + 3 * H);
  // The per-detection cap (3 × its highest score): 10 × 10 counts 30, so no finding; 10 × 50 counts 150.
  g.burst(S.disc, 'capped-under', day8, 10);
  g.burst(S.ssh, 'capped-over', day8, 10);
  // At the cap exactly (3 × 40 = 120), and one more of the same detection adds nothing.
  g.burst(S.curl, 'at-cap', day8, 3);
  g.burst(S.curl, 'past-cap', day8, 4);
  // 7 days: 3 tactics from 4 detections raise a finding; 2 tactics from 5, or 3 from 3, do not.
  for (const [i, d] of [S.curl, S.cred, S.disc, S.none].entries()) g.burst(d, 'tactics-3-sources-4', T0 + 3 * DAY + i * DAY);
  for (const [i, d] of [S.curl, S.c2, S.ssh, S.none, S.unknown].entries()) g.burst(d, 'tactics-2-sources-5', T0 + 3 * DAY + i * DAY);
  for (const [i, d] of [S.curl, S.cred, S.disc].entries()) g.burst(d, 'tactics-3-sources-3', T0 + 3 * DAY + i * DAY);
  // One detection with three tactics (cron: execution, persistence, privilege escalation) and three without.
  for (const [i, d] of [S.cron, S.none, S.unknown, S.masq].entries()) g.burst(d, 'one-source-3-tactics', T0 + 4 * DAY + i * H);
  // Window edges: a run at END - 6 h sees [END - 30 h, END - 6 h); 60 at each edge tips the total over 100.
  const edgeRun = END - 6 * H;
  g.burst(S.ssh, 'window-edges', edgeRun - DAY);
  g.burst(S.cred, 'window-edges', edgeRun - DAY + 1);
  g.burst(S.c2, 'window-edges', edgeRun - 2 * H);
  g.burst(S.ssh, 'window-edges', edgeRun);
  g.burst(S.c2, 'window-edges', edgeRun - 1);
  // The 7-day window's lower edge, for the run at END - 6 h.
  for (const [i, d] of [S.curl, S.cred, S.disc, S.cron].entries()) g.burst(d, 'seven-day-edge', edgeRun - 7 * DAY + i * 2 * DAY);
  // A multivalue risk-object field (an event per value), one name as a system and as a user object.
  g.add(S.ssh, day8, { pod: ['mv-a', 'mv-b'] });
  g.add(S.ssh, day8 + 60, { pod: ['mv-a', 'mv-b'] });
  g.add(S.ssh, day8 + 120, { pod: ['mv-a', 'mv-b'] });
  for (let i = 0; i < 6; i++) g.add(S.cred, day8 + i * 600, { pod: 'shared', user: 'shared' });
  g.burst(S.ssh, 'shared', day8, 2);
  // Awkward values: quotes, wildcards and spaces in the risk object; an empty one (no finding either way).
  g.burst(S.ssh, 'pod "q" *star* x', day8, 3);
  g.burst(S.ssh, '', day8, 3);
  return g.events;
}

const EVENTS = generate();

function scheduler(content: ContentPack, store: MemoryStore): Scheduler {
  return new Scheduler({
    content: () => content,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => content),
    clock: new FakeClock(END),
    settings: { ...scheduleSettings(undefined, undefined), enable: ['Risk - *'] },
    alerts: null,
  });
}

/** Backfills the rules of `content` over the last day (every run of each) and returns the store. */
async function backfill(content: ContentPack): Promise<MemoryStore> {
  const store = new MemoryStore();
  store.append(EVENTS);
  const s = scheduler(content, store);
  const sum = await s.backfill(s.planBackfill(END - DAY, END));
  expect((await store.runs()).find((r) => r.status !== "success")?.error ?? null).toBeNull();
  expect(sum).toMatchObject({ failed: 0, aborted: false });
  return store;
}

const ledger = async (s: MemoryStore) => (await s.runs()).map((r) => `${r.detectionName}@${r.scheduledTime}:${r.status}:${r.resultCount}/${r.findingCount}`);
/** Findings with their detail (the rule's row) parsed: the same fields and values, whatever their order. */
const findings = async (s: MemoryStore) => (await s.findings()).map((f) => ({ ...f, detail: JSON.parse(f.detail) as unknown }));
const notables = (s: MemoryStore) => s.events.filter((e) => e.index === 'notable').map((e) => ({ ...e, _raw: JSON.parse(e._raw) as unknown }));

describe('risk incident rules as SPL over Risk.All_Risk', () => {
  it('are tstats searches over the Risk data model, with the ids and names findings and toggles know', () => {
    expect(RULES.map((d) => [d.id, d.name]).sort()).toEqual([
      ['4b1e6c2a-9f3d-4d7e-8a5b-2c6f1e0d9a71', 'Risk - Threshold Exceeded For Object Over 24 Hours'],
      ['7e3d9b51-2a6c-4f08-9d1e-5b8c3a7f6e24', 'Risk - ATT&CK Tactics Across Sources Over 7 Days'],
    ]);
    for (const d of RULES) expect(d.search).toMatch(/^\| tstats `security_content_summariesonly` .* from datamodel=Risk\.All_Risk by All_Risk\.risk_object All_Risk\.risk_object_type/s);
  });

  it('return the rows the index=risk searches returned, at window edges and thresholds', async () => {
    const source = new MemoryStore();
    source.append(EVENTS);
    const probes = [END - 6 * H, END - 6 * H - 900, END - 6 * H + 900, END - DAY, END - 1, T0 + 8 * DAY + 3 * H, T0 + 8 * DAY + 23 * H];
    let compared = 0;
    for (const rule of RULES) {
      const old = OLD.detections.find((d) => d.id === rule.id)!;
      for (const t of probes) {
        const opts = { source, macros: pack.macros, knowledge: pack.knowledge, lookups: pack.lookups, now: t, ...searchWindow(rule.schedule, t, 'UTC') };
        const want = (await runSearch(old.search, opts)).results.map(toObject);
        const got = (await runSearch(rule.search, opts)).results.map(toObject);
        expect(got).toEqual(want);
        compared += want.length;
      }
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('raise the same findings as the index=risk searches through the scheduler (every run, unthrottled)', async () => {
    const noThrottle = (d: Detection) => ({ ...d, throttle: null });
    const want = await backfill(withRules(OLD, noThrottle));
    const got = await backfill(withRules(pack, noThrottle));
    expect(await ledger(got)).toEqual(await ledger(want));
    expect(await findings(got)).toEqual(await findings(want));
    expect(notables(got)).toEqual(notables(want));
    // The edge cases came out as intended (so the comparison covers both sides of each threshold).
    const objects = async (rule: string) => new Set((await want.findings()).filter((f) => f.ruleName.startsWith(rule)).map((f) => f.riskObject));
    const threshold = await objects('Risk - Threshold');
    expect([...threshold].filter((o) => !o.startsWith('pod-')).sort()).toEqual(['at-cap', 'capped-over', 'mv-a', 'mv-b', 'over-100', 'past-cap', 'pod "q" *star* x', 'shared', 'window-edges'].sort());
    const score = async (o: string) => (await want.findings()).find((f) => f.riskObject === o && f.ruleName.startsWith('Risk - Threshold'))!.riskScore;
    expect(await Promise.all([score('at-cap'), score('past-cap'), score('capped-over'), score('over-100')])).toEqual([120, 120, 150, 107.5]);
    const tactics = await objects('Risk - ATT&CK');
    for (const o of ['tactics-3-sources-4', 'one-source-3-tactics', 'seven-day-edge']) expect(tactics.has(o), o).toBe(true);
    for (const o of ['tactics-2-sources-5', 'tactics-3-sources-3']) expect(tactics.has(o), o).toBe(false);
  });

  it('raise the same findings through the scheduler with the bundled throttling', async () => {
    const want = await backfill(OLD);
    const got = await backfill(pack);
    expect(await ledger(got)).toEqual(await ledger(want));
    expect((await got.findings()).length).toBeGreaterThan(10);
    expect(await findings(got)).toEqual(await findings(want));
  });
});
