import { useState } from 'react';
import { printableLines } from '../../../src/outputs/printable.js';
import type { DetectionSummary } from '../../../src/web/api-types.js';
import { api } from '../api.js';
import { ErrorBox, Loading, Page, RunBadge } from '../components/ui.js';
import { fmtNumber, fmtRelative, fmtTime } from '../format.js';
import { useApi } from '../hooks.js';
import { Link } from '../router.js';

export async function toggleDetection(id: string, enabled: boolean): Promise<DetectionSummary> {
  return (await api<{ detection: DetectionSummary }>(`/api/detections/${encodeURIComponent(id)}`, { method: 'PATCH', body: { enabled } })).detection;
}

export function Detections() {
  const { data, error, loading, reload } = useApi<{ detections: DetectionSummary[] }>('/api/detections');
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const [message, setMessage] = useState('');
  const toggle = async (d: DetectionSummary) => {
    setBusy(d.id);
    setActionError(null);
    try {
      const r = await toggleDetection(d.id, !d.enabled);
      setMessage(`${r.name} ${r.enabled ? 'enabled' : 'disabled'}.`);
      reload();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(null);
    }
  };
  const shown = (data?.detections ?? []).filter((d) => !filter || d.name.toLowerCase().includes(filter.toLowerCase()) || d.type.toLowerCase() === filter.toLowerCase());
  return (
    <Page title="Detections" busy={loading && !data}>
      <div className="filters">
        <label>
          Find a detection
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name or type" />
        </label>
        <p role="status" className="ok">
          {message}
        </p>
      </div>
      <ErrorBox error={error ?? actionError} />
      {!data ? (
        loading ? <Loading /> : null
      ) : (
        <div className="table-wrap">
          <table data-testid="detections">
            <caption className="sr-only">{shown.length} detections</caption>
            <thead>
              <tr>
                <th scope="col">Enabled</th>
                <th scope="col">Detection</th>
                <th scope="col">Type</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col" className="num" title="over the last 24 hours">
                  Results 24 h
                </th>
                <th scope="col" className="num">
                  Risk events 24 h
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <tr key={d.id}>
                  <td>
                    <input type="checkbox" checked={d.enabled} disabled={busy === d.id} onChange={() => void toggle(d)} aria-label={`Enabled: ${d.name}`} />
                  </td>
                  <th scope="row">
                    <Link to={`/detections/${encodeURIComponent(d.id)}`}>{printableLines(d.name)}</Link>
                    {d.filtered ? <span className="badge" title="its filter macro was changed"> filtered</span> : null}
                  </th>
                  <td>{d.type}</td>
                  <td className="nowrap">
                    <code>{d.cron}</code>
                    <div className="muted small">
                      {d.earliest} → {d.latest}
                      {d.mode === 'realtime' ? ' · realtime' : ''}
                    </div>
                  </td>
                  <td className="nowrap" title={fmtTime(d.nextRun)}>
                    {d.enabled ? fmtRelative(d.nextRun) : <span className="muted">disabled</span>}
                  </td>
                  <td className="nowrap">
                    {d.lastRun ? (
                      <>
                        <RunBadge status={d.lastRun.status} /> <span title={fmtTime(d.lastRun.scheduledTime)}>{fmtRelative(d.lastRun.scheduledTime)}</span>
                      </>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="num">{fmtNumber(d.last24h.results)}</td>
                  <td className="num">{fmtNumber(d.last24h.riskEvents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
