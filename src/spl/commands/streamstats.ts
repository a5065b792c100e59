import { Row, type Result } from '../../events/result.js';
import { toNumber } from '../../events/value.js';
import { VigilError } from '../../errors.js';
import type { Accumulator } from '../stats/aggregations.js';
import { Aggregator, GroupKeys } from '../stats/aggregator.js';
import { parseStatsArgs, type StatsArgs } from '../stats/parse.js';
import { parseSpan } from '../time/span.js';
import { defineCommand } from './types.js';

const OPTIONS = ['current', 'window', 'global', 'reset_on_change', 'time_window', 'allnum', 'reset_before', 'reset_after'] as const;

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
}

/**
 * `streamstats [current=<bool>] [window=<n>] [global=<bool>] [reset_on_change=<bool>] [time_window=<span>]
 * <aggregations> [BY fields]`: running aggregates written onto each result in arrival order (the planner
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
 *
 * Decisions (UNVERIFIED in the reference notes):
 * - A result missing a BY field passes through unchanged and does not enter any window.
 * - A multivalue BY value feeds each of its groups and receives the aggregates of the first one.
 * - The window keeps a copy of each result as it arrived, so aggregates never see fields written later.
 * - `reset_before=`/`reset_after=` are not supported (an error); `allnum=` is accepted and ignored.
 * Unlimited windows cost one accumulator per group; `window=N` recomputes over up to N kept copies.
 */
export const streamstatsCommand = defineCommand<StreamstatsArgs>({
  name: 'streamstats',
  doc: 'streamstats [current=] [window=] [global=] [reset_on_change=] [time_window=] <fn>(<field>) [AS name]... [BY <fields>]: running aggregates.',
  parse: (p) => {
    const stats = parseStatsArgs(p, OPTIONS);
    if (stats.aggregations.length === 0) throw p.error('streamstats needs at least one statistical function, e.g. streamstats count', p.peek('search').span);
    const o = stats.options;
    const bool = (key: string, dflt: boolean) => {
      const v = o.get(key);
      return v ? p.parseBool(v.value, v.span) : dflt;
    };
    for (const key of ['reset_before', 'reset_after']) {
      const v = o.get(key);
      if (v) throw p.error(`streamstats ${key}= is not supported`, v.span, 'SPL_BAD_ARGUMENT');
    }
    bool('allnum', false);
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
    };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => a.stats.aggregations.map((x) => x.as),
  create: (args, ctx, next) => {
    const agg = new Aggregator(args.stats.aggregations, ctx);
    const names = args.stats.aggregations.map((x) => x.as);
    const by = args.stats.by;
    const { current, resetOnChange } = args;
    let lastKey: string | null = null;

    const keys = new GroupKeys(by);
    // Without BY, every result is in the one group whose key is ''.
    const groupKeys = (row: Result): string[] => keys.all(row).map((g) => g.key);
    /** Writes through a scratch row so `AS x` never overwrites an input before it is read. */
    const writeFrom = (state: Accumulator[], row: Result) => {
      const out = new Row();
      agg.write(state, out);
      for (const n of names) row.set(n, out.get(n));
    };

    if (args.window === 0 && args.timeWindow === null) {
      const groups = new Map<string, Accumulator[]>();
      return {
        push: (row) => {
          const keys = groupKeys(row);
          if (keys.length === 0) {
            next.push(row);
            return;
          }
          if (resetOnChange && by.length > 0) {
            const k = keys.join('\u0001');
            if (lastKey !== null && k !== lastKey) groups.clear();
            lastKey = k;
          }
          const states = keys.map((k) => {
            let s = groups.get(k);
            if (!s) groups.set(k, (s = agg.newState()));
            return s;
          });
          if (current) {
            for (const s of states) agg.feed(s, row);
            writeFrom(states[0]!, row);
          } else {
            const out = new Row();
            agg.write(states[0]!, out);
            for (const s of states) agg.feed(s, row);
            for (const n of names) row.set(n, out.get(n));
          }
          next.push(row);
        },
        end: () => next.end(),
      };
    }

    // Windowed: keep copies of the earlier rows in the window and recompute for each row.
    interface Entry {
      snap: Result;
      keys: string[];
      time: number | null;
    }
    const span = args.timeWindow;
    // Earlier rows a window keeps: the current row takes one of the N places when current=true.
    const keep = args.window === 0 ? Infinity : current ? args.window - 1 : args.window;
    const perGroup = !args.global && by.length > 0;
    const windows = new Map<string, Entry[]>();
    const inSpan = (e: Entry, t: number | null) => span === null || (t !== null && e.time !== null && Math.abs(t - e.time) < span);
    const windowOf = (k: string): Entry[] => {
      let w = windows.get(k);
      if (!w) windows.set(k, (w = []));
      return w;
    };
    const trim = (w: Entry[], t: number | null) => {
      while (w.length > keep) w.shift();
      if (span !== null) while (w.length > 0 && !inSpan(w[0]!, t)) w.shift();
    };
    return {
      push: (row) => {
        const keys = groupKeys(row);
        if (keys.length === 0) {
          next.push(row);
          return;
        }
        if (resetOnChange && by.length > 0) {
          const k = keys.join('\u0001');
          if (lastKey !== null && k !== lastKey) windows.clear();
          lastKey = k;
        }
        const tv = row.get('_time');
        const t = tv === null || Array.isArray(tv) ? null : toNumber(tv as string | number);
        const entry: Entry = { snap: row.clone(), keys, time: t };
        const k0 = keys[0]!;
        const w = windowOf(perGroup ? k0 : '');
        trim(w, t);
        const state = agg.newState();
        for (const e of w) if ((perGroup || by.length === 0 || e.keys.includes(k0)) && inSpan(e, t)) agg.feed(state, e.snap);
        if (current) agg.feed(state, entry.snap);
        writeFrom(state, row);
        if (perGroup) {
          for (const k of keys) {
            const gw = windowOf(k);
            gw.push(entry);
            trim(gw, t);
          }
        } else {
          w.push(entry);
          trim(w, t);
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
