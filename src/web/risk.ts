import type { ContentPack } from '../detections/content.js';
import type { Result } from '../events/result.js';
import { toNumber, toText, valuesOf } from '../events/value.js';
import { resultToJson } from '../outputs/json.js';
import { tacticName, tacticsOf } from '../detections/attack.js';
import type { FindingRecord } from '../store/types.js';
import type { FindingStatus, FindingSummary, Overview, ProcessNode, ProcessTreeInfo, RiskEvent, RiskObjectDetail, RiskSeries, TimeRange } from './api-types.js';
import { querySpl, type ApiDeps } from './context.js';
import { riskEventsSearch, splQuote } from './spl-quote.js';

/** Bucket widths for risk-over-time charts: about 24-100 buckets over the range. */
const SPANS = [60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];

export function chartSpan(range: number): number {
  for (const s of SPANS) if (range / s <= 100) return s;
  return SPANS[SPANS.length - 1]!;
}

function text(r: Result, f: string): string {
  const v = valuesOf(r.get(f))[0];
  return v === undefined ? '' : toText(v);
}

function num(r: Result, f: string): number {
  return toNumber(valuesOf(r.get(f))[0] ?? null) ?? 0;
}

function texts(r: Result, f: string): string[] {
  return valuesOf(r.get(f)).map(toText);
}

/** Where the overview's range starts when it is "all time": the risk index's first event. */
async function effectiveEarliest(deps: ApiDeps, range: TimeRange): Promise<number> {
  if (range.earliest !== null) return range.earliest;
  const risk = (await deps.store.indexes()).find((i) => i.name === 'risk');
  return Math.min(risk?.earliest ?? range.latest - 86400, range.latest - 60);
}

export function findingSummary(f: FindingRecord): FindingSummary {
  return {
    id: f.id,
    ruleId: f.ruleId,
    ruleName: f.ruleName,
    time: f.time,
    riskObject: f.riskObject,
    riskObjectType: f.riskObjectType,
    riskScore: f.riskScore,
    status: f.status,
    owner: f.owner,
    updatedAt: f.updatedAt,
  };
}

/**
 * The risk overview: one SPL pass over index=risk aggregated by time bucket, object and detection, then
 * rolled up here into top objects, risk over time and detections that fired.
 */
export async function overview(deps: ApiDeps, range: TimeRange, top: number, signal?: AbortSignal): Promise<Overview> {
  const earliest = await effectiveEarliest(deps, range);
  const span = chartSpan(range.latest - earliest);
  const { rows } = await querySpl(
    deps,
    `index=risk | eval t=_time | bin _time span=${span}s ` +
      '| stats sum(risk_score) as score count as n max(t) as last by _time risk_object risk_object_type search_name',
    { earliest: range.earliest, latest: range.latest },
    signal ? { signal } : {},
  );
  const objects = new Map<string, { riskObject: string; riskObjectType: string; score: number; count: number; sources: Set<string>; lastSeen: number }>();
  const buckets = new Map<number, { score: number; count: number }>();
  const fired = new Map<string, { count: number; score: number; objects: Set<string> }>();
  let totalScore = 0;
  let totalEvents = 0;
  for (const r of rows) {
    const obj = text(r, 'risk_object');
    const type = text(r, 'risk_object_type');
    const name = text(r, 'search_name');
    const score = num(r, 'score');
    const n = num(r, 'n');
    const t = num(r, '_time');
    totalScore += score;
    totalEvents += n;
    const key = `${type}\u0000${obj}`;
    let o = objects.get(key);
    if (!o) objects.set(key, (o = { riskObject: obj, riskObjectType: type, score: 0, count: 0, sources: new Set(), lastSeen: 0 }));
    o.score += score;
    o.count += n;
    o.sources.add(name);
    o.lastSeen = Math.max(o.lastSeen, num(r, 'last'));
    const b = buckets.get(t) ?? { score: 0, count: 0 };
    b.score += score;
    b.count += n;
    buckets.set(t, b);
    const f = fired.get(name) ?? { count: 0, score: 0, objects: new Set<string>() };
    f.count += n;
    f.score += score;
    f.objects.add(key);
    fired.set(name, f);
  }
  const pack = deps.content();
  const byName = new Map(pack.detections.map((d) => [d.name, d.id]));
  const findingsByStatus: Record<FindingStatus, number> = { new: 0, 'in progress': 0, resolved: 0, closed: 0 };
  let findings = 0;
  for (const f of (await deps.state?.findings(range.earliest !== null ? { since: range.earliest } : {})) ?? []) {
    if (f.time >= range.latest) continue;
    findingsByStatus[f.status]++;
    findings++;
  }
  return {
    ...range,
    totals: { riskEvents: totalEvents, score: totalScore, objects: objects.size, findings },
    topObjects: [...objects.values()]
      .sort((a, b) => b.score - a.score || b.count - a.count || (a.riskObject < b.riskObject ? -1 : 1))
      .slice(0, top)
      .map((o) => ({ riskObject: o.riskObject, riskObjectType: o.riskObjectType, score: o.score, count: o.count, sources: o.sources.size, lastSeen: o.lastSeen })),
    riskOverTime: filledSeries(buckets, span, earliest, range.latest),
    findingsByStatus,
    detectionsFired: [...fired.entries()]
      .map(([name, f]) => ({ name, detectionId: byName.get(name) ?? null, count: f.count, score: f.score, objects: f.objects.size }))
      .sort((a, b) => b.score - a.score || b.count - a.count),
  };
}

