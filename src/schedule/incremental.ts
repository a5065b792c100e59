import type { Event } from '../events/event.js';
import type { Result } from '../events/result.js';
import { eventResult } from '../normalize/event-result.js';
import { metadataPredicate } from '../events/scan.js';
import type { Sink } from '../spl/commands/types.js';
import { buildOperators, createContext } from '../spl/exec/run.js';
import { plan as planSearch } from '../spl/index.js';
import type { SearchPlan } from '../spl/plan/plan.js';
import { compileSearch } from '../spl/search/predicate.js';
import { NO_LOOKUPS, type LookupProvider } from '../spl/lookups.js';
import type { MacroLibrary } from '../spl/macros/macros.js';
import type { Knowledge } from '../spl/datamodel/types.js';
import { fromMicros, toMicros } from '../store/schema.js';
import { firstAtOrAfter, namesFieldPatterns, prefixStages, ProjectionStore, restFields, ROWS_PER_GROUP, SliceStore, type MatchProjection, type PartialSink, type SlicedStates } from './projection.js';

/** Functions whose value depends on when the search runs, not on the event. */
const TIME_DEPENDENT = /\b(now|time|random)\s*\(/i;

interface Prefix {
  /** The expanded text of the prefix and the time zone: what kept rows and states are taken for (projection.ts). */
  text: string;
  /** What the prefix matches by: `text`, and the event types its lead expands. When it changes, earlier matches are void. */
  key: string;
  /**
   * The rows the prefix passes for `e`, null when it passes none. `row` is a view of `e` the prefix may modify
   * (give each prefix its own clone of a shared one).
   */
  rows(e: Event, row?: Result): Result[] | null;
  accepts(e: Event, row?: Result): boolean;
  /**
   * What is kept of the prefix's rows for runs (projection.ts): the fields the rest of the search reads, every
   * field (`all`: rows a table made, whose fields are few), or null: nothing (the runs read the events).
   */
  fields: string[] | 'all' | null;
  /** A new partial state of the aggregation right after the prefix, when its states can be kept per slice of time (projection.ts SliceStore); else null. */
  partial: (() => PartialSink) | null;
}

/**
 * The filter prefix of a detection — its leading search plus the per-event commands before its first
 * aggregating or order-sensitive command — compiled to a predicate on events, or null when the detection
 * cannot be evaluated incrementally (its prefix depends on the run time, a lookup, or the risk index the
 * scheduler itself writes).
 */
/** What the index needs of a detection (a `Detection` is one; the match worker gets them with macros expanded). */
export interface PrefixSource {
  id: string;
  name: string;
  search: string;
}

/** Where a prefix's macros and lookups come from (a `ContentPack`). */
export interface PrefixContent {
  macros: MacroLibrary;
  lookups: LookupProvider;
  /** Data models and event types; without them, searches using `tag`/`eventtype` get no prefix. */
  knowledge?: Knowledge;
  /**
   * The runs compute `tag`/`eventtype` (their content's event types) though `knowledge` is absent here: the match
   * worker's content (match-worker.ts), which compiles prefixes from expanded searches without it.
   */
  runsDerive?: boolean;
}

/** `tag` and `eventtype` as words: fields computed from event types. */
const EVENT_TYPE_FIELDS = /\b(?:tag|eventtype)\b/;

/**
 * Where the scheduler finds ingest-time matches: `MatchIndex` on the calling thread, or `MatchIndexThread`
 * (match-thread.ts), which evaluates prefixes on a worker thread.
 */
export interface MatchLookup {
  /** (Re)compiles prefixes for the enabled detections; a changed prefix restarts its coverage. */
  setDetections(detections: readonly PrefixSource[], content: PrefixContent, tz: string): void;
  /** A detection's matches in [earliest, latest), or null when the index does not cover that window. */
  lookup(detectionId: string, earliest: number, latest: number): Promise<Matches | null>;
}

/** A detection's matches in a window: their events' store seqs, their projected rows and the partial states of its aggregation when kept. */
export interface Matches {
  seqs: number[];
  projection: MatchProjection | null;
  partials: SlicedStates | null;
}

export function compilePrefix(d: Omit<PrefixSource, 'id'>, pack: PrefixContent, tz: string): Prefix | null {
  let p: SearchPlan;
  try {
    p = planSearch(d.search, { macros: pack.macros, lookups: pack.lookups, ...(pack.knowledge ? { knowledge: pack.knowledge } : {}), now: 0, tz, name: d.name });
  } catch {
    return null;
  }
  if (p.generating || p.scan.metadata.some((m) => m.field === 'index')) return null;
  // Time windows under OR are tests of _time resolved against the run's now: the run scans.
  if (p.timeWindows) return null;
  // A subsearch (join) reads its own events at run time: the run scans.
  if (p.subsearches.length > 0) return null;
  // tstats, datamodel and from read every event of a dataset: a prefix would keep them all (summaries serve them).
  const reader = p.stages[0];
  if (reader?.blueprint.readsEvents?.(reader.command.args)) return null;
  const stages = p.stages.slice(0, prefixStages(p));
  const src = p.pipeline.source.text;
  const end = stages.length ? stages[stages.length - 1]!.command.span.end : (p.pipeline.commands[0]?.span.end ?? 0);
  const text = src.slice(0, end);
  if (TIME_DEPENDENT.test(text)) return null;
  // The leading search's tag=/eventtype= terms are expanded with the knowledge; a later command reading them
  // would need the events' computed fields, which prefixes do not give them.
  if (EVENT_TYPE_FIELDS.test(pack.knowledge ? src.slice(p.pipeline.commands[0]?.span.end ?? 0, end) : text)) return null;
  // So would one listing a row's field names (`table *`: its rows missed `eventtype` and `tag`), the prefix's
  // or the aggregation's after it (`stats values(*) AS *`: its partial states are taken at ingest).
  if ((pack.knowledge?.derived || pack.runsDerive) && namesFieldPatterns(p.stages.slice(0, stages.length + 1))) return null;
  const prefixPlan: SearchPlan = { ...p, stages, sortAtEnd: false, earliest: null, latest: null };
  let passed: Result[] = [];
  const capture: Sink = { push: (r) => void passed.push(r), end: () => {} };
  const ctx = createContext(prefixPlan, { now: 0, tz, lookups: NO_LOOKUPS });
  const head = buildOperators(prefixPlan, ctx, capture);
  const lead = compileSearch(p.lead, p.pipeline.source);
  const meta = metadataPredicate({ ...p.scan, defaultIndexes: 'all' });
  const rows = (e: Event, view?: Result): Result[] | null => {
    if (!meta(e)) return null;
    const row = view ?? eventResult(e);
    if (!lead(row)) return null;
    passed = [];
    head.push(row);
    return passed.length > 0 ? passed : null;
  };
  // A bin aligned to the run's time range gives rows that depend on the run: they are not kept. Nor are the rows
  // or states of a search whose later commands read `tag`/`eventtype`, which the runs compute and rows kept at
  // ingest lack (`stats count by eventtype` merged states of no event type: no rows); its matches serve it.
  const runDependent =
    stages.some((s) => s.command.name === 'bin' && (s.command.args as { aligntime: unknown }).aligntime != null) ||
    (Boolean(pack.knowledge?.derived || pack.runsDerive) && EVENT_TYPE_FIELDS.test(src.slice(end)));
  // The aggregation after the prefix, kept as partial states per slice of time when they merge in any order.
  const next = p.stages[stages.length];
  const split = next && !next.blueprint.orderSensitive(next.command.args) ? next.blueprint.splits?.(next.command.args) : null;
  const aggCtx = createContext(p, { now: 0, tz, lookups: NO_LOOKUPS });
  const probe = split?.partial(aggCtx);
  const partial = !runDependent && split && probe?.peek !== undefined && probe.groups !== undefined ? () => split.partial(aggCtx) as PartialSink : null;
  // The lead's tag=/eventtype= terms match by the event types' searches (and the macros those use), which may change
  // while the search's text does not: they are part of the prefix's identity.
  const leadText = src.slice(0, p.pipeline.commands[0]?.span.end ?? 0);
  let expansion = '';
  try {
    if (pack.knowledge && EVENT_TYPE_FIELDS.test(leadText)) expansion = JSON.stringify(p.lead, (k, v: unknown) => (k === 'span' ? undefined : v));
  } catch {
    return null; // not told apart: no prefix, the runs scan
  }
  return {
    // Prefix values depend on the time zone (strftime, bin): matches kept under another zone are void.
    text: `${text}\u0000${tz}`,
    key: `${text}\u0000${tz}\u0000${expansion}`,
    rows,
    accepts: (e, view) => rows(e, view) !== null,
    fields: runDependent ? null : stages.some((s) => s.blueprint.emitsOwnRows?.(s.command.args)) ? 'all' : restFields(p.stages.slice(stages.length)),
    partial,
  };
}

interface Tracked {
  prefix: Prefix;
  /** Windows starting after this event time are fully covered by the matches. */
  validFrom: number;
  /**
   * Matching events as references, in arrival order: their `_time` and store seq (see
   * `AppendReceipt.firstSeq`). 16 bytes a match, whatever the event's size: a run that cannot start from the
   * kept rows or states reads the events themselves back from the store (`SeqSubsetSource.subset`).
   */
  times: number[];
  seqs: number[];
  /** Whether `times` never decrease (events arrive in time order): a window's matches are then one slice. */
  inOrder: boolean;
  /**
   * The rows the prefix passed, as the values the rest of the search reads (projection.ts), so a run need not
   * read the events: null when not kept (no field list, a bin aligned to the run, or past the index's budget).
   */
  projection: ProjectionStore | null;
  /** The partial states of the aggregation after the prefix, per slice of time (projection.ts), or null. */
  slices: SliceStore | null;
  /** Windows starting after this event time may use `projection` and `slices` (they restart when events they hold are deleted). */
  projectedFrom: number;
}

/** Cells (rows times kept values) all projections may hold: ~4 bytes each. Past it, a detection's rows are no longer kept. */
const DEFAULT_MAX_PROJECTED_CELLS = 40_000_000;

/**
 * Evaluates detections' filter prefixes as events are committed, so a scheduled (or realtime) run only
 * aggregates the prior matches instead of rescanning its window. Exactness: the index sees every event
 * committed by this process after it started; a window is served from it only when it starts after the
 * newest event time the store held at start (and after the last change of the detection's prefix), so no
 * event of the window can predate the index. Otherwise the run falls back to a full scan.
 */
export class MatchIndex implements MatchLookup {
  private readonly tracked = new Map<string, Tracked>();
  private newestSeen: number;
  /** Cells held by every projection. */
  private cells = 0;

  constructor(
    /** The newest `_time` in the store when the index started (windows must start after it). */
    private readonly startedAfter: number,
    /** Matches older than this many seconds before the newest event are dropped. */
    private readonly horizonSeconds: number,
    private readonly maxProjectedCells = DEFAULT_MAX_PROJECTED_CELLS,
    /** Partial states serve a run when the rows are this many times more (projection.ts ROWS_PER_GROUP). */
    private readonly rowsPerGroup = ROWS_PER_GROUP,
  ) {
    this.newestSeen = startedAfter;
  }

  private newProjection(prefix: Prefix): ProjectionStore | null {
    return prefix.fields === null ? null : new ProjectionStore(prefix.text, prefix.fields);
  }

  private newSlices(prefix: Prefix): SliceStore | null {
    return prefix.partial === null ? null : new SliceStore(prefix.text, prefix.partial, this.rowsPerGroup);
  }

  private dropProjection(t: Tracked): void {
    if (t.projection !== null) this.cells -= t.projection.cells;
    t.projection = null;
  }

  setDetections(detections: readonly PrefixSource[], content: PrefixContent, tz: string): void {
    const keep = new Set<string>();
    for (const d of detections) {
      // Compiled every time: a macro the search uses may have changed while its text did not (the
      // prefix text compared below is the expanded one). MatchIndexThread only sends changed lists.
      const prefix = compilePrefix(d, content, tz);
      if (!prefix) continue;
      keep.add(d.id);
      const old = this.tracked.get(d.id);
      if (old && old.prefix.key === prefix.key) continue;
      if (old) this.dropProjection(old);
      const from = Math.max(this.startedAfter, this.newestSeen);
      this.tracked.set(d.id, { prefix, validFrom: from, times: [], seqs: [], inOrder: true, projection: this.newProjection(prefix), slices: this.newSlices(prefix), projectedFrom: from });
    }
    for (const [id, t] of [...this.tracked]) {
      if (keep.has(id)) continue;
      this.dropProjection(t);
      this.tracked.delete(id);
    }
  }

  /** Called with every committed batch; its events are the store's seqs `firstSeq`, `firstSeq + 1`, …. */
  observe(events: readonly Event[], firstSeq: number): void {
    for (const e of events) if (e._time > this.newestSeen) this.newestSeen = e._time;
    if (this.tracked.size === 0) return;
    const tracked = [...this.tracked.values()];
    for (let i = 0; i < events.length; i++) {
      // The event as the store keeps it: its time in whole microseconds, which a run compares, orders by and
      // shows (`min(_time)` kept 1795171742.2376996 where a scan gave 1795171742.23769; an event 0.4 µs before a
      // window's start, stored at the start, was left out of the window's matches).
      const stored = fromMicros(toMicros(events[i]!._time));
      const e = Object.is(stored, events[i]!._time) ? events[i]! : { ...events[i]!, _time: stored };
      // One parse and extraction per event, shared by every prefix (each gets its own overlay).
      const row = eventResult(e);
      for (const t of tracked) {
        const rows = t.prefix.rows(e, row.clone());
        if (rows === null) continue;
        if (t.inOrder && (Number.isNaN(stored) || (t.times.length > 0 && stored < t.times[t.times.length - 1]!))) t.inOrder = false;
        t.times.push(stored);
        t.seqs.push(firstSeq + i);
        if (t.slices === null && t.projection === null) continue;
        if (t.slices !== null) for (const r of rows) t.slices.add(stored, e.index, r);
        const p = t.projection;
        if (p === null) continue;
        const before = p.cells;
        for (const r of rows) p.add(stored, firstSeq + i, e.index, r);
        this.cells += p.cells - before;
        if (this.cells > this.maxProjectedCells) this.dropProjection(t);
      }
    }
  }

  /**
   * Events of `index` older than `before` were deleted from the store (retention, a deleted index): rows kept
   * of them would make a run find what a scan no longer does. A projection holding any starts again, empty.
   */
  forget(index: string, before: number): void {
    const name = index.toLowerCase();
    const deleted = (time: number, idx: string): boolean => time < before && idx.toLowerCase() === name;
    for (const t of this.tracked.values()) {
      if (!(t.projection?.holds(deleted) || t.slices?.holds(deleted))) continue;
      this.dropProjection(t);
      t.projection = this.newProjection(t.prefix);
      t.slices = this.newSlices(t.prefix);
      t.projectedFrom = Math.max(t.projectedFrom, this.newestSeen);
    }
  }

  /**
   * Committed events up to `upTo` (event time) were not observed (the index fell behind and skipped them):
   * windows reaching back to them are no longer covered, so their runs scan instead.
   */
  gap(upTo: number): void {
    if (upTo > this.newestSeen) this.newestSeen = upTo;
    for (const t of this.tracked.values()) t.validFrom = Math.max(t.validFrom, upTo);
  }

  async lookup(detectionId: string, earliest: number, latest: number): Promise<Matches | null> {
    if (!this.covers(detectionId, earliest)) return null;
    const t = this.tracked.get(detectionId)!;
    const kept = earliest > t.projectedFrom;
    const partials = kept && t.slices !== null ? t.slices.window(earliest, latest) : null;
    // Partial states serve the run: no rows needed then.
    const projection = kept && partials === null && t.projection !== null ? t.projection.window(earliest, latest) : null;
    return { seqs: this.matches(detectionId, earliest, latest), projection, partials };
  }

  /** Whether a run of `detectionId` over [earliest, …) can be served from the index. */
  covers(detectionId: string, earliest: number): boolean {
    const t = this.tracked.get(detectionId);
    return t !== undefined && earliest > t.validFrom;
  }

  /** The store seqs of the matches in [earliest, latest), for `SeqSubsetSource.subset`. */
  matches(detectionId: string, earliest: number, latest: number): number[] {
    const t = this.tracked.get(detectionId);
    const out: number[] = [];
    if (!t) return out;
    if (t.inOrder && !Number.isNaN(earliest)) return t.seqs.slice(firstAtOrAfter(t.times, t.times.length, earliest), firstAtOrAfter(t.times, t.times.length, latest));
    for (let i = 0; i < t.times.length; i++) {
      const time = t.times[i]!;
      if (time >= earliest && time < latest) out.push(t.seqs[i]!);
    }
    return out;
  }

  /**
   * Drops matches older than the horizon before the newest event. Windows reaching back past it are no longer
   * covered (they scan): a backfill of an old window, or every window when one event is dated far ahead.
   */
  prune(): void {
    const floor = this.newestSeen - this.horizonSeconds;
    for (const t of this.tracked.values()) {
      t.validFrom = Math.max(t.validFrom, floor);
      t.slices?.prune(floor);
      if (!t.times.some((time) => time < floor)) continue;
      let k = 0;
      for (let i = 0; i < t.times.length; i++) {
        if (t.times[i]! < floor) continue;
        t.times[k] = t.times[i]!;
        t.seqs[k++] = t.seqs[i]!;
      }
      t.times.length = k;
      t.seqs.length = k;
      const p = t.projection;
      if (p === null) continue;
      this.cells -= p.cells;
      p.retain((time) => time >= floor);
      this.cells += p.cells;
    }
  }

  stats(): { detections: number; matches: number; projectedRows: number } {
    let matches = 0;
    let projectedRows = 0;
    for (const t of this.tracked.values()) {
      matches += t.times.length;
      projectedRows += t.projection?.rows ?? 0;
    }
    return { detections: this.tracked.size, matches, projectedRows };
  }
}
