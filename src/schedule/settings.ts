import type { ConfigPosition } from '../config/config.js';
import { MAX_TIMER_MS, MAX_TIMER_TEXT } from '../config/units.js';
import type { Detection } from '../detections/detection.js';
import { VigilError } from '../errors.js';
import { fieldPattern } from '../spl/fields.js';
import { canonicalTimeZone } from '../spl/time/zone.js';

/** The `schedule:` and `detections:` sections of the config file, validated. */
export interface ScheduleSettings {
  tz: string;
  /** After downtime, scheduled times older than this are not caught up. */
  maxLagSeconds: number;
  /** A run's search is stopped after this long. */
  runTimeoutMs: number;
  enable: string[];
  disable: string[];
  enableStories: string[];
  disableStories: string[];
  /** Per-detection-id decisions made at run time (console/API); they win over everything else. */
  overrides: Record<string, boolean>;
  /** Detections (name/id patterns) run in realtime mode, on top of those whose content asks for it. */
  realtime: string[];
  /** Realtime windows close this long after their end, for events still in flight. */
  realtimeGraceSeconds: number;
  /** Window of detections made realtime by the config (content may set its own). */
  realtimeWindowSeconds: number | null;
  /** Evaluate detections' filter prefixes at ingest so scheduled runs only aggregate matches. */
  incremental: boolean;
  /** The longest period one backfill may cover. */
  backfillMaxPeriodSeconds: number;
  /** The most runs one backfill may execute (detections × scheduled times). */
  backfillMaxRuns: number;
  /**
   * How long a run's lease lasts without renewal (ms): a run of a node that died is taken over by another
   * node this long after its last renewal. Renewed every third of it while the run lasts.
   */
  leaseMs: number;
}

/**
 * vigil's default: run the bundled Cisco Isovalent pack and the risk incident rules (their content
 * metadata says disabled, as upstream ships it; the config decides what runs).
 */
export const DEFAULT_ENABLED = ['Cisco Isovalent - *', 'Risk - *'];

const SCHEDULE_KEYS = ['timezone', 'max_lag', 'run_timeout', 'incremental', 'realtime_grace', 'realtime_window', 'backfill_max_period', 'backfill_max_runs', 'lease'];
const DETECTIONS_KEYS = ['enable', 'disable', 'stories', 'realtime'];

/**
 * Validates the `schedule:` and `detections:` sections (unknown keys are errors, as in the rest of the config).
 * `at` gives errors the `file:line: ` of the value (VigilConfig.at).
 */
export function scheduleSettings(schedule: unknown, detections: unknown, at: ConfigPosition = () => ''): ScheduleSettings {
  const s = obj(schedule, 'schedule', at, SCHEDULE_KEYS);
  const d = obj(detections, 'detections', at, DETECTIONS_KEYS);
  const stories = obj(d['stories'], 'detections.stories', at, ['enable', 'disable']);
  return {
    tz: timeZone(s['timezone'], 'schedule.timezone', at) ?? 'UTC',
    maxLagSeconds: duration(s['max_lag'], 'schedule.max_lag', at) ?? 24 * 3600,
    runTimeoutMs: timerMs(s['run_timeout'], 'schedule.run_timeout', at, 300),
    enable: list(d['enable'], 'detections.enable', at) ?? DEFAULT_ENABLED,
    disable: list(d['disable'], 'detections.disable', at) ?? [],
    enableStories: list(stories['enable'], 'detections.stories.enable', at) ?? [],
    disableStories: list(stories['disable'], 'detections.stories.disable', at) ?? [],
    overrides: {},
    realtime: list(d['realtime'], 'detections.realtime', at) ?? [],
    realtimeGraceSeconds: duration(s['realtime_grace'], 'schedule.realtime_grace', at) ?? 1,
    realtimeWindowSeconds: duration(s['realtime_window'], 'schedule.realtime_window', at) ?? null,
    incremental: bool(s['incremental'], 'schedule.incremental', at) ?? true,
    backfillMaxPeriodSeconds: duration(s['backfill_max_period'], 'schedule.backfill_max_period', at) ?? 31 * 86400,
    backfillMaxRuns: count(s['backfill_max_runs'], 'schedule.backfill_max_runs', at) ?? 50_000,
    leaseMs: leaseSeconds(s['lease'], at) * 1000,
  };
}

/** `schedule.lease`: at least 1 s (renewals every third of it must get through a busy store in time). */
function leaseSeconds(v: unknown, at: ConfigPosition): number {
  const s = timerMs(v, 'schedule.lease', at, 60) / 1000;
  if (s < 1) fail(at, 'schedule.lease', 'must be at least 1s');
  return s;
}

