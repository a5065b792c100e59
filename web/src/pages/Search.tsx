import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { printableLines } from '../../../src/outputs/printable.js';
import type { ApiErrorBody, JsonRow } from '../../../src/web/api-types.js';
import { ApiError, searchStream } from '../api.js';
import { columnsOf } from '../columns.js';
import { SplCode } from '../components/Spl.js';
import { Page } from '../components/ui.js';
import { fieldText, fmtNumber, RANGES } from '../format.js';
import { setQuery, useRoute } from '../router.js';

const MAX_ROWS = 50_000;
const PAGE = 50;

interface Progress {
  scanned: number;
  results: number;
  elapsedMs: number;
}

interface FieldSummary {
  name: string;
  count: number;
  top: { value: string; count: number }[];
  distinct: number;
}

/** Fields of the results with how many rows have them and their most common values (first 10 000 rows). */
function summarize(rows: readonly JsonRow[]): FieldSummary[] {
  const fields = new Map<string, { count: number; values: Map<string, number> }>();
  for (const r of rows.slice(0, 10_000)) {
    for (const [k, v] of Object.entries(r)) {
      if (k === '_raw') continue;
      let f = fields.get(k);
      if (!f) fields.set(k, (f = { count: 0, values: new Map() }));
      f.count++;
      for (const x of Array.isArray(v) ? v : [v]) {
        const s = String(x);
        if (f.values.size < 5000 || f.values.has(s)) f.values.set(s, (f.values.get(s) ?? 0) + 1);
      }
    }
  }
  return [...fields.entries()]
    .map(([name, f]) => ({
      name,
      count: f.count,
      distinct: f.values.size,
      top: [...f.values.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10)
        .map(([value, count]) => ({ value, count })),
    }))
    .sort((a, b) => (a.name === '_time' ? -1 : b.name === '_time' ? 1 : b.count - a.count || (a.name < b.name ? -1 : 1)));
}

