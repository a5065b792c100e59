import { Row, type Result } from '../events/result.js';
import { toNumber, toText, valuesOf, type FieldValue, type Scalar } from '../events/value.js';
import type { Detection } from '../detections/detection.js';
import { ATTACK_TECHNIQUES, tacticIds, tacticsOf } from '../detections/attack.js';
import { MESSAGE_TOKEN } from '../detections/risk-message.js';
import type { SearchWindow } from '../detections/run.js';

/** A risk message template in pieces: literal text, or a `$field$` token's field. */
type MessagePart = string | { readonly field: string };

/** `template` split at its tokens (`$$` becomes a literal `$`): parsed once, rendered per event. */
function compileMessage(template: string): readonly MessagePart[] {
  const parts: MessagePart[] = [];
  let literal = '';
  let last = 0;
  for (const m of template.matchAll(MESSAGE_TOKEN)) {
    literal += template.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1] === undefined) literal += '$';
    else {
      parts.push(literal, { field: m[1] });
      literal = '';
    }
  }
  parts.push(literal + template.slice(last));
  return parts;
}

/**
 * Renders a risk message: `$field$` is replaced by the value `get` gives. A field the result lacks renders
 * as the empty string (Splunk's token substitution does the same, silently); a multivalue as its values
 * joined by ", ". `$$` is a literal dollar sign.
 */
function renderMessage(parts: readonly MessagePart[], get: (field: string) => FieldValue | null): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : valuesOf(get(p.field)).map(toText).join(', ');
  return out;
}

/** Compiled templates a maker keeps: its risk objects' and the rows' own (`risk_message` fields), which may all differ. */
const MAX_COMPILED_MESSAGES = 256;

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
  const make = riskEventMaker(detection, searchTime, window);
  const out: Row[] = [];
  for (const row of rows) make(row, out);
  return out;
}

/** Where a maker puts a row's events: an array, or a writer whose `push` returns false to stop the row's next events. */
export interface RiskEventSink {
  push(ev: Row): unknown;
}

/**
 * riskEventsFor one row at a time: `make(row, out)` appends the row's risk events to `out` (until its push returns false:
 * one row of a 1,000,000-value risk field is a million events). What every event of the
 * detection shares (its ATT&CK annotations, stories, window, message templates) is worked out once, here, and
 * a printer can write each row's events and let them go (`vigil run --risk`: 216k events were 7 s of building,
 * copying and collecting when made all at once).
 */
export function riskEventMaker(detection: Detection, searchTime: number, window: SearchWindow = ALL_TIME): (row: Result, out: RiskEventSink) => void {
  const techniques = detection.mitreAttackIds;
  const tactics = [...new Set(techniques.flatMap(tacticsOf))].map(tacticIds);
  // ES's ATT&CK enrichment names each technique (a sub-technique by its own name, as ATT&CK does); an id vigil does not know has none.
  const techniqueNames = techniques.flatMap((id) => ATTACK_TECHNIQUES.get(id)?.name ?? []);
  // Every event's fields after its risk and threat objects, in ES's order; the lists are shared (values are read only).
  const common: readonly (readonly [string, FieldValue | null])[] = [
    ['search_name', detection.name],
    ['detection_id', detection.id],
    ['detection_type', detection.type],
    ['annotations.mitre_attack', list(techniques)],
    ['annotations.mitre_attack.mitre_technique_id', list(techniques)],
    ['annotations.mitre_attack.mitre_technique', list(techniqueNames)],
    ['annotations.mitre_attack.mitre_tactic', list(tactics.map((t) => t.shortName))],
    ['annotations.mitre_attack.mitre_tactic_id', list(tactics.map((t) => t.id))],
    ['annotations.analytic_story', list(detection.analyticStories)],
    ['analyticstories', list(detection.analyticStories)],
    ['info_min_time', window.earliest ?? 0],
    ['info_max_time', window.latest ?? '+Infinity'],
    ['info_search_time', searchTime],
  ];
  const messages = new Map<string, readonly MessagePart[]>();
  const message = (template: string): readonly MessagePart[] => {
    let parts = messages.get(template);
    if (parts === undefined) {
      parts = compileMessage(template);
      if (messages.size < MAX_COMPILED_MESSAGES) messages.set(template, parts);
    }
    return parts;
  };
  return (row, out) => {
    // ES reads the result's own risk fields with `result.get(name)`, which an empty value fails: then the definition's.
    const own = (f: string): FieldValue | null => {
      const v = row.get(f);
      return v === '' ? null : v;
    };
    const threatValues: string[] = [];
    const threatTypes: string[] = [];
    for (const t of detection.threatObjects) {
      for (const v of nonEmpty(row.get(t.field))) {
        threatValues.push(toText(v));
        threatTypes.push(t.type);
      }
    }
    const threatObject = own('threat_object') ?? list(threatValues);
    const threatObjectType = own('threat_object_type') ?? list(threatTypes);
    const rowTime = row.get('_time');
    const t = typeof rowTime === 'number' ? rowTime : searchTime;
    const rowScore = row.get('risk_score');
    // ES: float(risk_score), and 1.0 when that fails.
    const score = rowScore === null ? null : (toNumber(valuesOf(rowScore)[0]) ?? 1);
    // ES drops a multivalue message's empty values before joining the rest.
    const rowMessages = nonEmpty(row.get('risk_message')).filter((m) => m !== '');
    const ownObject = own('risk_object') !== null;
    const ownType = own('risk_object_type');
    const names = row.fieldNames();
    for (const ro of detection.riskObjects) {
      const field = ownObject ? 'risk_object' : ro.field;
      // The events of one risk object differ in their message only through $risk_object$: without it the message is
      // rendered once and shared (a 20,000-value risk field and its $field$ in the message were 20,000 copies of a
      // 240 KB message: 4 GB, out of memory).
      let shared: string | undefined;
      for (const value of nonEmpty(row.get(field))) {
        const ev = new Row();
        const riskObject = toText(value);
        const riskObjectType = ownType ?? ro.type;
        const riskScore = score ?? ro.score;
        ev.set('_time', t);
        ev.set('risk_object', riskObject);
        ev.set('risk_object_type', riskObjectType);
        ev.set('risk_object_field', ro.field);
        ev.set('risk_score', riskScore);
        // ES expands the tokens over the result with this event's risk and threat object fields set.
        const get = (f: string): FieldValue | null =>
          f === 'risk_object' ? riskObject : f === 'risk_object_type' ? riskObjectType : f === 'risk_score' ? riskScore : f === 'threat_object' ? threatObject : f === 'threat_object_type' ? threatObjectType : row.get(f);
        let text = shared;
        if (text === undefined) {
          const templates = rowMessages.length ? rowMessages.map((m) => message(toText(m))) : [message(ro.message)];
          text = templates.map((parts) => renderMessage(parts, get)).join('\n');
          if (!templates.some(usesRiskObject)) shared = text;
        }
        ev.set('risk_message', text);
        ev.set('threat_object', threatObject);
        ev.set('threat_object_type', threatObjectType);
        for (const [name, v] of common) ev.set(name, v);
        for (const f of names) {
          const name = stashName(f, row);
          const v = row.get(f);
          if (name !== null && v !== '' && ev.get(name) === null) ev.set(name, v);
        }
        if (out.push(ev) === false) return;
      }
    }
  };
}

