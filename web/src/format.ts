import { printableLines } from '../../src/outputs/printable.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-20 10:05:03` in the browser's time zone. */
export function fmtTime(epoch: number | null | undefined): string {
  if (epoch === null || epoch === undefined || !Number.isFinite(epoch)) return '—';
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "in 12 min". */
export function fmtRelative(epoch: number | null | undefined, now = Date.now() / 1000): string {
  if (epoch === null || epoch === undefined) return '—';
  const d = epoch - now;
  const unit = fmtSpan(Math.abs(d));
  return d >= 0 ? `in ${unit}` : `${unit} ago`;
}

/** An elapsed time in its largest sensible unit, rounded: "45 s", "12 min", "3 h", "2 d". */
export function fmtSpan(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const a = Math.max(0, seconds);
  return a < 90 ? `${Math.round(a)} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
}

/**
 * A 0–100 share with one decimal, rounded down so "100 %" only ever means complete (99.96 % of
 * events summarized is not full coverage: `summariesonly=true` would still miss some).
 */
export function fmtPercent(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  // + 1e-9: 64.1 * 10 is 640.9999… in floating point.
  const v = Math.floor(Math.min(100, Math.max(0, p)) * 10 + 1e-9) / 10;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

export function fmtNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toLocaleString('en-US', { maximumFractionDigits: i ? 1 : 0 })} ${units[i]}`;
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A field's value as shown: multivalues one a line, control and bidi characters as U+FFFD (`printableLines`). */
export function fieldText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return printableLines(v.map(String).join('\n'));
  return printableLines(String(v));
}

/** Time range presets shared by the pages. */
export const RANGES: { value: string; label: string }[] = [
  { value: '-1h', label: 'Last hour' },
  { value: '-4h', label: 'Last 4 hours' },
  { value: '-24h', label: 'Last 24 hours' },
  { value: '-7d', label: 'Last 7 days' },
  { value: '-30d', label: 'Last 30 days' },
  { value: 'all', label: 'All time' },
];