export function Search() {
  const { query } = useRoute();
  const [text, setText] = useState(query.get('q') ?? '');
  const [range, setRange] = useState(query.get('range') ?? '-24h');
  const [earliest, setEarliest] = useState(query.get('earliest') ?? '-24h');
  const [latest, setLatest] = useState(query.get('latest') ?? 'now');
  const [rows, setRows] = useState<JsonRow[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<ApiErrorBody | null>(null);
  const [errorText, setErrorText] = useState('');
  const [done, setDone] = useState<string>('');
  const [warnings, setWarnings] = useState<string[]>([]);
  const [declared, setDeclared] = useState<readonly string[]>([]);
  const [view, setView] = useState<'table' | 'events'>('table');
  const [page, setPage] = useState(0);
  const abortRef = useRef<AbortController | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  // The clock of the running search, ticking here: a search whose events are read before its first result (a
  // generating or stats-only one) sends no progress line, and the status said "0 s" until it ended.
  const startedAt = useRef(0);
  const [, setClock] = useState(0);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setClock((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [running]);

  /** `fromLink`: the search arrived in the address (a link), so the server refuses it if it holds a risky command. */
  const run = async ({ fromLink = false }: { fromLink?: boolean } = {}) => {
    if (!text.trim()) return;
    abortRef.current?.abort();
    const abort = new AbortController();
    abortRef.current = abort;
    setQuery({ q: text, range, earliest: range === 'custom' ? earliest : null, latest: range === 'custom' ? latest : null });
    setRows([]);
    setPage(0);
    setError(null);
    setDone('');
    setWarnings([]);
    setDeclared([]);
    setProgress({ scanned: 0, results: 0, elapsedMs: 0 });
    setRunning(true);
    const buf: JsonRow[] = [];
    let flushed = 0;
    let lastFlush = performance.now();
    const t0 = performance.now();
    startedAt.current = t0;
    const flush = () => {
      if (buf.length !== flushed) {
        flushed = buf.length;
        setRows(buf.slice());
      }
      lastFlush = performance.now();
    };
    const body: Record<string, unknown> = { search: text, tz: Intl.DateTimeFormat().resolvedOptions().timeZone };
    // Splunk Web's SPL safeguards for risky commands: a link cannot make the analyst write lookups or start a map.
    if (fromLink) body['checkRiskyCommands'] = true;
    if (range === 'custom') {
      body['earliest'] = earliest;
      body['latest'] = latest;
    } else if (range !== 'all') body['earliest'] = range;
    try {
      for await (const line of searchStream(body, abort.signal)) {
        if ('result' in line) {
          if (buf.length < MAX_ROWS) buf.push(line.result);
        } else if ('progress' in line) {
          setProgress({ ...line.progress, results: Math.max(line.progress.results, buf.length) });
        } else if ('error' in line) {
          setError(line.error);
          setErrorText(text);
          setWarnings(line.warnings);
        } else if ('done' in line) {
          setWarnings(line.warnings);
          setDeclared(line.columns ?? []);
          // docs/api.md: `done`'s stats count the events read as `eventsScanned` (progress lines say `scanned`).
          const s = line.stats as { results: number; eventsScanned?: number };
          setProgress((p) => ({ scanned: s.eventsScanned ?? p?.scanned ?? 0, results: s.results, elapsedMs: Math.round(performance.now() - t0) }));
          const read = s.eventsScanned !== undefined ? ` from ${fmtNumber(s.eventsScanned)} events` : '';
          setDone(`${fmtNumber(s.results)} results${s.results > MAX_ROWS ? ` (the first ${fmtNumber(MAX_ROWS)} are shown)` : ''}${read} in ${fmtNumber((performance.now() - t0) / 1000, 2)} s`);
        }
        if (performance.now() - lastFlush > 200) flush();
      }
    } catch (e) {
      if (!abort.signal.aborted) {
        const err = e instanceof ApiError ? e.body : { code: 'ERROR', message: (e as Error).message };
        setError(err);
        setErrorText(text);
        if (err.line !== undefined && !err.inMacro && editor.current) {
          // Put the caret on the error.
          const lines = text.split('\n');
          const offset = lines.slice(0, err.line - 1).reduce((s, l) => s + l.length + 1, 0) + (err.column ?? 1) - 1;
          editor.current.focus();
          editor.current.setSelectionRange(offset, offset + (err.length ?? 1));
        }
      } else setDone('Cancelled.');
    } finally {
      flush();
      if (abortRef.current === abort) {
        setRunning(false);
        abortRef.current = null;
      }
    }
  };

  useEffect(() => {
    if (query.get('q')) void run({ fromLink: true });
    return () => abortRef.current?.abort();
    // Run once on arrival with a search in the URL (links from other pages).
  }, []);

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  };

  const fields = useMemo(() => summarize(rows), [rows]);
  const columns = useMemo(() => columnsOf(rows, declared), [rows, declared]);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const shown = rows.slice(page * PAGE, page * PAGE + PAGE);

  return (
    <Page title="Search" busy={false}>
      <form
        className="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
        aria-label="Search"
      >
        <label htmlFor="spl">SPL search</label>
        <textarea
          id="spl"
          ref={editor}
          className="code-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          rows={Math.min(12, Math.max(3, text.split('\n').length + 1))}
          spellCheck={false}
          placeholder='`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name'
          aria-describedby="spl-help"
          aria-invalid={error ? true : undefined}
        />
        <p id="spl-help" className="muted small">
          Ctrl+Enter runs the search. Searches without <code>index=</code> read every event index but <code>risk</code> and <code>notable</code>.
        </p>
        <div className="row">
          <label className="inline">
            Time range{' '}
            <select value={range} onChange={(e) => setRange(e.target.value)} aria-label="Time range">
              {RANGES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
              <option value="custom">Custom…</option>
            </select>
          </label>
          {range === 'custom' ? (
            <>
              <label className="inline">
                Earliest <input value={earliest} onChange={(e) => setEarliest(e.target.value)} size={14} placeholder="-24h@h or ISO time" />
              </label>
              <label className="inline">
                Latest <input value={latest} onChange={(e) => setLatest(e.target.value)} size={14} placeholder="now" />
              </label>
            </>
          ) : null}
          <button type="submit" disabled={!text.trim()}>
            {running ? 'Restart' : 'Search'}
          </button>
          {running ? (
            <button type="button" className="secondary" onClick={() => abortRef.current?.abort()}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      <div className="search-status" role="status" aria-live="polite">
        {running ? (
          <>
            <progress aria-label="Search progress" /> Scanned {fmtNumber(progress?.scanned ?? 0)} events · {fmtNumber(Math.max(rows.length, progress?.results ?? 0))} results · {fmtNumber(Math.max(progress?.elapsedMs ?? 0, performance.now() - startedAt.current) / 1000, 0)} s
          </>
        ) : (
          done
        )}
      </div>
      {warnings.length ? (
        <ul className="muted small" aria-label="Search warnings" data-testid="search-warnings">
          {warnings.map((w) => (
            <li key={w}>Warning: {w}</li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <div className="error" role="alert" data-testid="search-error">
          <strong>{error.code}</strong> {error.message}
          {error.line !== undefined ? (
            <span>
              {' '}
              — {error.inMacro ? `in macro ${error.inMacro}, ` : ''}line {error.line}, column {error.column}
            </span>
          ) : null}
          {error.line !== undefined && !error.inMacro ? <SplCode text={errorText} mark={{ line: error.line, column: error.column ?? 1, length: error.length ?? 1 }} label="Search with the error marked" /> : null}
          {error.inMacro && error.text ? <pre className="small">{error.text}</pre> : null}
          {error.code === 'SPL_RISKY_COMMAND' ? (
            <p>
              This search came in a link and was not run. Read it, then{' '}
              <button type="button" className="small" onClick={() => void run()}>
                Run it
              </button>{' '}
              if it is what you meant.
            </p>
          ) : null}
        </div>
      ) : null}
      {rows.length ? (
        <div className="results">
          <aside className="fields" aria-labelledby="h-fields">
            <h2 id="h-fields">Fields</h2>
            <ul>
              {fields.map((f) => (
                <li key={f.name}>
                  <details>
                    <summary>
                      <span className="field-name">{printableLines(f.name)}</span> <span className="muted small">{fmtNumber(f.count)}</span>
                    </summary>
                    <table className="top-values">
                      <caption className="sr-only">Top values of {printableLines(f.name)}</caption>
                      <tbody>
                        {f.top.map((v) => (
                          <tr key={v.value}>
                            <td className="pre">{printableLines(v.value)}</td>
                            <td className="num">{fmtNumber(v.count)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                    {f.distinct > 10 ? <p className="muted small">{fmtNumber(f.distinct)} distinct values</p> : null}
                  </details>
                </li>
              ))}
            </ul>
          </aside>
          <div className="result-main">
            <div className="row between">
              <fieldset className="segmented">
                <legend className="sr-only">View</legend>
                <label>
                  <input type="radio" name="view" value="table" checked={view === 'table'} onChange={() => setView('table')} /> Table
                </label>
                <label>
                  <input type="radio" name="view" value="events" checked={view === 'events'} onChange={() => setView('events')} /> Events
                </label>
              </fieldset>
              <nav className="pager" aria-label="Result pages">
                <button type="button" className="secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
                  Previous
                </button>
                <span>
                  Page {page + 1} of {pages}
                </span>
                <button type="button" className="secondary" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>
                  Next
                </button>
              </nav>
            </div>
            {view === 'table' ? (
              <div className="table-wrap">
                <table data-testid="results">
                  <caption className="sr-only">Search results, page {page + 1}</caption>
                  <thead>
                    <tr>
                      {columns.map((c) => (
                        <th key={c} scope="col">
                          {printableLines(c)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((r, i) => (
                      <tr key={page * PAGE + i}>
                        {columns.map((c) => (
                          <td key={c} className={c === '_time' ? 'nowrap' : 'pre'}>
                            {fieldText(r[c])}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : (
              <ol className="events" start={page * PAGE + 1}>
                {shown.map((r, i) => (
                  <li key={page * PAGE + i}>
                    <div className="muted small">{fieldText(r['_time'])}</div>
                    <pre className="raw">
                      {r['_raw'] !== undefined
                        ? fieldText(r['_raw'])
                        : Object.entries(r)
                            .filter(([k]) => k !== '_time')
                            .map(([k, v]) => `${printableLines(k)}=${fieldText(v)}`)
                            .join('  ')}
                    </pre>
                  </li>
                ))}
              </ol>
            )}
          </div>
        </div>
      ) : null}
    </Page>
  );
}