const ALL_TIME: SearchWindow = { earliest: null, latest: null };

/** Whether a compiled message renders each event's own risk object. */
function usesRiskObject(parts: readonly MessagePart[]): boolean {
  return parts.some((p) => typeof p !== 'string' && p.field === 'risk_object');
}

/** A field's values, but none for an empty single value (ES's risk action skips a field whose value is ""). */
function nonEmpty(v: FieldValue | null): readonly Scalar[] {
  return v === '' ? [] : valuesOf(v);
}

/** stashName's answer for `orig_<mapped name>`: dropped when the row has `<name>` (mapped over it), else kept. */
const UNLESS_MAPPED = Symbol('unless mapped');

/**
 * A result field's name in its risk event, as ES's risk action writes stash events (Splunk_SA_CIM
 * cim_actions.py `result2stash`, `default_mapexp`/`default_dropexp`): metadata and a few reserved names
 * become `orig_<name>` (`_time` → `orig_time`), other `_` fields, `date_*`, `punct`, `sid`, `rid`, `orig_sid`,
 * `orig_rid` and an `orig_<name>` that a mapped field replaces are dropped (null). `_raw` is dropped too
 * (ES keeps it as `orig_raw`; docs/spl.md).
 */
function stashName(f: string, row: Result): string | null {
  let name = STASH_NAMES.get(f);
  if (name === undefined) {
    name = stashNameOf(f);
    // Rows share their field names; the names of hostile rows are not kept past the cap, nor long ones (megabytes).
    if (STASH_NAMES.size < MAX_STASH_NAMES && f.length <= MAX_CACHED_STASH_NAME) STASH_NAMES.set(f, name);
  }
  return name !== UNLESS_MAPPED ? name : row.get(f.slice(5)) !== null ? null : f;
}

const STASH_NAMES = new Map<string, string | null | typeof UNLESS_MAPPED>();
const MAX_STASH_NAMES = 4096;
const MAX_CACHED_STASH_NAME = 128;

function stashNameOf(f: string): string | null | typeof UNLESS_MAPPED {
  if (mapped(f)) return `orig_${f.replace(/^_+/, '')}`;
  if (f.startsWith('_') || f.startsWith('date_') || STASH_DROPPED.has(f)) return null;
  return f.startsWith('orig_') && mapped(f.slice(5)) ? UNLESS_MAPPED : f;
}

function mapped(f: string): boolean {
  return STASH_MAPPED.has(f) || f.startsWith('tag::');
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
