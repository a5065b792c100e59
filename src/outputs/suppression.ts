/**
 * From a run's risk events and findings to outbox items, with Splunk ES's `alert.suppress` semantics.
 * Pure: the scheduler asks the store which keys are active, calls `planAlerts`, and puts the result in its
 * `RunCommit` so deliveries and suppressions commit atomically with the run.
 */
import type { Result } from '../events/result.js';
import { toObject } from '../events/result.js';
import type { FindingRecord, RunCommit, StateStore } from '../store/types.js';
import { resultToJson, type JsonResult } from './json.js';
import { routeMatches, type AlertKind, type AlertRoute, type SuppressConfig } from './actions.js';
import { canonicalJson, sha256, type AlertPayload } from './payload.js';

/** One thing a run may alert on. */
export interface AlertCandidate {
  kind: AlertKind;
  detection: { id: string; name: string };
  /** The run's scheduled time (epoch seconds). */
  scheduledTime: number;
  /** The item's own time; default: the row's `_time` when numeric, else scheduledTime. */
  time?: number;
  /**
   * Stable identity of the item within its run (a finding's deterministic id). Default: a hash of the
   * row's content plus its occurrence number among identical rows of the same run.
   */
  key?: string;
  /** The risk event / finding row. */
  data: Result | JsonResult;
}

export interface PlanInput {
  routes: readonly AlertRoute[];
  candidates: readonly AlertCandidate[];
  /**
   * Suppression clock (epoch seconds). Pass the run's scheduled time, not the wall clock, so that a
   * backfill suppresses exactly as live scheduling did.
   */
  now: number;
  /** Keys active at `now`, from `state.suppressed(suppressionKeys(...), now)`. */
  active: ReadonlySet<string>;
  /** Time zone for `_time` in the delivered JSON (default UTC). */
  tz?: string;
}

export interface AlertPlan {
  outbox: RunCommit['outbox'];
  suppressions: RunCommit['suppressions'];
  /** Deliveries withheld by suppression (for the run's log line). */
  suppressed: number;
}

interface Prepared {
  c: AlertCandidate;
  json: JsonResult;
  itemKey: string;
  time: number;
}

/** Every suppression key `planAlerts` may consult for these candidates (to ask the store which are active). */
export function suppressionKeys(routes: readonly AlertRoute[], candidates: readonly AlertCandidate[], tz = 'UTC'): string[] {
  const keys = new Set<string>();
  for (const p of prepare(candidates, tz)) {
    for (const r of routes) {
      if (!r.suppress || !r.on.includes(p.c.kind) || !routeMatches(r, p.c.detection)) continue;
      for (const action of r.actions) keys.add(suppressionKey(action, p.c, p.json, r.suppress));
    }
  }
  return [...keys];
}

/**
 * Outbox items to add and suppressions to remember. Per candidate, per matching route, per action: the
 * item is withheld when the route suppresses and its key is active (in `active`, or set by an earlier
 * candidate of this same plan); otherwise it is enqueued and its key is remembered until now + period.
 * Several routes reaching the same action enqueue one item (same deterministic id).
 */
export function planAlerts(input: PlanInput): AlertPlan {
  const { routes, now, active } = input;
  const outbox = new Map<string, RunCommit['outbox'][number]>();
  const until = new Map<string, number>();
  let suppressed = 0;
  for (const p of prepare(input.candidates, input.tz ?? 'UTC')) {
    const { c } = p;
    for (const r of routes) {
      if (!r.on.includes(c.kind) || !routeMatches(r, c.detection)) continue;
      for (const action of r.actions) {
        const id = outboxId(action, c.kind, c.detection.id, c.scheduledTime, p.itemKey);
        if (r.suppress) {
          const key = suppressionKey(action, c, p.json, r.suppress);
          if (active.has(key) || (until.get(key) ?? -Infinity) > now) {
            suppressed++;
            continue;
          }
          until.set(key, Math.max(until.get(key) ?? -Infinity, now + r.suppress.periodSeconds));
        }
        if (outbox.has(id)) continue;
        const payload: AlertPayload = { kind: c.kind, detection: { id: c.detection.id, name: c.detection.name }, scheduled_time: c.scheduledTime, time: p.time, data: p.json };
        outbox.set(id, { id, action, payload: JSON.stringify(payload), createdAt: now, nextAttemptAt: now });
      }
    }
  }
  return { outbox: [...outbox.values()], suppressions: [...until].map(([key, u]) => ({ key, until: u })), suppressed };
}

