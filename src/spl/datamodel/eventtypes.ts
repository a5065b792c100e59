import type { Result } from '../../events/result.js';
import { compareText, mv, sortTexts, type FieldValue } from '../../events/value.js';
import type { DerivedFields } from '../../normalize/event-result.js';
import type { SearchExpr, SearchValue } from '../parse/ast.js';
import { valueMatcher, type RowPredicate } from '../search/predicate.js';
import type { Span } from '../source.js';

/** An event type as the expansion needs it: its search (null: every event) and its tags. */
export interface ExpandableEventType {
  name: string;
  tags: readonly string[];
  expr: SearchExpr | null;
}

/** The search-time fields event types give events. */
export const TAG_FIELD = 'tag';
export const EVENTTYPE_FIELD = 'eventtype';

/**
 * Rewrites `tag=<v>`, `tag!=<v>`, `tag IN (...)`, and the same on `eventtype`, into the searches of the event
 * types they stand for, as Splunk does ("tag=process" is the OR of the event types tagged `process`). The
 * result matches exactly the events the lazily computed fields (derivedFields) would, and is plain search
 * language: the planner derives metadata pushdowns and raw-text prefilters from it. Values match tag and
 * event type names as search values match field values (case-insensitive, `*` wildcards). Inserted
 * subtrees carry the span of the term they replace, so any message about them points at the user's term.
 * Other comparisons (`tag<x`) stay as they are and read the computed field.
 */
export function expandEventTypeTerms(e: SearchExpr | null, types: readonly ExpandableEventType[]): SearchExpr | null {
  if (e === null || types.length === 0) return e;
  return expand(e, types);
}

function expand(e: SearchExpr, types: readonly ExpandableEventType[]): SearchExpr {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { ...e, items: e.items.map((i) => expand(i, types)) };
    case 'not':
      return { ...e, expr: expand(e.expr, types) };
    case 'compare': {
      if ((e.field !== TAG_FIELD && e.field !== EVENTTYPE_FIELD) || (e.op !== '=' && e.op !== '!=')) return e;
      const matching = anyOf(selected(e.field, [e.value], e.caseSensitive, types), e.span);
      if (e.op === '=') return matching;
      // `f!=v`: the event has the field (some event type, some tag) and no value of it matches.
      const all = anyOf(e.field === TAG_FIELD ? types.filter((t) => t.tags.length > 0) : types, e.span);
      return { kind: 'and', items: [all, { kind: 'not', expr: matching, span: e.span }], span: e.span };
    }
    case 'in':
      if (e.field !== TAG_FIELD && e.field !== EVENTTYPE_FIELD) return e;
      return anyOf(selected(e.field, e.values, false, types), e.span);
    default:
      return e;
  }
}

/** The event types whose name (eventtype) or some tag (tag) matches one of `values`. */
function selected(field: string, values: readonly SearchValue[], caseSensitive: boolean, types: readonly ExpandableEventType[]): ExpandableEventType[] {
  const ms = values.map((v) => valueMatcher(v, caseSensitive));
  const hit = (name: string) => ms.some((m) => m(name));
  return types.filter((t) => (field === EVENTTYPE_FIELD ? hit(t.name) : t.tags.some(hit)));
}

/** The OR of the event types' searches (an empty OR matches nothing; an event type without a search, everything). */
function anyOf(types: readonly ExpandableEventType[], at: Span): SearchExpr {
  const items = types.map((t) => (t.expr === null ? ({ kind: 'and', items: [], span: at } as SearchExpr) : respan(t.expr, at)));
  return items.length === 1 ? items[0]! : { kind: 'or', items, span: at };
}

/** A copy of an expression whose spans are all `at`. */
export function respan(e: SearchExpr, at: Span): SearchExpr {
  const v = (x: SearchValue): SearchValue => ({ ...x, span: at });
  switch (e.kind) {
    case 'and':
    case 'or':
      return { ...e, items: e.items.map((i) => respan(i, at)), span: at };
    case 'not':
      return { ...e, expr: respan(e.expr, at), span: at };
    case 'compare':
    case 'indexed':
      return { ...e, value: v(e.value), fieldSpan: at, span: at };
    case 'in':
      return { ...e, values: e.values.map(v), fieldSpan: at, span: at };
    case 'term':
    case 'time':
      return { ...e, value: v(e.value), span: at };
    case 'subsearch':
      return { ...e, span: at };
  }
}

/** An event type ready to match events. */
export interface MatchingEventType {
  name: string;
  tags: readonly string[];
  matches: RowPredicate;
}

/**
 * `eventtype` (the names of the event types an event matches) and `tag` (their tags, each once), both in
 * byte order, computed per event on first read (normalize/event-result.ts). Null when there are no event
 * types: the fields then never exist.
 */
export function eventTypeFields(types: readonly MatchingEventType[]): DerivedFields | null {
  if (types.length === 0) return null;
  const sorted = [...types].sort((a, b) => compareText(a.name, b.name));
  // The fields depend only on which event types match: each combination's (read-only) fields are built
  // once and shared, so an event costs its event types' tests and no allocation (a summary builder
  // computes them for every event). Keyed by a bitmask, or by the matched positions past 30 types.
  const byMatches = new Map<number | string, ReadonlyMap<string, FieldValue>>();
  const fieldsOf = (matched: readonly MatchingEventType[]): ReadonlyMap<string, FieldValue> => {
    const tags = new Set<string>();
    for (const t of matched) for (const tag of t.tags) tags.add(tag);
    const out = new Map<string, FieldValue>();
    const et = mv(matched.map((t) => t.name));
    if (et !== null) out.set(EVENTTYPE_FIELD, et);
    const tg = mv(sortTexts([...tags]));
    if (tg !== null) out.set(TAG_FIELD, tg);
    return out;
  };
  return {
    names: new Set([EVENTTYPE_FIELD, TAG_FIELD]),
    compute(event: Result): ReadonlyMap<string, FieldValue> {
      let mask = 0;
      let positions = sorted.length > 30 ? '' : null;
      for (let i = 0; i < sorted.length; i++) {
        if (!sorted[i]!.matches(event)) continue;
        if (positions === null) mask |= 1 << i;
        else positions += `${i},`;
      }
      const key = positions ?? mask;
      let out = byMatches.get(key);
      if (out === undefined) {
        out = fieldsOf(sorted.filter((t) => t.matches(event))); // a new combination: tested again, once
        if (byMatches.size < MAX_MATCH_COMBINATIONS) byMatches.set(key, out);
      }
      return out;
    },
  };
}

/** Combinations of matching event types whose fields are kept (far more than content has in practice). */
const MAX_MATCH_COMBINATIONS = 4096;
