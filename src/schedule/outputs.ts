import { createHash } from 'node:crypto';
import { RISK_INDEX, NOTABLE_INDEX, type Event } from '../events/event.js';
import type { Result, Row } from '../events/result.js';
import { toText, valuesKey, valuesOf } from '../events/value.js';
import type { Detection } from '../detections/detection.js';
import { riskEventMaker } from '../risk/risk-events.js';
import type { SearchWindow } from '../detections/run.js';
import { resultToJson, resultToJsonText } from '../outputs/json.js';
import { STASH_SOURCETYPE } from '../normalize/stash.js';
import type { FindingRecord } from '../store/types.js';


export function runId(detectionId: string, scheduledTime: number): string {
  return `${detectionId}@${scheduledTime}`;
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The throttle key of a result (ES alert.suppress): detection id + the values of the throttle fields (valuesKey:
 * a crafted value never makes another result's key, and so suppresses it). Null when the detection has no throttle.
 */
export function throttleKey(d: Detection, row: Result): string | null {
  if (!d.throttle) return null;
  return `throttle:${d.id}:` + valuesKey(d.throttle.fields.map((f) => valuesOf(row.get(f))));
}

/**
 * The JSON characters of one run's risk events past which no more are made (`riskEventsOfRun`'s `onCut`). Each event
 * carries its row's fields (ES's risk action writes them all): a row with an N-value risk field is N events of N values,
 * and 20,000 values were billions of characters, the server out of memory. 500,000 events of 1 KB fit.
 */
export const MAX_RUN_RISK_CHARS = 512 * 1024 * 1024;

/**
 * The risk events of a run, as stored events in index `risk`: each carries its run id and a deterministic
 * risk_event_id, so incident rules and the console can point at exactly the events that contributed. At most
 * `maxChars` of JSON: the events past it are not made, and `onCut` hears how many were.
 */
export function riskEventsOfRun(
  d: Detection,
  rows: readonly Result[],
  scheduledTime: number,
  window: SearchWindow,
  limit: { maxChars?: number; onCut?: (made: number) => void } = {},
): Event[] {
  const rid = runId(d.id, scheduledTime);
  const make = riskEventMaker(d, scheduledTime, window);
  const maxChars = limit.maxChars ?? MAX_RUN_RISK_CHARS;
  const out: Event[] = [];
  let chars = 0;
  let cut = false;
  // Each event is written out as it is made, and the row's next one only if the run's budget allows.
  const sink = {
    push: (ev: Row): boolean => {
      ev.set('run_id', rid);
      ev.set('risk_event_id', sha(`${rid}#${out.length}`));
      const raw = resultToJsonText(ev, 'UTC', '_time');
      if (chars + raw.length > maxChars) return !(cut = true);
      chars += raw.length;
      out.push({ _time: ev.get('_time') as number, index: RISK_INDEX, sourcetype: STASH_SOURCETYPE, source: d.name, host: 'vigil', _raw: raw });
      return true;
    },
  };
  for (const row of rows) {
    make(row, sink);
    if (cut) break;
  }
  if (cut) limit.onCut?.(out.length);
  return out;
}

/**
 * Findings raised by a risk incident rule (a Correlation detection): one per result row (ES: "each result returned
 * by the correlation search generates an alert" unless throttled), identified by rule + risk object + scheduled time
 * and, from an object's second row of the run on (ESCU's rules split an object's rows by tactic), the row's rank
 * among them (so re-running the same window adds nothing), with a notable event in index `notable` carrying the same data.
 */
export function findingsOfRun(d: Detection, rows: readonly Result[], scheduledTime: number): { findings: FindingRecord[]; notables: Event[] } {
  const findings: FindingRecord[] = [];
  const notables: Event[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const riskObject = toText(valuesOf(row.get('risk_object'))[0] ?? '');
    if (!riskObject) continue;
    const riskObjectType = toText(valuesOf(row.get('risk_object_type'))[0] ?? 'system');
    const score = Number(valuesOf(row.get('risk_score'))[0] ?? 0);
    const key = `${d.id}|${riskObjectType}|${riskObject}|${scheduledTime}`;
    const rank = seen.get(key) ?? 0;
    seen.set(key, rank + 1);
    // The first row keeps the id it always had: findings already stored stay the same ones.
    const id = sha(rank === 0 ? key : `${key}|${rank}`);
    const detail = resultToJson(row, 'UTC');
    findings.push({
      id,
      ruleId: d.id,
      ruleName: d.name,
      time: scheduledTime,
      riskObject,
      riskObjectType,
      riskScore: Number.isFinite(score) ? score : 0,
      detail: JSON.stringify(detail),
      status: 'new',
      owner: null,
      updatedAt: scheduledTime,
    });
    notables.push({
      _time: scheduledTime,
      index: NOTABLE_INDEX,
      sourcetype: STASH_SOURCETYPE,
      source: d.name,
      host: 'vigil',
      _raw: JSON.stringify({ finding_id: id, rule_name: d.name, rule_id: d.id, status: 'new', ...detail }),
    });
  }
  return { findings, notables };
}