/** `suppressionKeys` → `state.suppressed` → `planAlerts`, for callers holding the store. */
export async function planAlertsWithState(state: Pick<StateStore, 'suppressed'>, input: Omit<PlanInput, 'active'>): Promise<AlertPlan> {
  const keys = suppressionKeys(input.routes, input.candidates, input.tz);
  const active = keys.length ? await state.suppressed(keys, input.now) : new Set<string>();
  return planAlerts({ ...input, active });
}

/**
 * The idempotency key of a delivery: the same action, kind, detection, scheduled time and item always
 * give the same id, so re-running a window can never produce a second, different delivery.
 */
export function outboxId(action: string, kind: AlertKind, detectionId: string, scheduledTime: number, itemKey: string): string {
  return sha256(JSON.stringify(['vigil-alert/1', action, kind, detectionId, scheduledTime, itemKey]));
}

/**
 * ES `alert.suppress`: the key is the action, detection and kind plus the values of the suppress fields
 * (a missing field counts as null, a multivalue as its list of values in order). Readable prefix for
 * debugging, hashed values so the key stays short.
 */
export function suppressionKey(action: string, c: Pick<AlertCandidate, 'kind' | 'detection'>, data: JsonResult, s: SuppressConfig): string {
  const values = s.fields.map((f) => [f, data[f] ?? null]);
  return `${action}|${c.detection.id}|${c.kind}|${sha256(JSON.stringify(values))}`;
}

/**
 * A finding as an alert candidate: its result row (`detail`) plus its identity and triage fields, keyed by
 * the finding's deterministic id.
 */
export function findingCandidate(f: FindingRecord, scheduledTime = f.time): AlertCandidate {
  let detail: JsonResult = {};
  try {
    const parsed: unknown = JSON.parse(f.detail);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) detail = parsed as JsonResult;
  } catch {
    // A detail that is not JSON still alerts, with the record's own fields.
  }
  const data: JsonResult = {
    ...detail,
    finding_id: f.id,
    rule_id: f.ruleId,
    rule_name: f.ruleName,
    risk_object: f.riskObject,
    risk_object_type: f.riskObjectType,
    risk_score: f.riskScore,
    status: f.status,
  };
  if (f.owner !== null) data['owner'] = f.owner;
  return { kind: 'finding', detection: { id: f.ruleId, name: f.ruleName }, scheduledTime, time: f.time, key: f.id, data };
}

function isResult(d: Result | JsonResult): d is Result {
  return typeof (d as Result).fieldNames === 'function';
}

function prepare(candidates: readonly AlertCandidate[], tz: string): Prepared[] {
  const seen = new Map<string, number>();
  return candidates.map((c) => {
    const json = isResult(c.data) ? resultToJson(c.data, tz) : c.data;
    const rawTime = isResult(c.data) ? c.data.get('_time') : c.data['_time'];
    const time = c.time ?? (typeof rawTime === 'number' ? rawTime : c.scheduledTime);
    let itemKey = c.key;
    if (itemKey === undefined) {
      // Hash the raw values (epoch `_time`), not the rendering, so a time zone change keeps the ids.
      const content = sha256(canonicalJson(isResult(c.data) ? toObject(c.data) : c.data));
      const scope = JSON.stringify([c.kind, c.detection.id, c.scheduledTime, content]);
      const n = seen.get(scope) ?? 0;
      seen.set(scope, n + 1);
      itemKey = `${content}#${n}`;
    }
    return { c, json, itemKey, time };
  });
}