/** Buckets from `earliest` to `latest`, zeros included, so charts show quiet periods. */
function filledSeries(buckets: Map<number, { score: number; count: number }>, span: number, earliest: number, latest: number): RiskSeries {
  const out: RiskSeries = { span, buckets: [] };
  const first = Math.floor(earliest / span) * span;
  if ((latest - first) / span > 2000) {
    for (const [time, b] of [...buckets].sort((a, b) => a[0] - b[0])) out.buckets.push({ time, ...b });
    return out;
  }
  for (let t = first; t < latest; t += span) {
    const b = buckets.get(t);
    out.buckets.push({ time: t, score: b?.score ?? 0, count: b?.count ?? 0 });
  }
  return out;
}

/** A risk event row (index=risk) in the console's shape. */
export function riskEventOf(r: Result, tz: string): RiskEvent {
  const techniques = texts(r, 'annotations.mitre_attack');
  const tactics = texts(r, 'annotations.mitre_attack.mitre_tactic');
  return {
    time: num(r, '_time'),
    riskEventId: text(r, 'risk_event_id') || null,
    riskObject: text(r, 'risk_object'),
    riskObjectType: text(r, 'risk_object_type'),
    score: num(r, 'risk_score'),
    message: text(r, 'risk_message'),
    searchName: text(r, 'search_name'),
    detectionId: text(r, 'detection_id') || null,
    techniques,
    // By name, as detections show them (risk events hold ATT&CK's short names, as ES writes them).
    tactics: tactics.length ? tactics.map(tacticName) : [...new Set(techniques.flatMap(tacticsOf))],
    threatObjects: texts(r, 'threat_object'),
    fields: resultToJson(r, tz),
  };
}

/** Risk events of one object over a range, newest first. */
export async function riskEventsOf(deps: ApiDeps, riskObject: string, range: { earliest: number | null; latest: number }, limit: number, signal?: AbortSignal): Promise<RiskEvent[]> {
  // The search matches case-insensitively (and `*` as a wildcard), as Splunk's does: `where` keeps the exact
  // object before `head`, so other spellings (WEB-1 for web-1) cannot take the first `limit` rows.
  const { rows } = await querySpl(deps, `${riskEventsSearch(riskObject)} | where risk_object=${splQuote(riskObject)} | head ${limit}`, range, signal ? { signal } : {});
  return rows.map((r) => riskEventOf(r, deps.tz ?? 'UTC')).filter((e) => e.riskObject === riskObject);
}

const RAW_LIMIT = 1000;
const RAW_TIME_BUDGET_MS = 3000;

/**
 * A risk object's page: its risk timeline, contributing risk events, findings, and the process tree of
 * its raw Tetragon exec events (pods by `pod_name`, nodes by `node_name`).
 */
