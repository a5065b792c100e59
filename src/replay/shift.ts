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

const NS = 1_000_000_000n;

/**
 * A Tetragon time (RFC 3339, `parseTetragonTime` read it as `epoch`) moved by `deltaNs`, in UTC with as many fraction
 * digits as it had (the rest truncated). In integer nanoseconds: through floats (an epoch of 1.8e9 s has ~240 ns steps,
 * and parseTetragonTime keeps µs) `.123456789` came out `.123456001`, and `.123` moved by 1 ms stayed `.123`.
 */
function shiftTime(text: string, epoch: number, deltaNs: bigint): string {
  const fraction = /^[^.]{19}\.(\d+)/.exec(text)?.[1] ?? '';
  const places = Math.min(fraction.length, 9);
  const ns = BigInt(Math.floor(epoch)) * NS + BigInt(fraction.slice(0, 9).padEnd(9, '0')) + deltaNs;
  const unit = 10n ** BigInt(9 - places);
  const kept = ns - (((ns % unit) + unit) % unit); // floor to the text's precision, before 1970 too
  const seconds = kept - (((kept % NS) + NS) % NS);
  const base = new Date(Number(seconds / NS) * 1000).toISOString().slice(0, 19);
  return places === 0 ? `${base}Z` : `${base}.${String(kept - seconds).padStart(9, '0').slice(0, places)}Z`;
}

/**
 * Moves every Tetragon timestamp of an event (`time`, `start_time` of processes and containers, exit
 * times) by `delta` seconds, keeping their precision, so that relations between them (a late shell, a
 * container start) survive the shift. Lines that are not JSON are returned unchanged.
 */
export function shiftLine(line: string, delta: number): string {
  // The shift's own precision: µs (a delta of 1e9 s holds no finer digits as a float).
  const deltaNs = BigInt(Math.round(delta * 1e6)) * 1000n;
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
          o[k] = shiftTime(val, t, deltaNs);
          continue;
        }
      }
      walk(val);
    }
  };
  walk(v);
  return JSON.stringify(v);
}
