import { Row, type Result } from '../../events/result.js';
import { toNumber } from '../../events/value.js';
import { VigilError } from '../../errors.js';
import { compileCondition } from '../eval/compile.js';
import type { Compiled } from '../eval/functions/types.js';
import type { EvalExpr } from '../parse/ast.js';
import { parseEvalSource } from '../parse/parser.js';
import type { SourceText } from '../source.js';
import type { Scalar } from '../../events/value.js';
import type { Accumulator } from '../stats/aggregations.js';
import { Fifo, windowFunction, type WindowFunction } from '../stats/window.js';
import { Aggregator, GroupKeys } from '../stats/aggregator.js';
import { parseStatsArgs, type StatsArgs } from '../stats/parse.js';
import { parseSpan } from '../time/span.js';
import { defineCommand, type ExecContext } from './types.js';

const OPTIONS = ['current', 'window', 'global', 'reset_on_change', 'time_window', 'allnum', 'reset_before', 'reset_after'] as const;
/** Options whose value is an eval expression. */
const EXPRESSIONS = ['reset_before', 'reset_after'] as const;

/** limits.conf [streamstats] max_stream_window: the largest `window=` Splunk accepts. */
export const MAX_STREAM_WINDOW = 10_000;

export interface StreamstatsArgs {
  stats: StatsArgs;
  current: boolean;
  /** Rows per window; 0 = every row so far. */
  window: number;
  global: boolean;
  resetOnChange: boolean;
  /** time_window in seconds, or null. */
  timeWindow: number | null;
  resetBefore: ResetCondition | null;
  resetAfter: ResetCondition | null;
}

/** A reset_before=/reset_after= expression, with the source its spans refer to (the option's value). */
export interface ResetCondition {
  key: (typeof EXPRESSIONS)[number];
  expr: EvalExpr;
  source: SourceText;
}

/**
 * `streamstats [current=<bool>] [window=<n>] [global=<bool>] [reset_on_change=<bool>] [reset_before=<expr>]
 * [reset_after=<expr>] [time_window=<span>] <aggregations> [BY fields]`: running aggregates written onto each result in arrival order (the planner
 * restores search order, newest first, before it when needed).
 *
 * Semantics (SPL reference, streamstats):
 * - `current=true` (default) includes the result itself; `current=false` aggregates only earlier results,
 *   so the first result of a group gets count=0 and no value for the other functions (the stats of
 *   nothing), which makes `current=f window=1 last(x) AS prev_x` the previous value.
 * - `window=N` (default 0 = all) limits the aggregate to the last N results, counting the current one
 *   when current=true. `global=true` (default) keeps one window across all groups and aggregates the
 *   results of the row's group inside it; `global=false` keeps a window per group. window above
 *   max_stream_window (10000) is an error, as in Splunk.
 * - `reset_on_change=true` forgets all groups when the BY values differ from the previous result that
 *   has every BY field (results missing one do not trigger a reset).
 * - `time_window=<span>` (fixed units only) limits the window to results within the span of the current
 *   one (|Δ_time| < span). Splunk requires time-sorted input for it; so do we (the oldest entries are
 *   dropped from the front of the window).
 * - `reset_before="("<eval-expression>")"` resets all of the accumulated statistics (every group, the
 *   windows too) before a result for which the expression is true; `reset_after=` does so after the
 *   result got its statistics, and its expression can read them (`reset_after="("count>=3")"`). The value
 *   may be written as the docs do (quoted parentheses glued to the expression) or as one quoted string.
 *
 * Decisions (UNVERIFIED in the reference notes):
 * - A result missing a BY field passes through unchanged and does not enter any window.
 * - A multivalue BY value feeds each of its groups and receives the aggregates of the first one.
 * - The window keeps the values each result gave as it arrived, so aggregates never see fields written later.
 * - The reset expressions are evaluated for every result, also those missing a BY field.
 * Unlimited windows cost one accumulator per group; windows are sliding (stats/window.ts, `windowed` below).
 */