/** A duration a timer runs, ms: node fires one over MAX_TIMER_MS after 1 ms (run_timeout: 30d timed every run out). */
function timerMs(v: unknown, where: string, at: ConfigPosition, dfltSeconds: number): number {
  const ms = (duration(v, where, at) ?? dfltSeconds) * 1000;
  if (ms > MAX_TIMER_MS) fail(at, where, MAX_TIMER_TEXT);
  return ms;
}

function fail(at: ConfigPosition, where: string, message: string): never {
  throw new VigilError('CONFIG', `${at(where.split('.'))}${where} ${message}`);
}

/**
 * Whether the scheduler runs a detection. A run-time override for its id decides first; then disabling by name/id or by one of its stories wins; then enabling
 * by name/id or story; otherwise the detection's own content decides (`schedule.disabled`, which upstream
 * content sets to true). Names match case-insensitively with `*` wildcards.
 */
function hit(patterns: readonly string[], values: readonly string[]): boolean {
  return patterns.some((p) => {
    const m = fieldPattern(p.toLowerCase());
    return values.some((v) => m(v.toLowerCase()));
  });
}

/**
 * The config's detection and story patterns that match nothing in the content, as warnings (`detections.disable
 * "Cisco Isovalent - Shel Execution" matches no detection name or id`): a typo in a disable list left the detection
 * running without a word. Patterns are matched as `isScheduled` does (any case, `*` wildcards).
 */
export function unmatchedPatterns(detections: readonly Detection[], s: ScheduleSettings): string[] {
  const names = detections.flatMap((d) => [d.name, d.id]);
  const stories = [...new Set(detections.flatMap((d) => d.analyticStories))];
  const lists: [string, readonly string[], readonly string[], string][] = [
    ['detections.enable', s.enable, names, 'detection name or id'],
    ['detections.disable', s.disable, names, 'detection name or id'],
    ['detections.realtime', s.realtime, names, 'detection name or id'],
    ['detections.stories.enable', s.enableStories, stories, 'analytic story'],
    ['detections.stories.disable', s.disableStories, stories, 'analytic story'],
  ];
  return lists.flatMap(([where, patterns, values, what]) => patterns.filter((p) => !hit([p], values)).map((p) => `${where} "${p}" matches no ${what} of the content`));
}

/** Whether a detection runs on realtime tumbling windows (its content or the config says so). */
export function isRealtime(d: Detection, s: ScheduleSettings): boolean {
  return d.schedule.mode === 'realtime' || hit(s.realtime, [d.name, d.id]);
}

/** A realtime detection's tumbling window, seconds: the config's `schedule.realtime_window`, else its content's. */
export function realtimeWindowOf(d: Detection, s: ScheduleSettings): number {
  return s.realtimeWindowSeconds ?? d.schedule.realtimeWindowSeconds;
}

/** The end of the first tumbling window of `w` seconds ending after `after`: a realtime detection's next scheduled time. */
export function nextWindowEnd(w: number, after: number): number {
  return Math.floor(after / w) * w + w;
}

export function isScheduled(d: Detection, s: ScheduleSettings): boolean {
  const forced = s.overrides[d.id];
  if (forced !== undefined) return forced;
  if (hit(s.disable, [d.name, d.id]) || hit(s.disableStories, d.analyticStories)) return false;
  if (hit(s.enable, [d.name, d.id]) || hit(s.enableStories, d.analyticStories)) return true;
  return !d.schedule.disabled;
}

function obj(v: unknown, where: string, at: ConfigPosition, keys: readonly string[]): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(at, where, 'must be a mapping');
  for (const k of Object.keys(v)) if (!keys.includes(k)) fail(at, `${where}.${k}`, `is not a known setting (known: ${keys.join(', ')})`);
  return v as Record<string, unknown>;
}

/** An IANA zone name; checked now, so a typo stops the start instead of the first scheduled run. */
function timeZone(v: unknown, where: string, at: ConfigPosition): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(at, where, 'must be text');
  try {
    canonicalTimeZone(v);
  } catch (e) {
    fail(at, where, (e as Error).message);
  }
  return v;
}

function bool(v: unknown, where: string, at: ConfigPosition): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(at, where, 'must be true or false');
  return v;
}

function list(v: unknown, where: string, at: ConfigPosition): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(at, where, 'must be a list of names');
  return v as string[];
}

function count(v: unknown, where: string, at: ConfigPosition): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(at, where, 'must be a whole number of at least 1');
  return v;
}

/** Seconds, fractional allowed: 250ms, 1.5s, 30m, 24h, 7d (or a plain number of seconds). */
function duration(v: unknown, where: string, at: ConfigPosition): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && v >= 0) return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(v) : null;
  if (!m) fail(at, where, 'must be a duration such as 500ms, 30m or 24h');
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
