import type { ReactNode } from 'react';
import { printableLines } from '../../../src/outputs/printable.js';
import type { ApiErrorBody, FindingStatus } from '../../../src/web/api-types.js';
import { ApiError } from '../api.js';
import { RANGES } from '../format.js';
import { useReady, useTitle } from '../hooks.js';

/** A page: its heading, actions, and `aria-busy` while loading. */
export function Page({ title, actions, busy, children, ready }: { title: ReactNode; actions?: ReactNode; busy: boolean; ready?: boolean; children: ReactNode }) {
  // Titles name risk objects and detections: data, shown as the tables show it (printableLines).
  const shownTitle = typeof title === 'string' ? printableLines(title) : title;
  useTitle(typeof shownTitle === 'string' ? shownTitle : 'vigil');
  useReady(ready ?? !busy);
  return (
    <section className="page" aria-busy={busy} data-ready={!busy}>
      <header className="page-head">
        <h1>{shownTitle}</h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function ErrorBox({ error }: { error: Error | ApiErrorBody | null | undefined }) {
  if (!error) return null;
  const body: ApiErrorBody = error instanceof ApiError ? error.body : error instanceof Error ? { code: 'ERROR', message: error.message } : error;
  return (
    <div className="error" role="alert">
      <strong>{body.code}</strong> {body.message}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> {what}…
    </p>
  );
}

export function StatusBadge({ status }: { status: FindingStatus | string }) {
  return <span className={`badge status-${status.replace(/\s+/g, '-')}`}>{status}</span>;
}

export function RunBadge({ status }: { status: string }) {
  return <span className={`badge run-${status}`}>{status}</span>;
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
      {hint ? <div className="stat-hint muted">{hint}</div> : null}
    </div>
  );
}

export function RangeSelect({ value, onChange, id = 'range' }: { value: string; onChange: (v: string) => void; id?: string }) {
  return (
    <label className="inline" htmlFor={id}>
      Time range{' '}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {RANGES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Chips({ items, kind }: { items: readonly string[]; kind?: string }) {
  if (!items.length) return <span className="muted">none</span>;
  return (
    <ul className="chips" aria-label={kind}>
      {items.map((t) => (
        <li key={t} className="chip">
          {printableLines(t)}
        </li>
      ))}
    </ul>
  );
}

export function ScoreBar({ score, max }: { score: number; max: number }) {
  return <Bar pct={max > 0 ? Math.max(2, Math.round((score / max) * 100)) : 0} />;
}

/** A small horizontal bar filled to `pct` (0–100); decorative: the number is written next to it. */
export function Bar({ pct, className }: { pct: number; className?: string }) {
  return (
    <span className={className ? `scorebar ${className}` : 'scorebar'} aria-hidden="true">
      <span style={{ width: `${Math.min(100, Math.max(0, pct))}%` }} />
    </span>
  );
}
