import { boundRawLiterals, INDEXED_FIELDS, type IndexedField, type IndexedFieldCondition, type MetadataConstraint, type MetadataField, type RawFilter, type ScanRequest } from '../../events/scan.js';
import { rawConditionFor, rawConditionForExists, rawConditionForRegex } from '../../normalize/raw-conditions.js';
import type { CommandAst, PipelineAst, SearchExpr } from '../parse/ast.js';
import { commandBlueprint } from '../commands/index.js';
import type { AnyCommand, SubsearchSpec } from '../commands/types.js';
import type { Result } from '../../events/result.js';
import { subsearchNodes, type SearchArgs } from '../commands/search.js';
import type { RegexArgs } from '../commands/regex.js';
import type { AppendpipeArgs } from '../commands/appendpipe.js';
import { rawTextRegex, translatePcre } from '../regex/pcre.js';
import { SplError, type SourceText } from '../source.js';
import { resolveTimeModifier } from '../time/modifiers.js';
import { oldTimeModifiers } from './old-time-modifiers.js';
import { VigilError } from '../../errors.js';
import { toNumber } from '../../events/value.js';
import { cidrMatcher } from '../search/cidr.js';
import type { Knowledge } from '../datamodel/types.js';

export interface PlanOptions {
  /** The search's "now" (epoch seconds): relative time modifiers resolve against it. */
  now: number;
  tz: string;
  /** The time range the search runs over unless the search sets earliest=/latest= itself. */
  earliest: TimeBound;
  latest: TimeBound;
  /** Indexes searched when the search names none. */
  defaultIndexes: readonly string[] | 'all';
  /** Whether the event source already delivers newest first (the store does; files do not). */
  sourceNewestFirst: boolean;
  /** Data models and event types (content); null: none (`tag=`/`eventtype=` then match nothing, tstats over a data model fails). */
  knowledge: Knowledge | null;
}

/** A time bound: epoch seconds, a time modifier (`-70m@m`, `now`), or null (unbounded). */
export type TimeBound = number | string | null;

export interface PlannedStage {
  command: CommandAst;
  blueprint: AnyCommand;
  /** Restore search order (newest first by the events' original _time) before this stage: order matters from here on. */
  sortBefore: boolean;
}

/**
 * The optimized plan of a search: what is pushed down into the event source (time range, metadata,
 * a necessary condition on the raw text), the leading search's predicate (always re-checked), and the
 * remaining stages with the points where search order must be restored.
 */
export interface SearchPlan {
  pipeline: PipelineAst;
  generating: PlannedStage | null;
  lead: SearchExpr | null;
  scan: ScanRequest;
  stages: PlannedStage[];
  /** Sort the final output in search order (no command set an order and the source is unordered). */
  sortAtEnd: boolean;
  earliest: number | null;
  latest: number | null;
  /**
   * Its leading search has time windows under OR, or a later `search` has earliest=/latest=: its predicates hold
   * times resolved against `now`.
   */
  timeWindows?: boolean;
  /** What the search was planned with: rows of raw events get its `eventtype`/`tag` fields. */
  knowledge: Knowledge | null;
  /**
   * Its subsearches (`join ... [ ... ]`, `search ... [ ... ]`), planned with it (same options): run first
   * (exec/subsearch.ts).
   */
  subsearches: PlannedSubsearch[];
  /** What it was planned with (a search whose subsearches gave their results is planned again with them). */
  options: PlanOptions;
  /** A command runs searches while it runs (map: CommandBlueprint.runsSearches): one thread, no shared scan, no pushdown. */
  runsSearches: boolean;
  /** Their results, once run (`runSubsearches`): what the commands' operators read (ExecContext.subsearchRows). */
  subsearchRows?: ReadonlyMap<CommandAst, readonly (readonly Result[])[]>;
}

/** A subsearch as planned: the command it feeds, its limits, its own plan. */
export interface PlannedSubsearch {
  command: CommandAst;
  /** In a search expression (`search x [ ... ]`): that node, which its results replace (Splunk's `format`); null for a command's. */
  expr: Extract<SearchExpr, { kind: 'subsearch' }> | null;
  spec: SubsearchSpec;
  plan: SearchPlan;
}