export const streamstatsCommand = defineCommand<StreamstatsArgs>({
  name: 'streamstats',
  doc: 'streamstats [current=] [window=] [global=] [reset_on_change=] [reset_before=] [reset_after=] [time_window=] <fn>(<field>) [AS name]... [BY <fields>]: running aggregates.',
  parse: (p) => {
    const stats = parseStatsArgs(p, OPTIONS, EXPRESSIONS);
    if (stats.aggregations.length === 0) throw p.error('streamstats needs at least one statistical function, e.g. streamstats count', p.peek('search').span);
    const o = stats.options;
    const bool = (key: string, dflt: boolean) => {
      const v = o.get(key);
      return v ? p.parseBool(v.value, v.span) : dflt;
    };
    const reset = (key: ResetCondition['key']): ResetCondition | null => {
      const source = o.get(key)?.source;
      return source ? { key, expr: parseEvalSource(source), source } : null;
    };
    let window = 0;
    const w = o.get('window');
    if (w) {
      window = p.parseInt(w.value, w.span, 0);
      if (window > MAX_STREAM_WINDOW) throw p.error(`window=${window} is larger than the maximum stream window (${MAX_STREAM_WINDOW})`, w.span, 'SPL_BAD_ARGUMENT');
    }
    let timeWindow: number | null = null;
    const tw = o.get('time_window');
    if (tw) {
      let span;
      try {
        span = parseSpan(tw.value);
      } catch (e) {
        if (e instanceof VigilError) throw p.error(e.message, tw.span, 'SPL_BAD_ARGUMENT');
        throw e;
      }
      if (span.kind !== 'seconds') throw p.error(`time_window needs a fixed time span such as 30s, 5m or 1h, not "${tw.value}"`, tw.span, 'SPL_BAD_ARGUMENT');
      timeWindow = span.seconds;
    }
    return {
      stats,
      current: bool('current', true),
      window,
      global: bool('global', true),
      resetOnChange: bool('reset_on_change', false),
      timeWindow,
      resetBefore: reset('reset_before'),
      resetAfter: reset('reset_after'),
    };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => a.stats.aggregations.map((x) => x.as),
  create: (args, ctx, next) => {
    const running = args.window === 0 && args.timeWindow === null ? unlimited(args, ctx) : windowed(args, ctx);
    const resetBefore = args.resetBefore && resetTest(args.resetBefore, ctx);
    const resetAfter = args.resetAfter && resetTest(args.resetAfter, ctx);
    return {
      push: (row) => {
        if (resetBefore && resetBefore(row) === true) running.clear();
        running.compute(row);
        // Before the row moves on: later commands may change it.
        if (resetAfter && resetAfter(row) === true) running.clear();
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** Running aggregates: `compute` writes them onto a result (one with every BY field), `clear` starts over. */
interface Running {
  compute(row: Result): void;
  clear(): void;
}

/** A reset expression compiled against the source it was written in; it must be a boolean, like where's. */
function resetTest(c: ResetCondition, ctx: ExecContext): Compiled {
  return compileCondition(c.expr, ctx, c.source, c.key);
}

/** What both kinds of running aggregates share: the aggregator, group keys and reset_on_change. */
function common(args: StreamstatsArgs, ctx: ExecContext) {
  const agg = new Aggregator(args.stats.aggregations, ctx);
  const names = args.stats.aggregations.map((x) => x.as);
  const by = args.stats.by;
  const keys = new GroupKeys(by);
  let lastKeys: readonly string[] | null = null;
  return {
    agg,
    names,
    by,
    // Without BY, every result is in the one group whose key is ''.
    groupKeys: (row: Result): string[] => keys.all(row).map((g) => g.key),
    /** Writes through a scratch row so `AS x` never overwrites an input before it is read. */
    writeFrom: (state: Accumulator[], row: Result) => {
      const out = new Row();
      agg.write(state, out);
      for (const n of names) row.set(n, out.get(n));
    },
    /** reset_on_change: whether this result's BY values differ from the last ones seen. */
    changed: (groupKeys: string[]): boolean => {
      if (!args.resetOnChange || by.length === 0) return false;
      // Compared key by key (a joined text would let a value holding the separator equal a multivalue's keys).
      const changed = lastKeys !== null && (lastKeys.length !== groupKeys.length || lastKeys.some((k, i) => k !== groupKeys[i]));
      lastKeys = groupKeys;
      return changed;
    },
  };
}

/** No window: one accumulator per group. */
function unlimited(args: StreamstatsArgs, ctx: ExecContext): Running {
  const { agg, names, groupKeys, writeFrom, changed } = common(args, ctx);
  const groups = new Map<string, Accumulator[]>();
  return {
    clear: () => groups.clear(),
    compute: (row) => {
      const keys = groupKeys(row);
      if (keys.length === 0) return;
      if (changed(keys)) groups.clear();
      const states = keys.map((k) => {
        let s = groups.get(k);
        if (!s) groups.set(k, (s = agg.newState()));
        return s;
      });
      if (args.current) {
        for (const s of states) agg.feed(s, row);
        writeFrom(states[0]!, row);
      } else {
        const out = new Row();
        agg.write(states[0]!, out);
        for (const s of states) agg.feed(s, row);
        for (const n of names) row.set(n, out.get(n));
      }
    },
  };
}

/** Records the values a row gives each aggregation, as Aggregator.feed hands them to an accumulator. */
class Recorder implements Accumulator {
  values: Scalar[] = [];
  add(v: Scalar): void {
    this.values.push(v);
  }
  result(): null {
    return null;
  }
}

/**
 * window= or time_window=. A window is a queue of the results in it, each kept as the values it gave each
 * aggregation (taken as it arrived: aggregates never see fields written later) and its BY keys; a group's
 * results in it are folded into sliding-window functions (stats/window.ts) as they enter and leave, so a row
 * costs O(1) amortized per function. The window's result of a row is what feeding its group's results in the
 * window, in order, then the row itself (current=true) gives. Recomputed over the window instead: a function
 * without a window form, one whose window holds a value it cannot take back exactly (windowFunction's `exact`), and a
 * time_window holding results outside the row's span (input not sorted by time: only the oldest are dropped, the
 * others skipped).
 */
function windowed(args: StreamstatsArgs, ctx: ExecContext): Running {
  const { agg, by, names, groupKeys, writeFrom, changed } = common(args, ctx);
  interface Entry {
    /** Per aggregation, the values the row gave it. */
    values: Scalar[][];
    keys: string[];
    time: number | null;
  }
  const makers = agg.specs.map((s) => windowFunction(s));
  const incremental = makers.every((m) => m !== null);
  interface GroupState {
    entries: number;
    fns: WindowFunction[];
  }
  interface Window {
    q: Fifo<Entry>;
    /** The shared window's groups' window functions (global=true with BY). */
    groups: Map<string, GroupState> | null;
    /** Those of a window of one group (global=false, or no BY): a window per BY value must stay small. */
    own: GroupState | null;
    /** The entries' times (time_window): monotonic queues of the smallest and largest. */
    times: { lo: Fifo<Entry>; hi: Fifo<Entry> } | null;
    /** Entries without a time (never in a span). */
    untimed: number;
  }
  const span = args.timeWindow;
  // Earlier rows a window keeps: the current row takes one of the N places when current=true.
  const keep = args.window === 0 ? Infinity : args.current ? args.window - 1 : args.window;
  const perGroup = !args.global && by.length > 0;
  const shared = !perGroup && by.length > 0;
  const windows = new Map<string, Window>();
  const inSpan = (e: Entry, t: number | null) => span === null || (t !== null && e.time !== null && Math.abs(t - e.time) < span);
  const windowOf = (k: string): Window => {
    let w = windows.get(k);
    if (!w) windows.set(k, (w = { q: new Fifo(), groups: shared ? new Map() : null, own: null, times: span === null ? null : { lo: new Fifo(), hi: new Fifo() }, untimed: 0 }));
    return w;
  };
  // The groups an entry counts for in a window: each of its keys once in the shared window.
  const groupsOf = (e: Entry): readonly string[] => (shared ? (e.keys.length === 1 ? e.keys : [...new Set(e.keys)]) : ['']);
  const stateOf = (w: Window, g: string): GroupState | undefined => (w.groups !== null ? w.groups.get(g) : (w.own ?? undefined));
  const enter = (w: Window, e: Entry) => {
    w.q.push(e);
    if (w.times !== null && e.time === null) w.untimed++;
    else if (w.times !== null && e.time !== null) {
      const { lo, hi } = w.times;
      const time = e.time;
      for (let b = lo.last(); b !== undefined && b.time! > time; b = lo.last()) lo.popLast();
      lo.push(e);
      for (let b = hi.last(); b !== undefined && b.time! < time; b = hi.last()) hi.popLast();
      hi.push(e);
    }
    if (!incremental) return;
    for (const g of groupsOf(e)) {
      let s = stateOf(w, g);
      if (!s) {
        s = { entries: 0, fns: makers.map((m) => m!()) };
        if (w.groups !== null) w.groups.set(g, s);
        else w.own = s;
      }
      s.entries++;
      for (let i = 0; i < s.fns.length; i++) s.fns[i]!.push(e.values[i]!, e.time);
    }
  };
  const leave = (w: Window) => {
    const e = w.q.shift()!;
    if (w.times !== null) {
      if (e.time === null) w.untimed--;
      if (w.times.lo.first() === e) w.times.lo.shift();
      if (w.times.hi.first() === e) w.times.hi.shift();
    }
    if (!incremental) return;
    for (const g of groupsOf(e)) {
      const s = stateOf(w, g)!;
      if (--s.entries > 0) for (let i = 0; i < s.fns.length; i++) s.fns[i]!.shift(e.values[i]!, e.time);
      else if (w.groups !== null) w.groups.delete(g);
      else w.own = null;
    }
  };
  const trim = (w: Window, t: number | null, max: number) => {
    while (w.q.length > max) leave(w);
    if (span !== null) while (w.q.length > 0 && !inSpan(w.q.first()!, t)) leave(w);
  };
  /** Whether every entry of the window is within the span of `t` (its oldest and newest times are). */
  const allInSpan = (w: Window, t: number | null) =>
    w.times === null || w.q.length === 0 || (t !== null && w.untimed === 0 && Math.abs(t - w.times.lo.first()!.time!) < span! && Math.abs(w.times.hi.first()!.time! - t) < span!);
  /** The row's results from its window (`current`: the row, just entered, is the window's newest entry). */
  const write = (w: Window, k0: string, t: number | null, current: Entry | null, row: Result) => {
    const s = stateOf(w, k0);
    if (incremental && allInSpan(w, t) && (s === undefined || s.fns.every((f) => f.exact()))) {
      if (s === undefined) writeFrom(agg.newState(), row);
      else for (let i = 0; i < names.length; i++) row.set(names[i]!, s.fns[i]!.result());
      return;
    }
    const state = agg.newState();
    const feed = (e: Entry) => {
      for (let i = 0; i < state.length; i++) for (const v of e.values[i]!) state[i]!.add(v, e.time);
    };
    for (const e of w.q) if (e !== current && (!shared || e.keys.includes(k0)) && inSpan(e, t)) feed(e);
    if (current) feed(current);
    writeFrom(state, row);
  };
  const recorders = agg.specs.map(() => new Recorder());
  return {
    clear: () => windows.clear(),
    compute: (row) => {
      const keys = groupKeys(row);
      if (keys.length === 0) return;
      if (changed(keys)) windows.clear();
      const tv = row.get('_time');
      const t = tv === null || Array.isArray(tv) ? null : toNumber(tv as string | number);
      for (const r of recorders) r.values = [];
      agg.feed(recorders, row);
      const entry: Entry = { values: recorders.map((r) => r.values), keys, time: t };
      const k0 = keys[0]!;
      const w = windowOf(perGroup ? k0 : '');
      trim(w, t, keep);
      // The row enters the window of its first key before the read when it counts (current=true), else after.
      if (args.current) enter(w, entry);
      write(w, k0, t, args.current ? entry : null, row);
      if (!args.current) enter(w, entry);
      trim(w, t, keep);
      if (perGroup) {
        for (let i = 1; i < keys.length; i++) {
          const gw = windowOf(keys[i]!);
          enter(gw, entry);
          trim(gw, t, keep);
        }
      }
    },
  };
}
