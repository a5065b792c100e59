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

/** Commands that may belong to an incrementally evaluated prefix: per-event, order-free, no lookups. */
const PREFIX_COMMANDS = new Set(['search', 'where', 'eval', 'regex', 'rex', 'rename', 'fields', 'table', 'bin', 'convert', 'spath', 'mvexpand']);
/** Functions whose value depends on when the search runs, not on the event. */
const TIME_DEPENDENT = /\b(now|time|random)\s*\(/i;

interface Prefix {
  /** The expanded text of the prefix: when it changes, earlier matches are void. */
  text: string;
  /** `row` is a view of `e` the prefix may modify (give each prefix its own clone of a shared one). */
  accepts(e: Event, row?: Result): boolean;
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
  /** The store seqs of a detection's matches in [earliest, latest), or null when the index does not cover that window. */
  lookup(detectionId: string, earliest: number, latest: number): Promise<number[] | null>;
}

export function compilePrefix(d: Omit<PrefixSource, 'id'>, pack: PrefixContent, tz: string): Prefix | null {
  let p: SearchPlan;
  try {
    p = planSearch(d.search, { macros: pack.macros, lookups: pack.lookups, ...(pack.knowledge ? { knowledge: pack.knowledge } : {}), now: 0, tz, name: d.name });
  } catch {
    return null;
  }
  if (p.generating || p.scan.metadata.some((m) => m.field === 'index')) return null;
  // tstats, datamodel and from read every event of a dataset: a prefix would keep them all (summaries serve them).
  const reader = p.stages[0];
  if (reader?.blueprint.readsEvents?.(reader.command.args)) return null;
  const stages = [];
  for (const s of p.stages) {
    if (!PREFIX_COMMANDS.has(s.command.name) || s.blueprint.kind(s.command.args) !== 'streaming' || s.blueprint.orderSensitive(s.command.args)) break;
    stages.push(s);
  }
  const src = p.pipeline.source.text;
  const end = stages.length ? stages[stages.length - 1]!.command.span.end : (p.pipeline.commands[0]?.span.end ?? 0);
  const text = src.slice(0, end);
  if (TIME_DEPENDENT.test(text)) return null;
  // The leading search's tag=/eventtype= terms are expanded with the knowledge; a later command reading them
  // would need the events' computed fields, which prefixes do not give them.
  if (EVENT_TYPE_FIELDS.test(pack.knowledge ? src.slice(p.pipeline.commands[0]?.span.end ?? 0, end) : text)) return null;
  const prefixPlan: SearchPlan = { ...p, stages, sortAtEnd: false, earliest: null, latest: null };
  let passed = false;
  const capture: Sink = { push: () => void (passed = true), end: () => {} };
  const ctx = createContext(prefixPlan, { now: 0, tz, lookups: NO_LOOKUPS });
  const head = buildOperators(prefixPlan, ctx, capture);
  const lead = compileSearch(p.lead, p.pipeline.source);
  const meta = metadataPredicate({ ...p.scan, defaultIndexes: 'all' });
  return {
    text,
    accepts: (e, view) => {
      if (!meta(e)) return false;
      const row = view ?? eventResult(e);
      if (!lead(row)) return false;
      passed = false;
      head.push(row);
      return passed;
    },
  };
}

interface Tracked {
  prefix: Prefix;
  /** Windows starting after this event time are fully covered by the matches. */
  validFrom: number;
  /**
   * Matching events as references, in arrival order: their `_time` and store seq (see
   * `AppendReceipt.firstSeq`). 16 bytes a match, whatever the event's size: the run reads the events
   * themselves back from the store (`SeqSubsetSource.subset`), so memory follows the match rate, not the
   * volume of raw data.
   */
  times: number[];
  seqs: number[];
}

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

  constructor(
    /** The newest `_time` in the store when the index started (windows must start after it). */
    private readonly startedAfter: number,
    /** Matches older than this many seconds before the newest event are dropped. */
    private readonly horizonSeconds: number,
  ) {
    this.newestSeen = startedAfter;
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
      if (old && old.prefix.text === prefix.text) continue;
      this.tracked.set(d.id, { prefix, validFrom: Math.max(this.startedAfter, this.newestSeen), times: [], seqs: [] });
    }
    for (const id of [...this.tracked.keys()]) if (!keep.has(id)) this.tracked.delete(id);
  }

  /** Called with every committed batch; its events are the store's seqs `firstSeq`, `firstSeq + 1`, …. */
  observe(events: readonly Event[], firstSeq: number): void {
    for (const e of events) if (e._time > this.newestSeen) this.newestSeen = e._time;
    if (this.tracked.size === 0) return;
    const tracked = [...this.tracked.values()];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      // One parse and extraction per event, shared by every prefix (each gets its own overlay).
      const row = eventResult(e);
      for (const t of tracked) {
        if (t.prefix.accepts(e, row.clone())) {
          t.times.push(e._time);
          t.seqs.push(firstSeq + i);
        }
      }
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

  async lookup(detectionId: string, earliest: number, latest: number): Promise<number[] | null> {
    return this.covers(detectionId, earliest) ? this.matches(detectionId, earliest, latest) : null;
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
    for (let i = 0; i < t.times.length; i++) {
      const time = t.times[i]!;
      if (time >= earliest && time < latest) out.push(t.seqs[i]!);
    }
    return out;
  }

  /** Drops matches too old for any window still to run. */
  prune(): void {
    const floor = this.newestSeen - this.horizonSeconds;
    for (const t of this.tracked.values()) {
      if (!t.times.some((time) => time < floor)) continue;
      let k = 0;
      for (let i = 0; i < t.times.length; i++) {
        if (t.times[i]! < floor) continue;
        t.times[k] = t.times[i]!;
        t.seqs[k++] = t.seqs[i]!;
      }
      t.times.length = k;
      t.seqs.length = k;
    }
  }

  stats(): { detections: number; matches: number } {
    let matches = 0;
    for (const t of this.tracked.values()) matches += t.times.length;
    return { detections: this.tracked.size, matches };
  }
}