/** limits.conf [subsearch] maxout and maxtime: a subsearch in a search expression. */
export const SEARCH_SUBSEARCH_MAX_ROWS = 10_000;
export const SEARCH_SUBSEARCH_MAX_SECONDS = 60;

export function planSearch(pipeline: PipelineAst, opts: PlanOptions): SearchPlan {
  const source = pipeline.source;
  const [first, ...rest] = pipeline.commands;
  if (!first) throw new SplError('SPL_SYNTAX', 'empty search', pipeline.span, source);
  const firstBp = commandBlueprint(first.name)!;
  const knowledge = opts.knowledge;
  let generating: PlannedStage | null = null;
  let lead: SearchExpr | null = null;
  // A necessary condition used only for pushdowns (a command reading events, such as tstats' WHERE).
  let prefilter: SearchExpr | null = null;
  let stagesAst: CommandAst[];
  const eventQuery = firstBp.readsEvents?.(first.args) ? firstBp.eventQuery : undefined;
  const readsEvents = eventQuery !== undefined;
  if (eventQuery) {
    // tstats' WHERE "supports the same time arguments" as a search (Search Reference, tstats): the older ones too
    // (starttime=, daysago=...), read as earliest=/latest=; as field comparisons they matched nothing.
    const where = searchExpressionOf(first);
    const timed = where ? withSearchExpression(first, oldTimeModifiers(where, opts.tz, source)) : first;
    const q = eventQuery(timed.args, { knowledge, source });
    lead = q.lead;
    prefilter = q.prefilter;
    stagesAst = [{ ...first, args: q.args }, ...rest];
  } else if (firstBp.kind(first.args) === 'generating') {
    generating = { command: first, blueprint: firstBp, sortBefore: false };
    stagesAst = rest;
  } else if (first.name === 'search') {
    lead = knowledge ? knowledge.expand((first.args as SearchArgs).expr) : (first.args as SearchArgs).expr;
    stagesAst = rest;
  } else {
    throw new SplError('SPL_SYNTAX', `a search cannot start with "${first.name}": start with a search or a generating command such as | makeresults`, first.nameSpan, source);
  }
  for (const c of stagesAst) {
    if (readsEvents && c === stagesAst[0]) continue;
    const bp = commandBlueprint(c.name)!;
    if (bp.kind(c.args) === 'generating' || bp.readsEvents?.(c.args)) throw new SplError('SPL_SYNTAX', `"${c.name}" generates results and must be the first command (after a leading |)`, c.nameSpan, source);
  }

  // A later search's earliest=/latest= filter the results it is given (below); they were ignored, a bad one too.
  // (A command without them stays the same object: a command's subsearch results are keyed by it.)
  // An appendpipe's subpipeline is made of later commands too.
  let laterTimes = false;
  const timed = (c: CommandAst): CommandAst => {
    if (c.name === 'appendpipe') {
      const { commands } = c.args as AppendpipeArgs;
      const sub = commands.map(timed);
      return sub.every((x, i) => x === commands[i]) ? c : { ...c, args: { ...(c.args as AppendpipeArgs), commands: sub } };
    }
    const expr = c.name === 'search' ? (c.args as SearchArgs).expr : null;
    const withTimes = expr ? laterSearchTimes(expr, opts, source) : expr;
    if (withTimes === expr) return c;
    laterTimes = true;
    return { ...c, args: { ...(c.args as SearchArgs), expr: withTimes } };
  };
  stagesAst = stagesAst.map((c, i) => (readsEvents && i === 0 ? c : timed(c)));

  // Time range: the search's own earliest=/latest= override the defaults.
  let earliest = resolveBound(opts.earliest, opts, source, null);
  let latest = resolveBound(opts.latest, opts, source, null);
  const metadata: MetadataConstraint[] = [];
  let raw: RawFilter | null = null;
  const raws: RawFilter[] = [];
  const values = { left: MAX_RAW_VALUES };
  let ownEarliest = false;
  let ownLatest = false;
  if (lead) lead = oldTimeModifiers(lead, opts.tz, source);
  for (const e of [lead, prefilter]) {
    if (!e) continue;
    for (const t of collectTimeTerms(e, source)) {
      const v = resolveBound(t.value.value, opts, source, t);
      if (t.which === 'earliest') [earliest, ownEarliest] = [v, true];
      else [latest, ownLatest] = [v, true];
    }
  }
  // An earliest= of the search's own without a latest= ends at now, not at the default range's end ("Because the
  // search does not specify the latest time modifier, the default value now is used for latest": Search Reference,
  // Time modifiers); events dated after now were returned.
  if (ownEarliest && !ownLatest) latest = opts.now;
  // Windows under OR (the reference's `(earliest=A latest=B) OR (earliest=C latest=D)`): tests of each event's _time,
  // and the scan reads their hull (within the search's own earliest=/latest= when it has them).
  const windows: TimeWindows = { opts, source, earliest, latest, hull: null };
  if (lead) lead = timeWindows(lead, windows, true);
  if (prefilter) prefilter = timeWindows(prefilter, windows, true);
  if (windows.hull) {
    const lo = Math.max(ownEarliest ? (earliest ?? -Infinity) : -Infinity, windows.hull.lo);
    const hi = Math.min(ownEarliest || ownLatest ? (latest ?? Infinity) : Infinity, windows.hull.hi);
    earliest = lo === -Infinity ? null : lo;
    latest = hi === Infinity ? null : hi;
  }
  for (const e of [lead, prefilter]) {
    if (!e) continue;
    for (const item of conjuncts(e)) {
      const m = metadataConstraint(item);
      // `tag=process tag=report` expands to the same event type search twice.
      if (m && !metadata.some((x) => x.field === m.field && x.patterns.join('\u0000') === m.patterns.join('\u0000'))) metadata.push(m);
    }
    const r = rawFilterOf(e, () => false, values);
    if (r) raws.push(r);
  }
  const derived = new Set<string>(knowledge?.derived?.names ?? []);
  const indexed = [lead, prefilter].flatMap((e) => (e ? conjuncts(e) : [])).flatMap((item) => indexedCondition(item, derived) ?? []);
  if (!generating && !readsEvents) {
    const later = laterConditions(stagesAst, knowledge, values);
    raws.push(...later.raws);
    indexed.push(...later.indexed);
  }
  // Literals cut to a length V8 compiles a search of (a 50,000-character term's failed at the first line).
  if (raws.length) raw = boundRawLiterals(raws.length === 1 ? raws[0]! : { kind: 'and', items: raws });

  // Search order over an unordered source (files): events must reach the first command newest first
  // by their original _time. Sorting there would hold every matching event, so the sort waits until
  // order matters: before the first order-sensitive command, or before a command that holds its input
  // (the sort keys of rows only travel through streaming commands, exec/newest-first.ts), or at the
  // end. Streaming commands map each row on its own, so sorting their output by the rows' events gives
  // what sorting their input would; nothing is sorted when a command sets the order first (stats).
  const blueprints = stagesAst.map((command) => commandBlueprint(command.name)!);
  const orderNeededAfter = (i: number): boolean => {
    for (let j = i + 1; j < stagesAst.length; j++) {
      const args = stagesAst[j]!.args;
      if (blueprints[j]!.orderSensitive(args)) return true;
      if (blueprints[j]!.ordersOutput?.(args)) return false;
    }
    return true;
  };
  let ordered = generating ? true : opts.sourceNewestFirst;
  const stages: PlannedStage[] = stagesAst.map((command, i) => {
    const blueprint = blueprints[i]!;
    const holdsInput = blueprint.kind(command.args) !== 'streaming' && !blueprint.ordersOutput?.(command.args);
    const sortBefore = !ordered && (blueprint.orderSensitive(command.args) || (holdsInput && orderNeededAfter(i)));
    if (sortBefore) ordered = true;
    if (blueprint.ordersOutput?.(command.args)) ordered = true;
    return { command, blueprint, sortBefore };
  });

  return {
    pipeline,
    generating,
    lead,
    scan: { earliest, latest, metadata, raw, defaultIndexes: opts.defaultIndexes, ...(indexed.length > 0 ? { indexed } : {}) },
    stages,
    sortAtEnd: !ordered,
    earliest,
    latest,
    ...(windows.hull || laterTimes ? { timeWindows: true } : {}),
    knowledge,
    // A subsearch runs over the search's default time range, not the outer search's own earliest=/latest=.
    subsearches: [
      ...pipeline.commands.flatMap((command) =>
        subsearchNodes(searchExpressionOf(command)).map((expr) => {
          const spec: SubsearchSpec = { pipeline: expr.pipeline, maxRows: SEARCH_SUBSEARCH_MAX_ROWS, maxSeconds: SEARCH_SUBSEARCH_MAX_SECONDS, limitNames: { rows: 'maxout', seconds: 'maxtime' } };
          return { command, expr, spec, plan: planSearch(expr.pipeline, opts) };
        }),
      ),
      // A generating command's too (`| union [ ... ] [ ... ]`), each of a command's in its order.
      ...[...(generating ? [generating] : []), ...stages].flatMap(({ command, blueprint }) => {
        const one = blueprint.subsearch?.(command.args);
        const specs = [...(one ? [one] : []), ...(blueprint.subsearches?.(command.args) ?? [])];
        return specs.map((spec) => ({ command, expr: null, spec, plan: planSearch(spec.pipeline, opts) }));
      }),
    ],
    options: opts,
    runsSearches: stages.some(({ command, blueprint }) => blueprint.runsSearches?.(command.args) === true),
  };
}


