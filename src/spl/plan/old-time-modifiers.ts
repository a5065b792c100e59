import type { SearchExpr } from '../parse/ast.js';
import { SplError, type SourceText } from '../source.js';
import { ABSOLUTE_TIME_FORMAT } from '../time/modifiers.js';
import { strptime } from '../time/format.js';

/**
 * The search time modifiers Splunk still takes beside earliest=/latest= (Search Reference, "Time modifiers",
 * "Other time modifiers": "still valid, but might be removed"), as the earliest=/latest= they stand for. Read as
 * field comparisons they matched nothing, silently.
 */
const AGO: Readonly<Record<string, { which: 'earliest' | 'latest'; unit: string }>> = {
  // "Search events within the last integer number of days" (and hours, minutes, months).
  daysago: { which: 'earliest', unit: 'd' },
  hoursago: { which: 'earliest', unit: 'h' },
  minutesago: { which: 'earliest', unit: 'm' },
  monthsago: { which: 'earliest', unit: 'mon' },
  // "Search the specified number of days before the present time."
  startdaysago: { which: 'earliest', unit: 'd' },
  starthoursago: { which: 'earliest', unit: 'h' },
  startminutesago: { which: 'earliest', unit: 'm' },
  startmonthsago: { which: 'earliest', unit: 'mon' },
  // "Set an end time for an integer number of days before Now."
  enddaysago: { which: 'latest', unit: 'd' },
  endhoursago: { which: 'latest', unit: 'h' },
  endminutesago: { which: 'latest', unit: 'm' },
  endmonthsago: { which: 'latest', unit: 'mon' },
};
/** "Search for events starting from the specific UNIX time", "before the specific UNIX time". */
const EPOCH: Readonly<Record<string, 'earliest' | 'latest'>> = { starttimeu: 'earliest', endtimeu: 'latest' };
/** "Search from the specified date and time", "before the specified time", read with `timeformat=`. */
const TIMESTAMP: Readonly<Record<string, 'earliest' | 'latest'>> = { starttime: 'earliest', endtime: 'latest' };
/** "Search within a specified range of days": the reference does not say where the range starts or ends. */
const SPAN = new Set(['searchtimespandays', 'searchtimespanhours', 'searchtimespanminutes', 'searchtimespanmonths']);

type Compare = Extract<SearchExpr, { kind: 'compare' }>;

function modifierName(e: SearchExpr): string | null {
  if (e.kind !== 'compare' || e.op !== '=') return null;
  const name = e.field.toLowerCase();
  return Object.hasOwn(AGO, name) || Object.hasOwn(EPOCH, name) || Object.hasOwn(TIMESTAMP, name) || SPAN.has(name) || name === 'timeformat' ? name : null;
}

function hasModifier(e: SearchExpr): boolean {
  if (modifierName(e) !== null) return true;
  if (e.kind === 'and' || e.kind === 'or') return e.items.some(hasModifier);
  if (e.kind === 'not') return hasModifier(e.expr);
  return false;
}

/**
 * `e` (the first search) with those modifiers made `earliest=`/`latest=` terms (so the time rules apply to them:
 * the search's range at the top, windows under OR) and `timeformat=` taken out; `tz` reads starttime/endtime.
 */
export function oldTimeModifiers(e: SearchExpr, tz: string, source: SourceText): SearchExpr {
  if (!hasModifier(e)) return e;
  const formats: Compare[] = [];
  const find = (x: SearchExpr): void => {
    if (modifierName(x) === 'timeformat') formats.push(x as Compare);
    else if (x.kind === 'and' || x.kind === 'or') x.items.forEach(find);
    else if (x.kind === 'not') find(x.expr);
  };
  find(e);
  const format = formats.length > 0 ? formats[formats.length - 1]!.value.value : ABSOLUTE_TIME_FORMAT;
  const map = (x: SearchExpr): SearchExpr => {
    if (x.kind === 'and' || x.kind === 'or') return { ...x, items: x.items.map(map) };
    if (x.kind === 'not') return { ...x, expr: map(x.expr) };
    const name = modifierName(x);
    if (name === null || x.kind !== 'compare') return x;
    const { value } = x;
    const time = (which: 'earliest' | 'latest', text: string): SearchExpr => ({ kind: 'time', which, value: { ...value, value: text }, span: x.span });
    if (name === 'timeformat') return { kind: 'and', items: [], span: x.span };
    if (SPAN.has(name)) throw new SplError('SPL_UNSUPPORTED_COMMAND', `${name}= is not supported (the reference does not say where its range starts): use earliest= and latest=`, x.span, source);
    if (Object.hasOwn(TIMESTAMP, name)) {
      const t = strptime(value.value, format, tz);
      if (t === null || t < 0) throw new SplError('TIME_MODIFIER', `${name}="${value.value}" is not a time written as timeformat ${format}`, value.span, source);
      return time(TIMESTAMP[name]!, String(t));
    }
    if (!/^\d+$/.test(value.value)) throw new SplError('TIME_MODIFIER', `${name}= takes a whole number, not "${value.value}"`, value.span, source);
    if (Object.hasOwn(EPOCH, name)) return time(EPOCH[name]!, value.value);
    const ago = AGO[name]!;
    return time(ago.which, `-${value.value}${ago.unit}`);
  };
  return map(e);
}
