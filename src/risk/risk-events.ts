import { Row, type Result } from '../events/result.js';
import { toNumber, toText, valuesOf, type FieldValue, type Scalar } from '../events/value.js';
import type { Detection } from '../detections/detection.js';
import { tacticIds, tacticsOf } from '../detections/attack.js';
import { MESSAGE_TOKEN } from '../detections/risk-message.js';
import type { SearchWindow } from '../detections/run.js';

/**
 * Renders a risk message: `$field$` is replaced by the value `get` gives. A field the result lacks renders
 * as the empty string (Splunk's token substitution does the same, silently); a multivalue as its values
 * joined by ", ". `$$` is a literal dollar sign.
 */
function renderRiskMessage(template: string, get: (field: string) => FieldValue | null): string {
  return template.replace(MESSAGE_TOKEN, (_m, name: string | undefined) =>
    name === undefined ? '$' : valuesOf(get(name)).map(toText).join(', '));
}

/**
 * Turns a detection's result rows into risk events as ES's risk action (`RiskModularAction.dowork`) writes them: one
 * event per risk object value per row (a multivalue risk-object field yields one event per value; a missing
 * or empty one none). A row's own `risk_object` field replaces every definition's field, and its
 * `risk_object_type`, `risk_score`, `threat_object`/`threat_object_type` and `risk_message` (a template,
 * its values rendered and joined by newlines) replace the detection's, unless empty (`risk_score` even then: 1). `_time` is the row's `_time` when it
 * has one, else the search time. Each event has the search's `info_min_time`, `info_max_time` (`window`, its
 * bounds as ES writes an unbounded one: 0 and "+Infinity") and `info_search_time` (`searchTime`), as ES's
 * action writes them (`result2stash(..., addinfo=True)`), over the result's own.
 */
export function riskEventsFor(detection: Detection, rows: readonly Result[], searchTime: number, window: SearchWindow = ALL_TIME): Row[] {
  const out: Row[] = [];
  const techniques = detection.mitreAttackIds;
  const tactics = [...new Set(techniques.flatMap(tacticsOf))].map(tacticIds);
  const tacticNames = tactics.map((t) => t.shortName);
  const tacticIdList = tactics.map((t) => t.id);
  for (const row of rows) {
    // ES reads the result's own risk fields with `result.get(name)`, which an empty value fails: then the definition's.
    const own = (f: string): FieldValue | null => (row.get(f) === '' ? null : row.get(f));
    const threatValues: string[] = [];
    const threatTypes: string[] = [];
    for (const t of detection.threatObjects) {
      for (const v of nonEmpty(row.get(t.field))) {
        threatValues.push(toText(v));
        threatTypes.push(t.type);
      }
    }
    const threat = new Row({ threat_object: own('threat_object') ?? list(threatValues), threat_object_type: own('threat_object_type') ?? list(threatTypes) });
    const rowTime = row.get('_time');
    const t = typeof rowTime === 'number' ? rowTime : searchTime;
    const rowScore = row.get('risk_score');
    // ES: float(risk_score), and 1.0 when that fails.
    const score = rowScore === null ? null : (toNumber(valuesOf(rowScore)[0]) ?? 1);
    // ES drops a multivalue message's empty values before joining the rest.
    const rowMessages = nonEmpty(row.get('risk_message')).filter((m) => m !== '');
    for (const ro of detection.riskObjects) {
      const field = own('risk_object') !== null ? 'risk_object' : ro.field;
      for (const value of nonEmpty(row.get(field))) {
        const ev = new Row();
        ev.set('_time', t);
        ev.set('risk_object', toText(value));
        ev.set('risk_object_type', own('risk_object_type') ?? ro.type);
        ev.set('risk_object_field', ro.field);
        ev.set('risk_score', score ?? ro.score);
        // ES expands the tokens over the result with this event's risk and threat object fields set.
        const get = (f: string): FieldValue | null => (RISK_FIELDS.has(f) ? ev.get(f) : THREAT_FIELDS.has(f) ? threat.get(f) : row.get(f));
        const templates = rowMessages.length ? rowMessages.map(toText) : [ro.message];
        ev.set('risk_message', templates.map((m) => renderRiskMessage(m, get)).join('\n'));
        for (const f of THREAT_FIELDS) ev.set(f, threat.get(f));
        ev.set('search_name', detection.name);
        ev.set('detection_id', detection.id);
        ev.set('detection_type', detection.type);
        ev.set('annotations.mitre_attack', list(techniques));
        ev.set('annotations.mitre_attack.mitre_technique_id', list(techniques));
        ev.set('annotations.mitre_attack.mitre_tactic', list(tacticNames));
        ev.set('annotations.mitre_attack.mitre_tactic_id', list(tacticIdList));
        ev.set('annotations.analytic_story', list(detection.analyticStories));
        ev.set('analyticstories', list(detection.analyticStories));
        ev.set('info_min_time', window.earliest ?? 0);
        ev.set('info_max_time', window.latest ?? '+Infinity');
        ev.set('info_search_time', searchTime);
        for (const f of row.fieldNames()) {
          const name = stashName(f, row);
          const v = row.get(f);
          if (name !== null && v !== '' && ev.get(name) === null) ev.set(name, v);
        }
        out.push(ev);
      }
    }
  }
  return out;
}

const ALL_TIME: SearchWindow = { earliest: null, latest: null };

const RISK_FIELDS: ReadonlySet<string> = new Set(['risk_object', 'risk_object_type', 'risk_score']);
const THREAT_FIELDS: ReadonlySet<string> = new Set(['threat_object', 'threat_object_type']);

/** A field's values, but none for an empty single value (ES's risk action skips a field whose value is ""). */
function nonEmpty(v: FieldValue | null): readonly Scalar[] {
  return v === '' ? [] : valuesOf(v);
}

/**
 * A result field's name in its risk event, as ES's risk action writes stash events (Splunk_SA_CIM
 * cim_actions.py `result2stash`, `default_mapexp`/`default_dropexp`): metadata and a few reserved names
 * become `orig_<name>` (`_time` → `orig_time`), other `_` fields, `date_*`, `punct`, `sid`, `rid`, `orig_sid`,
 * `orig_rid` and an `orig_<name>` that a mapped field replaces are dropped (null). `_raw` is dropped too
 * (ES keeps it as `orig_raw`; docs/spl.md).
 */
function stashName(f: string, row: Result): string | null {
  const mapped = (k: string): boolean => STASH_MAPPED.has(k) || k.startsWith('tag::');
  if (mapped(f)) return `orig_${f.replace(/^_+/, '')}`;
  if (f.startsWith('_') || f.startsWith('date_') || STASH_DROPPED.has(f)) return null;
  if (f.startsWith('orig_') && mapped(f.slice(5)) && row.get(f.slice(5)) !== null) return null;
  return f;
}

const STASH_MAPPED: ReadonlySet<string> = new Set([
  '_bkt', '_cd', '_time', 'splunk_server', 'index', 'source', 'sourcetype', 'host', 'linecount', 'timestartpos',
  'timeendpos', 'eventtype', 'tag', 'search_name', 'event_hash', 'event_id',
]);
const STASH_DROPPED: ReadonlySet<string> = new Set(['punct', 'sid', 'rid', 'orig_sid', 'orig_rid']);

function list(values: readonly Scalar[]): FieldValue | null {
  if (values.length === 0) return null;
  return values.length === 1 ? values[0]! : [...values];
}
