/**
 * Sizes and durations as written in vigil.yml: `10GB`, `512MiB`, `1.5 GB`, `30d`, `12h`, or plain numbers
 * (bytes, seconds). Sizes are binary (1 KB = 1024 bytes), like Splunk's size settings (maxTotalDataSizeMB).
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  y: 365 * 86400,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** The longest delay node's timers take (2^31-1 ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a config error says of a duration a timer runs that is over MAX_TIMER_MS. */
export const MAX_TIMER_TEXT = `must be at most 24 days (${MAX_TIMER_MS} ms, the longest timer)`;

/** Bytes from `10GB`/`512 MiB`/`1024`; null when malformed or not a whole, non-negative number of bytes. */
export function parseSize(value: unknown): number | null {
  return quantity(value, SIZE_UNITS, 'b');
}

/** Seconds from `30d`/`12h`/`90m`/`3600`; null when malformed. */
export function parseDuration(value: unknown): number | null {
  return quantity(value, DURATION_UNITS, 's');
}

function quantity(value: unknown, units: Record<string, number>, plainUnit: string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
  if (typeof value !== 'string') return null;
  const m = QUANTITY.exec(value);
  if (!m) return null;
  const factor = units[(m[2] || plainUnit).toLowerCase()];
  if (factor === undefined) return null;
  const n = Number(m[1]) * factor;
  return Number.isSafeInteger(Math.floor(n)) ? Math.floor(n) : null;
}