/** The search expression a command holds (`search`'s, tstats' WHERE: CommandBlueprint.searchExpression), or null. */
export function searchExpressionOf(command: CommandAst): SearchExpr | null {
  return commandBlueprint(command.name)?.searchExpression?.of(command.args) ?? null;
}

/** `command` holding `expr` instead of its search expression (it must hold one: searchExpressionOf). */
export function withSearchExpression(command: CommandAst, expr: SearchExpr | null): CommandAst {
  const holder = commandBlueprint(command.name)!.searchExpression!;
  return { ...command, args: holder.with(command.args, expr) };
}

function resolveBound(b: TimeBound, opts: PlanOptions, source: SourceText, term: Extract<SearchExpr, { kind: 'time' }> | null): number | null {
  if (b === null) return null;
  if (typeof b === 'number') return b;
  try {
    return resolveTimeModifier(b, opts.now, opts.tz);
  } catch (e) {
    if (e instanceof VigilError && term) throw new SplError('TIME_MODIFIER', e.message, term.value.span, source);
    throw e;
  }
}

/**
 * The search's own range: its top-level earliest=/latest=. Under OR they are windows (timeWindows); under NOT they
 * have no meaning.
 */
function collectTimeTerms(e: SearchExpr, source: SourceText): Extract<SearchExpr, { kind: 'time' }>[] {
  const out: Extract<SearchExpr, { kind: 'time' }>[] = [];
  for (const c of conjuncts(e)) if (c.kind === 'time') out.push(c);
  const walk = (x: SearchExpr, negated: boolean) => {
    if (x.kind === 'time' && negated) throw new SplError('SPL_BAD_ARGUMENT', `${x.which}= must not be inside NOT`, x.span, source);
    if (x.kind === 'and' || x.kind === 'or') x.items.forEach((i) => walk(i, negated));
    if (x.kind === 'not') walk(x.expr, true);
  };
  walk(e, false);
  return out;
}