export async function riskObjectDetail(deps: ApiDeps, riskObject: string, range: TimeRange, signal?: AbortSignal): Promise<RiskObjectDetail | null> {
  const events = await riskEventsOf(deps, riskObject, range, 1000, signal);
  const findings = ((await deps.state?.findings({ riskObject, limit: 200 })) ?? []).map(findingSummary);
  if (events.length === 0 && findings.length === 0) return null;
  const earliest = range.earliest ?? Math.min(...events.map((e) => e.time), range.latest - 3600);
  const span = chartSpan(range.latest - earliest);
  // Totals and the timeline over every risk event of the object (the list above stops at 1000).
  const { rows } = await querySpl(
    deps,
    `${riskEventsSearch(riskObject)} | bin _time span=${span}s | stats sum(risk_score) as score count as n by _time risk_object risk_object_type`,
    range,
    signal ? { signal } : {},
  );
  const buckets = new Map<number, { score: number; count: number }>();
  const byType = new Map<string, number>();
  let score = 0;
  let count = 0;
  for (const r of rows) {
    if (text(r, 'risk_object') !== riskObject) continue; // the search matches case-insensitively
    const t = num(r, '_time');
    const b = buckets.get(t) ?? { score: 0, count: 0 };
    b.score += num(r, 'score');
    b.count += num(r, 'n');
    buckets.set(t, b);
    score += num(r, 'score');
    count += num(r, 'n');
    byType.set(text(r, 'risk_object_type'), (byType.get(text(r, 'risk_object_type')) ?? 0) + num(r, 'n'));
  }
  return {
    ...range,
    riskObject,
    riskObjectType: [...byType].sort((a, b) => b[1] - a[1])[0]?.[0] ?? findings[0]?.riskObjectType ?? 'system',
    score,
    riskEventCount: count,
    timeline: filledSeries(buckets, span, earliest, range.latest),
    riskEvents: events,
    findings,
  };
}

/**
 * A risk object's process tree, from its raw Tetragon exec events (pods by `pod_name`, nodes by
 * `node_name`): from an hour before its first risk event in the range to the end of the range, the most
 * recent RAW_LIMIT events, within RAW_TIME_BUDGET_MS (what was read by then is used).
 */
