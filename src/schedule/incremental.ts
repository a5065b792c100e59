import type { ContentPack } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import type { Event } from '../events/event.js';
import type { Result } from '../events/result.js';
import { eventResult } from '../normalize/event-result.js';
import { metadataPredicate } from '../events/scan.js';
import type { Sink } from '../spl/commands/types.js';
import { buildOperators, createContext } from '../spl/exec/run.js';
import { plan as planSearch } from '../spl/index.js';
import type { SearchPlan } from '../spl/plan/plan.js';
import { compileSearch } from '../spl/search/predicate.js';
import { NO_LOOKUPS } from '../spl/lookups.js';

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
export function compilePrefix(d: Detection, pack: ContentPack, tz: string): Prefix | null {
  let p: SearchPlan;
  try {
    p = planSearch(d.search, { macros: pack.macros, lookups: pack.lookups, now: 0, tz, name: d.name });
  } catch {
    return null;
  }
  if (p.generating || p.scan.metadata.some((m) => m.field === 'index')) return null;
  const stages = [];
  for (const s of p.stages) {
    if (!PREFIX_COMMANDS.has(s.command.name) || s.blueprint.kind(s.command.args) !== 'streaming' || s.blueprint.orderSensitive(s.command.args)) break;
    stages.push(s);
  }
  const src = p.pipeline.source.text;
  const end = stages.length ? stages[stages.length - 1]!.command.span.end : (p.pipeline.commands[0]?.span.end ?? 0);
  const text = src.slice(0, end);
  if (TIME_DEPENDENT.test(text)) return null;
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
  /** Windows starting after this event time are fully covered by `matches`. */
  validFrom: number;
  /** Matching events, in arrival order. */
  matches: Event[];
}

/**
 * Evaluates detections' filter prefixes as events are committed, so a scheduled (or realtime) run only
 * aggregates the prior matches instead of rescanning its window. Exactness: the index sees every event
 * committed by this process after it started; a window is served from it only when it starts after the
 * newest event time the store held at start (and after the last change of the detection's prefix), so no
 * event of the window can predate the index. Otherwise the run falls back to a full scan.
 */
export class MatchIndex {
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

  /** (Re)compiles prefixes for the given detections; a changed prefix restarts its coverage. */
  setDetections(detections: readonly Detection[], pack: ContentPack, tz: string): void {
    const keep = new Set<string>();
    for (const d of detections) {
      const prefix = compilePrefix(d, pack, tz);
      if (!prefix) continue;
      keep.add(d.id);
      const old = this.tracked.get(d.id);
      if (old && old.prefix.text === prefix.text) continue;
      this.tracked.set(d.id, { prefix, validFrom: Math.max(this.startedAfter, this.newestSeen), matches: [] });
    }
    for (const id of [...this.tracked.keys()]) if (!keep.has(id)) this.tracked.delete(id);
  }

  /** Called with every committed batch. */
  observe(events: readonly Event[]): void {
    for (const e of events) if (e._time > this.newestSeen) this.newestSeen = e._time;
    if (this.tracked.size === 0) return;
    const tracked = [...this.tracked.values()];
    for (const e of events) {
      // One parse and extraction per event, shared by every prefix (each gets its own overlay).
      const row = eventResult(e);
      let kept: Event | null = null;
      for (const t of tracked) {
        if (t.prefix.accepts(e, row.clone())) t.matches.push((kept ??= { ...e, json: undefined }));
      }
    }
  }

  /** Whether a run of `detectionId` over [earliest, …) can be served from the index. */
  covers(detectionId: string, earliest: number): boolean {
    const t = this.tracked.get(detectionId);
    return t !== undefined && earliest > t.validFrom;
  }

  matches(detectionId: string, earliest: number, latest: number): Event[] {
    const t = this.tracked.get(detectionId);
    return t ? t.matches.filter((e) => e._time >= earliest && e._time < latest) : [];
  }

  /** Drops matches too old for any window still to run. */
  prune(): void {
    const floor = this.newestSeen - this.horizonSeconds;
    for (const t of this.tracked.values()) if (t.matches.length && t.matches[0]!._time < floor) t.matches = t.matches.filter((e) => e._time >= floor);
  }

  stats(): { detections: number; matches: number } {
    let matches = 0;
    for (const t of this.tracked.values()) matches += t.matches.length;
    return { detections: this.tracked.size, matches };
  }
}