interface TimeWindows {
  opts: PlanOptions;
  source: SourceText;
  /** The search's range (its own top-level bounds, else the default): what an alternative without its own has. */
  earliest: number | null;
  latest: number | null;
  /** The hull of the windows of the OR terms among the top-level conjuncts, intersected; null when there are none. */
  hull: { lo: number; hi: number } | null;
  /** An alternative with an earliest= and no latest= is not held to now (a later search's filter: laterSearchTimes). */
  openEnd?: boolean;
}

function hasTimeTerm(e: SearchExpr): boolean {
  if (e.kind === 'time') return true;
  if (e.kind === 'and' || e.kind === 'or') return e.items.some(hasTimeTerm);
  return false;
}

/**
 * `e` with each OR that holds earliest=/latest= made windows: every alternative gets its own bounds as `_time`
 * tests (`at`), its earliest= defaulting to the search's range start and its latest= to now when it has an
 * earliest= (as a search's own, Search Reference "Time modifiers"), else to the search's range end.
 */
function timeWindows(e: SearchExpr, w: TimeWindows, top: boolean): SearchExpr {
  if (e.kind === 'and') return { ...e, items: e.items.map((i) => timeWindows(i, w, top)) };
  if (e.kind !== 'or' || !hasTimeTerm(e)) return e;
  let lo = Infinity;
  let hi = -Infinity;
  const items = e.items.map((item): SearchExpr => {
    let own: { earliest?: number | null; latest?: number | null } = {};
    const rest: SearchExpr[] = [];
    for (const c of conjuncts(item)) {
      if (c.kind !== 'time') rest.push(timeWindows(c, w, false));
      else own = { ...own, [c.which]: resolveBound(c.value.value, w.opts, w.source, c) };
    }
    const start = own.earliest !== undefined ? own.earliest : w.earliest;
    const end = own.latest !== undefined ? own.latest : own.earliest !== undefined && !w.openEnd ? w.opts.now : w.latest;
    lo = Math.min(lo, start ?? -Infinity);
    hi = Math.max(hi, end ?? Infinity);
    const bound = (which: 'earliest' | 'latest', at: number): SearchExpr => ({ kind: 'time', which, value: { value: String(at), quoted: false, span: item.span }, span: item.span, at });
    const bounds = [...(start !== null ? [bound('earliest', start)] : []), ...(end !== null ? [bound('latest', end)] : [])];
    return { kind: 'and', items: [...rest, ...bounds], span: item.span };
  });
  if (top) w.hull = w.hull ? { lo: Math.max(w.hull.lo, lo), hi: Math.min(w.hull.hi, hi) } : { lo, hi };
  return { ...e, items };
}