export async function processTreeOf(deps: ApiDeps, riskObject: string, range: TimeRange, signal?: AbortSignal): Promise<ProcessTreeInfo> {
  const events = await riskEventsOf(deps, riskObject, range, 5000, signal);
  // Which field names the object in the raw events: the risk events carry the detection's result fields.
  const field = ['pod_name', 'node_name'].find((f) => events.some((e) => e.fields[f] === riskObject || (Array.isArray(e.fields[f]) && (e.fields[f] as unknown[]).includes(riskObject)))) ?? null;
  const out: ProcessTreeInfo = { ...range, riskObject, field, processTree: [], rawEvents: 0, rawTruncated: false };
  if (!field) return out;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), RAW_TIME_BUDGET_MS);
  try {
    const first = Math.min(...events.map((e) => e.time));
    const rawRange = { earliest: Math.max(range.earliest ?? -Infinity, first - 3600), latest: range.latest };
    // Stops at the time budget, or when the client goes away (the page was left).
    const { rows, aborted } = await querySpl(
      deps,
      `sourcetype="cisco:isovalent:processExec" ${field}=${splQuote(riskObject)} | head ${RAW_LIMIT + 1}`,
      rawRange,
      { signal: signal ? AbortSignal.any([abort.signal, signal]) : abort.signal, partialOnAbort: true },
    );
    out.rawTruncated = rows.length > RAW_LIMIT || aborted;
    const exact = rows.slice(0, RAW_LIMIT).filter((r) => texts(r, field).includes(riskObject));
    out.rawEvents = exact.length;
    out.processTree = processTree(exact, events);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

interface ExecInfo {
  key: string;
  parentKey: string;
  pid: number | null;
  name: string;
  command: string;
  time: number;
  parentPid: number | null;
  parentName: string;
  parentCommand: string;
}

/**
 * Builds parent → process trees from Tetragon exec events (linked by exec id, else by pid). Parents never
 * seen executing become roots. Siblings with the same command line fold into one node with a count, so a
 * health check run every minute is one line.
 */
export function processTree(rows: readonly Result[], riskEvents: readonly RiskEvent[]): ProcessNode[] {
  const execs: ExecInfo[] = rows.map((r) => {
    const pid = toNumber(valuesOf(r.get('process_id'))[0] ?? null);
    const ppid = toNumber(valuesOf(r.get('parent_process_id'))[0] ?? null);
    const key = text(r, 'process_exec.process.exec_id') || `pid:${pid}`;
    const parentKey = text(r, 'process_exec.parent.exec_id') || text(r, 'process_exec.process.parent_exec_id') || `pid:${ppid}`;
    return {
      key,
      parentKey,
      pid,
      name: text(r, 'process_name'),
      command: text(r, 'process') || text(r, 'process_name'),
      time: num(r, '_time'),
      parentPid: ppid,
      parentName: text(r, 'parent_process_name'),
      parentCommand: text(r, 'parent_process') || text(r, 'parent_process_name'),
    };
  });
  const flaggedCommands = new Set(riskEvents.flatMap((e) => [e.fields['process'], e.fields['parent_process']]).flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)])));
  const nodes = new Map<string, ProcessNode & { parentKey: string | null }>();
  for (const e of [...execs].sort((a, b) => a.time - b.time)) {
    if (nodes.has(e.key)) continue;
    nodes.set(e.key, { pid: e.pid, name: e.name, command: e.command, time: e.time, count: 1, flagged: flaggedCommands.has(e.command), children: [], parentKey: e.parentKey });
  }
  for (const e of execs) {
    if (!nodes.has(e.parentKey)) {
      nodes.set(e.parentKey, { pid: e.parentPid, name: e.parentName, command: e.parentCommand, time: null, count: 1, flagged: flaggedCommands.has(e.parentCommand), children: [], parentKey: null });
    }
  }
  const roots: ProcessNode[] = [];
  for (const [key, n] of nodes) {
    const parent = n.parentKey !== null && n.parentKey !== key ? nodes.get(n.parentKey) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  const clean = (n: ProcessNode & { parentKey?: string | null }): ProcessNode => ({
    pid: n.pid,
    name: n.name,
    command: n.command,
    time: n.time,
    count: n.count,
    flagged: n.flagged,
    children: n.children.map(clean),
  });
  return fold(roots.map(clean));
}

/** Folds siblings with the same command line (recursively), keeping the earliest time and adding counts. */
function fold(nodes: ProcessNode[]): ProcessNode[] {
  const byCommand = new Map<string, ProcessNode>();
  for (const n of nodes) {
    const k = `${n.name}\u0000${n.command}`;
    const seen = byCommand.get(k);
    if (!seen) {
      byCommand.set(k, { ...n, children: [...n.children] });
      continue;
    }
    seen.count += n.count;
    seen.flagged ||= n.flagged;
    if (n.time !== null && (seen.time === null || n.time < seen.time)) seen.time = n.time;
    if (seen.pid !== n.pid) seen.pid = null;
    seen.children.push(...n.children);
  }
  return [...byCommand.values()]
    .map((n) => ({ ...n, children: fold(n.children) }))
    .sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}

/** Finding detail's risk events: those named by `risk_event_ids`, from the rule's look-back window. */
export async function contributingRiskEvents(deps: ApiDeps, f: FindingRecord, ids: readonly string[], signal?: AbortSignal): Promise<ReturnType<typeof riskEventOf>[]> {
  const want = new Set(ids);
  const events = await riskEventsOf(deps, f.riskObject, { earliest: f.time - 8 * 86400, latest: f.time + 1 }, 20_000, signal);
  return want.size ? events.filter((e) => e.riskEventId !== null && want.has(e.riskEventId)) : events;
}

export function detectionIdByName(pack: ContentPack): Map<string, string> {
  return new Map(pack.detections.map((d) => [d.name, d.id]));
}
