import { describe, expect, it } from 'vitest';
import type { AlertRoute } from '../../src/outputs/actions.js';
import { findingCandidate, outboxId, planAlerts, planAlertsWithState, suppressionKeys, type AlertCandidate } from '../../src/outputs/suppression.js';
import { parsePayload } from '../../src/outputs/payload.js';
import { DETECTION, MemoryOutbox, riskCandidate } from './helpers.js';

const suppressed: AlertRoute = { detection: '*', actions: ['soc'], on: ['risk_event'], suppress: { fields: ['risk_object'], periodSeconds: 3600 } };

/** One scheduler run at `now`: ask the store, plan, commit. */
async function run(state: MemoryOutbox, routes: AlertRoute[], candidates: AlertCandidate[], now: number) {
  const plan = await planAlertsWithState(state, { routes, candidates, now });
  state.commit(plan);
  return plan;
}

describe('alert planning and suppression', () => {
  it('enqueues one item per candidate per action, with the payload receivers get', () => {
    const plan = planAlerts({ routes: [{ detection: DETECTION.id, actions: ['soc', 'file'], on: ['risk_event'] }], candidates: [riskCandidate('web-1')], now: 5000, active: new Set() });
    expect(plan.outbox).toHaveLength(2);
    expect(plan.suppressions).toEqual([]);
    const [a] = plan.outbox;
    expect(a).toMatchObject({ action: 'soc', createdAt: 5000, nextAttemptAt: 5000 });
    expect(a!.id).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePayload(a!)).toEqual({
      kind: 'risk_event',
      detection: DETECTION,
      scheduled_time: 1_718_000_400,
      time: 1_718_000_000,
      data: {
        _time: '2024-06-10T06:13:20.000000+00:00',
        risk_object: 'web-1',
        risk_object_type: 'other',
        risk_score: 45,
        risk_message: 'Shell execution in pod web-1',
        search_name: DETECTION.name,
        detection_id: DETECTION.id,
        pod_name: 'web-1',
      },
    });
  });

  it('ids are deterministic: a re-run of the same window yields the same ids, another window other ids', () => {
    const routes: AlertRoute[] = [{ detection: '*', actions: ['soc'], on: ['risk_event'] }];
    const plan = (t: number) => planAlerts({ routes, candidates: [riskCandidate('a', t), riskCandidate('b', t)], now: t, active: new Set() }).outbox.map((o) => o.id);
    expect(plan(100)).toEqual(plan(100));
    expect(plan(100)).not.toEqual(plan(200));
    expect(new Set([...plan(100), ...plan(200)]).size).toBe(4);
    // Independent of the time zone the JSON is rendered in.
    const utc = planAlerts({ routes, candidates: [riskCandidate('a')], now: 1, active: new Set() }).outbox[0]!.id;
    const paris = planAlerts({ routes, candidates: [riskCandidate('a')], now: 1, active: new Set(), tz: 'Europe/Paris' }).outbox[0]!.id;
    expect(paris).toBe(utc);
  });

  it('identical rows of one run are distinct deliveries; an explicit key wins', () => {
    const routes: AlertRoute[] = [{ detection: '*', actions: ['soc'], on: ['risk_event', 'finding'] }];
    const twins = planAlerts({ routes, candidates: [riskCandidate('a'), riskCandidate('a')], now: 1, active: new Set() });
    expect(new Set(twins.outbox.map((o) => o.id)).size).toBe(2);
    const finding: AlertCandidate = { kind: 'finding', detection: DETECTION, scheduledTime: 7, key: 'finding-42', data: { risk_object: 'a', risk_score: 120 } };
    const [f] = planAlerts({ routes, candidates: [finding], now: 1, active: new Set() }).outbox;
    expect(f!.id).toBe(outboxId('soc', 'finding', DETECTION.id, 7, 'finding-42'));
  });

  it('routes filter by detection and kind; two routes to one action enqueue once', () => {
    const routes: AlertRoute[] = [
      { detection: 'Other Detection', actions: ['soc'], on: ['risk_event'] },
      { detection: DETECTION.name, actions: ['soc'], on: ['finding'] },
      { detection: '*', actions: ['soc'], on: ['risk_event'] },
      { detection: DETECTION.id, actions: ['soc'], on: ['risk_event'] },
    ];
    const plan = planAlerts({ routes, candidates: [riskCandidate('a')], now: 1, active: new Set() });
    expect(plan.outbox).toHaveLength(1);
    expect(planAlerts({ routes: [routes[0]!, routes[1]!], candidates: [riskCandidate('a')], now: 1, active: new Set() }).outbox).toEqual([]);
  });

  it('the same key within the period is suppressed, after the period allowed', async () => {
    const state = new MemoryOutbox();
    const first = await run(state, [suppressed], [riskCandidate('web-1', 1000)], 1000);
    expect(first.outbox).toHaveLength(1);
    expect(first.suppressions).toEqual([{ key: expect.stringMatching(/^soc\|8a5c1a02-1c2e-4b8b-9f7a-3f1b2c3d4e5f\|risk_event\|[0-9a-f]{64}$/), until: 4600 }]);

    // Next run, 30 min later: the same risk object is suppressed (and does not extend the period).
    const second = await run(state, [suppressed], [riskCandidate('web-1', 2800, { other: 'changed' })], 2800);
    expect(second).toMatchObject({ outbox: [], suppressions: [], suppressed: 1 });

    // Exactly at the end of the period the key is no longer active.
    const third = await run(state, [suppressed], [riskCandidate('web-1', 4600)], 4600);
    expect(third.outbox).toHaveLength(1);
    expect(third.suppressions[0]!.until).toBe(8200);
    expect(state.items.size).toBe(2);
  });

  it('different field values are not suppressed; duplicates within one run are', () => {
    const plan = planAlerts({ routes: [suppressed], candidates: [riskCandidate('a'), riskCandidate('b'), riskCandidate('a', undefined, { x: 1 })], now: 10, active: new Set() });
    expect(plan.outbox.map((o) => JSON.parse(o.payload).data.risk_object)).toEqual(['a', 'b']);
    expect(plan.suppressions).toHaveLength(2);
    expect(plan.suppressed).toBe(1);
  });

  it('suppression keys are per action, detection, kind and field list; a missing field is one value', () => {
    const routes: AlertRoute[] = [
      { ...suppressed, actions: ['soc', 'file'] },
      { detection: '*', actions: ['soc'], on: ['risk_event'], suppress: { fields: ['risk_object', 'missing'], periodSeconds: 60 } },
    ];
    const keys = suppressionKeys(routes, [riskCandidate('a'), riskCandidate('b')]);
    expect(keys).toHaveLength(6);
    const noField = planAlerts({ routes: [{ ...suppressed, suppress: { fields: ['nope'], periodSeconds: 60 } }], candidates: [riskCandidate('a'), riskCandidate('b')], now: 0, active: new Set() });
    expect(noField.outbox).toHaveLength(1);
  });

  it('an active key from the store suppresses only its own action', () => {
    const routes: AlertRoute[] = [{ ...suppressed, actions: ['soc', 'file'] }];
    const keys = suppressionKeys(routes, [riskCandidate('a')]);
    const socKey = keys.find((k) => k.startsWith('soc|'))!;
    const plan = planAlerts({ routes, candidates: [riskCandidate('a')], now: 0, active: new Set([socKey]) });
    expect(plan.outbox.map((o) => o.action)).toEqual(['file']);
  });
});