/**
 * A later `search`'s earliest=/latest= (the time-opts of the search command's syntax, Search Reference: search; a
 * later search "filter[s] the results from the previous command"): tests of each result's `_time`, as the first
 * search's windows under OR are (`at`): each OR alternative has its own window, a bad modifier is a TIME_MODIFIER
 * error at it and one under NOT an error. Unlike the first search's range, an earliest= alone is not held to now: it
 * filters results, and `| makeresults | search earliest=-1h` keeps the result made at now.
 */
function laterSearchTimes(e: SearchExpr, opts: PlanOptions, source: SourceText): SearchExpr {
  const top = collectTimeTerms(e, source);
  if (top.length === 0 && !hasTimeTerm(e)) return e;
  const own: { earliest?: number | null; latest?: number | null } = {};
  for (const t of top) own[t.which] = resolveBound(t.value.value, opts, source, t);
  const start = own.earliest ?? null;
  const end = own.latest ?? null;
  const windows: TimeWindows = { opts, source, earliest: null, latest: null, hull: null, openEnd: true };
  const rest = conjuncts(timeWindows(e, windows, false)).filter((c) => c.kind !== 'time' || c.at !== undefined);
  const bound = (which: 'earliest' | 'latest', at: number): SearchExpr => ({ kind: 'time', which, value: { value: String(at), quoted: false, span: e.span }, span: e.span, at });
  const bounds = [...(start !== null ? [bound('earliest', start)] : []), ...(end !== null ? [bound('latest', end)] : [])];
  const items = [...rest, ...bounds];
  return items.length === 1 ? items[0]! : { kind: 'and', items, span: e.span };
}

function conjuncts(e: SearchExpr): SearchExpr[] {
  return e.kind === 'and' ? e.items.flatMap(conjuncts) : [e];
}

const METADATA_FIELDS: ReadonlySet<string> = new Set(['index', 'sourcetype', 'source', 'host']);

