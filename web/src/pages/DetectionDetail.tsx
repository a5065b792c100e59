import { useEffect, useState } from 'react';
import { printableLines } from '../../../src/outputs/printable.js';
import { MAX_PREVIEW_ROWS, type ApiErrorBody, type DetectionDetail as Detail, type FilterMacro, type FilterPreview } from '../../../src/web/api-types.js';
import { api, ApiError } from '../api.js';
import { SplCode } from '../components/Spl.js';
import { Chips, ErrorBox, Loading, Page, RunBadge } from '../components/ui.js';
import { fieldText, fmtDuration, fmtNumber, fmtRelative, fmtTime } from '../format.js';
import { useApi } from '../hooks.js';
import { Link } from '../router.js';
import { toggleDetection } from './Detections.js';

function errorBody(e: unknown): ApiErrorBody {
  return e instanceof ApiError ? e.body : { code: 'ERROR', message: (e as Error).message };
}

function FilterEditor({ d, onSaved }: { d: Detail; onSaved: () => void }) {
  const [text, setText] = useState(d.filterMacro.definition);
  const [error, setError] = useState<ApiErrorBody | null>(null);
  const [preview, setPreview] = useState<FilterPreview | null>(null);
  const [busy, setBusy] = useState<'validate' | 'preview' | 'save' | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => setText(d.filterMacro.definition), [d.filterMacro.definition]);
  const base = `/api/detections/${encodeURIComponent(d.id)}/filter`;
  const act = async (kind: 'validate' | 'preview' | 'save') => {
    setBusy(kind);
    setError(null);
    setMessage('');
    if (kind !== 'save') setPreview(null);
    try {
      if (kind === 'validate') {
        await api(`${base}/validate`, { method: 'POST', body: { definition: text } });
        setMessage('The filter is valid.');
      } else if (kind === 'preview') {
        setPreview(await api<FilterPreview>(`${base}/preview`, { method: 'POST', body: { definition: text } }));
      } else {
        const saved = await api<FilterMacro>(base, { method: 'PUT', body: { definition: text } });
        setMessage(`Saved ${saved.name}; the next runs use it.`);
        onSaved();
      }
    } catch (e) {
      setError(errorBody(e));
    } finally {
      setBusy(null);
    }
  };
  const inFilter = error && error.line !== undefined && error.inMacro === d.filterMacro.name;
  const fields = preview ? [...new Set(preview.suppressed.flatMap((r) => Object.keys(r)))].filter((f) => !f.startsWith('_') || f === '_time').slice(0, 8) : [];
  return (
    <section className="card" aria-labelledby="h-filter">
      <h2 id="h-filter">Filter macro</h2>
      <p className="muted small">
        <code>`{d.filterMacro.name}`</code> ends the search: results it drops never become risk events. {d.filterMacro.custom ? 'Edited in the console.' : d.filterMacro.file ? `From ${d.filterMacro.file}.` : 'Default (keeps everything).'}
      </p>
      <label htmlFor="filter-def">Definition</label>
      <textarea
        id="filter-def"
        className="code-input"
        value={text}
        spellCheck={false}
        rows={Math.min(10, Math.max(3, text.split('\n').length + 1))}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'filter-error' : undefined}
      />
      <div className="row">
        <button type="button" className="secondary" onClick={() => void act('validate')} disabled={busy !== null}>
          Validate
        </button>
        <button type="button" className="secondary" onClick={() => void act('preview')} disabled={busy !== null}>
          {busy === 'preview' ? 'Running…' : 'Preview last 24 h'}
        </button>
        <button type="button" onClick={() => void act('save')} disabled={busy !== null || text === d.filterMacro.definition}>
          Save filter
        </button>
      </div>
      <p role="status" className="ok">
        {message}
      </p>
      {error ? (
        <div id="filter-error" className="error" role="alert">
          <strong>{error.code}</strong> {error.message}
          {error.line !== undefined ? (
            <span>
              {' '}
              at {error.inMacro ? `macro ${error.inMacro} ` : 'the search '}
              {error.line}:{error.column}
            </span>
          ) : null}
          {inFilter ? <SplCode text={text} mark={{ line: error.line!, column: error.column!, length: error.length ?? 1 }} label="Filter with the error marked" /> : null}
        </div>
      ) : null}
      {preview ? (
        <div className="preview" data-testid="filter-preview" role="region" aria-label="Filter preview">
          <p>
            Over {fmtTime(preview.earliest)} → {fmtTime(preview.latest)}: <strong>{fmtNumber(preview.before)}</strong> results without a filter,{' '}
            <strong>{fmtNumber(preview.after)}</strong> with it — <strong>{fmtNumber(preview.suppressedCount)} suppressed</strong> ({preview.elapsedMs} ms).
          </p>
          {preview.truncated ? (
            <p className="muted" data-testid="filter-preview-truncated">
              Compared the first {fmtNumber(MAX_PREVIEW_ROWS)} rows of each search; counts are partial.
            </p>
          ) : null}
          {preview.suppressed.length ? (
            <div className="table-wrap">
              <table>
                <caption>Results the filter would suppress</caption>
                <thead>
                  <tr>
                    {fields.map((f) => (
                      <th key={f} scope="col">
                        {f}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {preview.suppressed.map((r, i) => (
                    <tr key={i}>
                      {fields.map((f) => (
                        <td key={f} className="pre">
                          {fieldText(r[f])}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

export function DetectionDetail({ id }: { id: string }) {
  const { data: d, error, loading, reload } = useApi<Detail>(`/api/detections/${encodeURIComponent(id)}`);
  const [toggleError, setToggleError] = useState<Error | null>(null);
  const toggle = async () => {
    if (!d) return;
    try {
      await toggleDetection(d.id, !d.enabled);
      reload();
    } catch (e) {
      setToggleError(e as Error);
    }
  };
  return (
    <Page
      title={d ? d.name : 'Detection'}
      busy={loading && !d}
      actions={
        d ? (
          <label className="inline switch">
            <input type="checkbox" checked={d.enabled} onChange={() => void toggle()} /> Enabled
          </label>
        ) : null
      }
    >
      <p>
        <Link to="/detections">← Detections</Link>
      </p>
      <ErrorBox error={error ?? toggleError} />
      {!d ? (
        loading ? <Loading /> : null
      ) : (
        <>
          <div className="grid-2">
            <section className="card" aria-labelledby="h-about">
              <h2 id="h-about">About</h2>
              <p>{printableLines(d.description)}</p>
              <dl className="props">
                <dt>Type</dt>
                <dd>{d.type}</dd>
                <dt>Schedule</dt>
                <dd>
                  <code>{d.cron}</code>, window {d.earliest} → {d.latest}
                  {d.mode === 'realtime' ? ', realtime' : ''}
                </dd>
                <dt>Next run</dt>
                <dd>{d.enabled ? `${fmtTime(d.nextRun)} (${fmtRelative(d.nextRun)})` : 'disabled'}</dd>
                <dt>ATT&amp;CK</dt>
                <dd>
                  {d.attack.length ? (
                    <ul className="chips">
                      {d.attack.map((a) => (
                        <li key={a.id} className="chip">
                          {a.id}
                          {a.tactics.length ? ` · ${a.tactics.join(', ')}` : ''}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </dd>
                <dt>Risk</dt>
                <dd>{d.riskObjects.length ? d.riskObjects.map((r) => `${r.field} (${r.type}) +${r.score}`).join('; ') : <span className="muted">none</span>}</dd>
                {d.riskObjects[0]?.message ? (
                  <>
                    <dt>Risk message</dt>
                    <dd>{d.riskObjects[0].message}</dd>
                  </>
                ) : null}
                <dt>Threat objects</dt>
                <dd>{d.threatObjects.length ? d.threatObjects.map((t) => `${t.field} (${t.type})`).join(', ') : <span className="muted">none</span>}</dd>
                {d.throttle ? (
                  <>
                    <dt>Throttle</dt>
                    <dd>
                      by {d.throttle.fields.join(', ')} for {fmtDuration(d.throttle.periodSeconds)}
                    </dd>
                  </>
                ) : null}
                <dt>Analytic stories</dt>
                <dd>
                  <Chips items={d.stories} kind="Analytic stories" />
                </dd>
                <dt>Data sources</dt>
                <dd>{d.dataSource.join(', ') || <span className="muted">none</span>}</dd>
                <dt>Version</dt>
                <dd>
                  {d.version ?? '—'} · {d.date ?? ''} · {d.author ?? ''} · {d.status ?? ''}
                </dd>
                <dt>File</dt>
                <dd className="small">{d.file}</dd>
              </dl>
              {d.knownFalsePositives ? (
                <>
                  <h3>Known false positives</h3>
                  <p>{printableLines(d.knownFalsePositives)}</p>
                </>
              ) : null}
            </section>
            <section className="card" aria-labelledby="h-spl">
              <h2 id="h-spl">Search</h2>
              <SplCode text={d.search.trimEnd()} label={`SPL of ${d.name}`} />
              <p>
                <Link className="button secondary" to={`/search?q=${encodeURIComponent(d.search.trim())}&range=-24h`}>
                  Open in Search
                </Link>
              </p>
            </section>
          </div>
          <FilterEditor d={d} onSaved={reload} />
          <section className="card" aria-labelledby="h-runs">
            <h2 id="h-runs">Run history</h2>
            {d.runs.length === 0 ? (
              <p className="muted">No runs yet.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption className="sr-only">Last {d.runs.length} runs, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Scheduled</th>
                      <th scope="col">Window</th>
                      <th scope="col">Status</th>
                      <th scope="col">Mode</th>
                      <th scope="col" className="num">Results</th>
                      <th scope="col" className="num">Risk events</th>
                      <th scope="col" className="num">Findings</th>
                      <th scope="col" className="num">Took</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.runs.map((r) => (
                      <tr key={r.scheduledTime}>
                        <td className="nowrap">{fmtTime(r.scheduledTime)}</td>
                        <td className="nowrap small">
                          {fmtTime(r.earliest)} → {fmtTime(r.latest)}
                        </td>
                        <td>
                          <RunBadge status={r.status} />
                          {r.error ? <pre className="small run-error">{r.error}</pre> : null}
                        </td>
                        <td>{r.mode}</td>
                        <td className="num">{fmtNumber(r.resultCount)}</td>
                        <td className="num">{fmtNumber(r.riskEventCount)}</td>
                        <td className="num">{fmtNumber(r.findingCount)}</td>
                        <td className="num">{fmtNumber((r.endedAt - r.startedAt) * 1000)} ms</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
