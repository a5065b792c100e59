import { Row, type Result } from '../events/result.js';
import { toText, valuesOf, type FieldValue, type Scalar } from '../events/value.js';
import type { Detection } from '../detections/detection.js';
import { tacticIds, tacticsOf } from '../detections/attack.js';
import { MESSAGE_TOKEN } from '../detections/risk-message.js';

/**
 * Renders a risk message: `$field$` is replaced by the result's value. A field the result lacks renders
 * as the empty string (Splunk's token substitution does the same, silently); a multivalue renders as its
 * values joined by ", ". `$$` is a literal dollar sign.
 */
export function renderRiskMessage(template: string, row: Result): string {
  return template.replace(MESSAGE_TOKEN, (_m, name: string) => {
    if (name === '$') return '$';
    const v = row.get(name);
    return valuesOf(v).map(toText).join(', ');
  });
}

/**
 * Turns a detection's result rows into risk events shaped like Splunk ES's risk index: one event per risk
 * object value per row (a multivalue risk-object field yields one event per value; a missing one none),
 * carrying every field of the row. `_time` is the row's `_time` when it has one, else the search time.
 */
export function riskEventsFor(detection: Detection, rows: readonly Result[], searchTime: number): Row[] {
  const out: Row[] = [];
  const techniques = detection.mitreAttackIds;
  const tactics = [...new Set(techniques.flatMap(tacticsOf))].map(tacticIds);
  const tacticNames = tactics.map((t) => t.shortName);
  const tacticIdList = tactics.map((t) => t.id);
  for (const row of rows) {
    const threatValues: string[] = [];
    const threatTypes: string[] = [];
    for (const t of detection.threatObjects) {
      for (const v of valuesOf(row.get(t.field))) {
        threatValues.push(toText(v));
        threatTypes.push(t.type);
      }
    }
    const rowTime = row.get('_time');
    const t = typeof rowTime === 'number' ? rowTime : searchTime;
    for (const ro of detection.riskObjects) {
      for (const value of valuesOf(row.get(ro.field))) {
        const ev = new Row();
        ev.set('_time', t);
        ev.set('risk_object', toText(value));
        ev.set('risk_object_type', ro.type);
        ev.set('risk_object_field', ro.field);
        ev.set('risk_score', ro.score);
        ev.set('risk_message', renderRiskMessage(ro.message, row));
        ev.set('threat_object', list(threatValues));
        ev.set('threat_object_type', list(threatTypes));
        ev.set('search_name', detection.name);
        ev.set('detection_id', detection.id);
        ev.set('detection_type', detection.type);
        ev.set('annotations.mitre_attack', list(techniques));
        ev.set('annotations.mitre_attack.mitre_technique_id', list(techniques));
        ev.set('annotations.mitre_attack.mitre_tactic', list(tacticNames));
        ev.set('annotations.mitre_attack.mitre_tactic_id', list(tacticIdList));
        ev.set('annotations.analytic_story', list(detection.analyticStories));
        ev.set('analyticstories', list(detection.analyticStories));
        for (const f of row.fieldNames()) {
          if (f === '_time' || f === '_raw') continue;
          // The risk event's own host/source/sourcetype/index/splunk_server keep these names: a result's are kept as orig_<name>,
          // as Splunk's summary (stash) events do.
          const name = STASH_METADATA.has(f) ? `orig_${f}` : f;
          if (ev.get(name) === null) ev.set(name, row.get(f));
        }
        out.push(ev);
      }
    }
  }
  return out;
}

const STASH_METADATA: ReadonlySet<string> = new Set(['host', 'source', 'sourcetype', 'index', 'splunk_server']);

function list(values: readonly Scalar[]): FieldValue | null {
  if (values.length === 0) return null;
  return values.length === 1 ? values[0]! : [...values];
}