/** `index=a`, `sourcetype IN (a, b)`, `(index=a OR index=b)` → one pushed-down constraint. */
function metadataConstraint(e: SearchExpr): MetadataConstraint | null {
  if (e.kind === 'compare' && e.op === '=' && METADATA_FIELDS.has(e.field) && !e.caseSensitive) {
    return { field: e.field as MetadataField, patterns: [e.value.value] };
  }
  if (e.kind === 'in' && METADATA_FIELDS.has(e.field)) return { field: e.field as MetadataField, patterns: e.values.map((v) => v.value) };
  if (e.kind === 'or' && e.items.length > 0) {
    const parts = e.items.map(metadataConstraint);
    if (parts.every((p) => p !== null) && parts.every((p) => p!.field === parts[0]!.field)) {
      return { field: parts[0]!.field, patterns: parts.flatMap((p) => p!.patterns) };
    }
  }
  return null;
}

/**
 * An exact-value condition on an indexed field (events/scan.ts INDEXED_FIELDS): `process_name="curl"`,
 * `process_name IN ("sh", "bash")`, `(process_name=sh OR process_name=bash)`. A value with a wildcard, a number or
 * a CIDR block matches other texts than its own, a case-sensitive comparison another test, and a field knowledge
 * computes or a command wrote (`notOwn`) is not the event's own: none of them gives a condition.
 */
function indexedCondition(e: SearchExpr, notOwn: ReadonlySet<string>): IndexedFieldCondition | null {
  const indexed = (field: string): field is IndexedField => (INDEXED_FIELDS as readonly string[]).includes(field) && !notOwn.has(field);
  const exact = (p: string): boolean => !p.includes('*') && toNumber(p) === null && cidrMatcher(p) === null;
  switch (e.kind) {
    case 'compare':
      return e.op === '=' && !e.caseSensitive && indexed(e.field) && exact(e.value.value) ? { field: e.field, values: [e.value.value.toLowerCase()] } : null;
    case 'in':
      return indexed(e.field) && e.values.every((v) => exact(v.value)) ? { field: e.field, values: [...new Set(e.values.map((v) => v.value.toLowerCase()))] } : null;
    case 'or': {
      const parts = e.items.map((x) => indexedCondition(x, notOwn));
      const field = parts[0]?.field;
      if (field === undefined || !parts.every((p) => p !== null && p.field === field)) return null;
      return { field, values: [...new Set(parts.flatMap((p) => p!.values))] };
    }
    default:
      return null;
  }
}

/**
 * Characters of `regex` patterns per search that become raw prefilters. Each is translated twice and relaxed
 * where the search is planned (for the API, on the main thread that answers HEC and the API: 1,000 `| regex` of
 * 900 characters held it ~7 s); a pattern past the budget gets none, which is sound (a prefilter is only a
 * necessary condition) and leaves real searches alone (the content's longest pattern has 46 characters).
 */
const MAX_PREFILTER_REGEX_CHARS = 4096;

/**
 * Conditions of the commands after the leading search that keep or drop each event's row on its own (`search`,
 * `regex`), up to the first command that is not streaming or depends on order (`head`, `dedup`: filtering
 * earlier would change which rows they keep), and only on fields no command before them wrote (an `eval`,
 * `rename`, `rex` output, or the event types' `tag`/`eventtype`). Every result comes from an event that passes
 * them, so they are necessary conditions on its raw text too, and a `search`'s on its indexed fields.
 */
function laterConditions(stages: readonly CommandAst[], knowledge: Knowledge | null, values: { left: number }): { raws: RawFilter[]; indexed: IndexedFieldCondition[] } {
  const written = new Set<string>(['tag', 'eventtype', ...(knowledge?.derived?.names ?? [])]);
  const skip = (field: string): boolean => written.has(field) || field.startsWith('tag::');
  const raws: RawFilter[] = [];
  const indexed: IndexedFieldCondition[] = [];
  let regexChars = MAX_PREFILTER_REGEX_CHARS;
  for (const c of stages) {
    const bp = commandBlueprint(c.name)!;
    if (bp.kind(c.args) !== 'streaming' || bp.orderSensitive(c.args)) break;
    let r: RawFilter | null = null;
    const expr = c.name === 'search' ? (c.args as SearchArgs).expr : null;
    if (expr) {
      r = rawFilterOf(expr, skip, values);
      for (const item of conjuncts(expr)) {
        const x = indexedCondition(item, written);
        if (x !== null) indexed.push(x);
      }
    } else if (c.name === 'regex' && (c.args as RegexArgs).pattern.length <= regexChars) {
      regexChars -= (c.args as RegexArgs).pattern.length;
      r = regexRawFilter(c.args as RegexArgs, skip);
    }
    if (r !== null) raws.push(r);
    const w = bp.writes(c.args);
    if (w === '*') break;
    for (const f of w) written.add(f);
  }
  return { raws, indexed };
}