describe('findingCandidate', () => {
  it('keys a finding by its id and carries its detail and triage fields', () => {
    const c = findingCandidate({
      id: 'f-1',
      ruleId: 'rba-24h',
      ruleName: 'Risk Threshold Exceeded For Object Over 24 Hours',
      time: 1_718_003_600,
      riskObject: 'web-1',
      riskObjectType: 'other',
      riskScore: 135,
      detail: '{"risk_score":135,"source_count":3,"sources":["a","b","c"]}',
      status: 'new',
      owner: null,
      updatedAt: 1_718_003_600,
    });
    expect(c).toEqual({
      kind: 'finding',
      detection: { id: 'rba-24h', name: 'Risk Threshold Exceeded For Object Over 24 Hours' },
      scheduledTime: 1_718_003_600,
      time: 1_718_003_600,
      key: 'f-1',
      data: { risk_score: 135, source_count: 3, sources: ['a', 'b', 'c'], finding_id: 'f-1', rule_id: 'rba-24h', rule_name: 'Risk Threshold Exceeded For Object Over 24 Hours', risk_object: 'web-1', risk_object_type: 'other', status: 'new' },
    });
    const [item] = planAlerts({ routes: [{ detection: 'rba-24h', actions: ['soc'], on: ['finding'] }], candidates: [c], now: 0, active: new Set() }).outbox;
    expect(item!.id).toBe(outboxId('soc', 'finding', 'rba-24h', 1_718_003_600, 'f-1'));
  });
});
