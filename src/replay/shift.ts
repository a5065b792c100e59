import { parseTetragonTime } from '../sources/tetragon.js';

const TIME_KEYS = new Set(['time', 'start_time']);

/** The newest top-level `time` of a Tetragon line, or null. */
export function lineTime(line: string): number | null {
  try {
    const v = JSON.parse(line) as { time?: unknown };
    return typeof v.time === 'string' ? parseTetragonTime(v.time) : null;
  } catch {
    return null;
  }
}

/** RFC 3339 with nanoseconds, as Tetragon writes it. */
function rfc3339(epoch: number, nanosText: string | null): string {
  const whole = Math.floor(epoch);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  if (nanosText === null) return `${base}Z`;
  const frac = Math.round((epoch - whole) * 1e9);
  return `${base}.${String(Math.min(frac, 999_999_999)).padStart(9, '0').slice(0, nanosText.length)}Z`;
}

/**
 * Moves every Tetragon timestamp of an event (`time`, `start_time` of processes and containers, exit
 * times) by `delta` seconds, keeping their precision, so that relations between them (a late shell, a
 * container start) survive the shift. Lines that are not JSON are returned unchanged.
 */
export function shiftLine(line: string, delta: number): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return line;
  }
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (x === null || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const val = o[k];
      if (TIME_KEYS.has(k) && typeof val === 'string') {
        const t = parseTetragonTime(val);
        if (t !== null) {
          const m = /\.(\d+)Z$/.exec(val);
          o[k] = rfc3339(t + delta, m ? m[1]! : null);
          continue;
        }
      }
      walk(val);
    }
  };
  walk(v);
  return JSON.stringify(v);
}