/** `regex field="<pcre>"`: a necessary condition on the raw text (none for `!=`, nor for a pattern that does not translate). */
function regexRawFilter(a: RegexArgs, skip: (field: string) => boolean): RawFilter | null {
  if (a.negate || skip(a.field)) return null;
  let exact;
  try {
    exact = translatePcre(a.pattern, { needCaptures: false });
  } catch {
    return null; // the command reports it
  }
  return rawConditionForRegex(a.field, exact, rawTextRegex(a.pattern));
}

/**
 * Field values per search whose raw conditions are derived (`values.left` of `rawFilterOf`). Each costs ~7 µs
 * where the search is planned (the API's main thread: an `IN` of 130,000 values held it ~1 s); past it a value
 * says nothing, which is sound (an AND keeps its other conditions, an OR gets none), and a prefilter of
 * thousands of literals per line would hardly be cheaper than the search.
 */
const MAX_RAW_VALUES = 10_000;

/**
 * A necessary condition on `_raw` implied by a search expression (null = nothing can be said). `skip`: fields
 * whose values are not the event's own (written by an earlier command), on which nothing can be said. `values`:
 * how many more field values may be looked at (MAX_RAW_VALUES per search).
 */
function rawFilterOf(e: SearchExpr, skip: (field: string) => boolean, values: { left: number }): RawFilter | null {
  switch (e.kind) {
    case 'and': {
      const items = e.items.map((x) => rawFilterOf(x, skip, values)).filter((x): x is RawFilter => x !== null);
      if (items.length === 0) return null;
      return items.length === 1 ? items[0]! : { kind: 'and', items };
    }
    case 'or': {
      const items = e.items.map((x) => rawFilterOf(x, skip, values));
      if (items.some((x) => x === null)) return null;
      return { kind: 'or', items: items as RawFilter[] };
    }
    case 'not':
    case 'time':
    case 'subsearch':
    case 'indexed': // an indexed field's value is not in `_raw`
      return null;
    case 'compare':
      if (skip(e.field) || values.left < 1) return null;
      values.left--;
      if (e.op === '=') return valueCondition(e.field, e.value.value);
      return rawConditionForExists(e.field);
    case 'in': {
      if (skip(e.field) || values.left < e.values.length) return null;
      values.left -= e.values.length;
      const items = e.values.map((v) => valueCondition(e.field, v.value));
      if (items.some((x) => x === null)) return null;
      return items.length === 1 ? items[0]! : { kind: 'or', items: items as RawFilter[] };
    }
    case 'term': {
      if (skip('_raw')) return null;
      const runs = e.value.value.split('*').filter((r) => r.length >= 2);
      if (runs.length === 0) return null;
      // A run of `_raw` itself, matched with ASCII case folding (RegExp `i`): no other spelling counts.
      const items: RawFilter[] = runs.map((text) => ({ kind: 'contains', text, verbatim: true }));
      return items.length === 1 ? items[0]! : { kind: 'and', items };
    }
  }
}

/**
 * Numbers match numerically (`n=7.0` matches 7) and CIDR blocks match addresses, so neither is a
 * literal the raw text must contain; only the field's presence can be required.
 */
function valueCondition(field: string, pattern: string): RawFilter | null {
  if (toNumber(pattern) !== null || cidrMatcher(pattern) !== null) return rawConditionForExists(field);
  return rawConditionFor(field, pattern);
}
