import { useEffect, useState, type FormEvent } from 'react';
import { printableLines } from '../../../src/outputs/printable.js';
import { FINDING_STATUSES, type FindingDetail as Detail, type FindingStatus, type FindingSummary } from '../../../src/web/api-types.js';
import { api } from '../api.js';
import { RiskEventsTable } from '../components/RiskEvents.js';
import { Chips, ErrorBox, Loading, Page, StatusBadge } from '../components/ui.js';
import { fmtNumber, fmtTime } from '../format.js';
import { useApi } from '../hooks.js';
import { Link } from '../router.js';
import { riskLink } from '../risk-link.js';

export function FindingDetail({ id, user }: { id: string; user: string }) {
  const { data, error, loading, reload } = useApi<Detail>(`/api/findings/${encodeURIComponent(id)}`);
  const [status, setStatus] = useState<FindingStatus>('new');
  const [owner, setOwner] = useState('');
  const [comment, setComment] = useState('');
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState('');
  const [actionError, setActionError] = useState<Error | null>(null);
  useEffect(() => {
    if (data) {
      setStatus(data.finding.status);
      setOwner(data.finding.owner ?? '');
    }
  }, [data]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setActionError(null);
    try {
      const r = await api<{ finding: FindingSummary }>(`/api/findings/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status, owner: owner.trim() || null } });
      setMessage(`Saved: ${r.finding.status}${r.finding.owner ? `, owner ${r.finding.owner}` : ''}.`);
      reload();
    } catch (err) {
      setActionError(err as Error);
    } finally {
      setSaving(false);
    }
  };

  const addComment = async (e: FormEvent) => {
    e.preventDefault();
    if (!comment.trim()) return;
    setSaving(true);
    setActionError(null);
    try {
      await api(`/api/findings/${encodeURIComponent(id)}/comments`, { method: 'POST', body: { text: comment } });
      setComment('');
      setMessage('Comment added.');
      reload();
    } catch (err) {
      setActionError(err as Error);
    } finally {
      setSaving(false);
    }
  };

  const f = data?.finding;
  return (
    <Page title={f ? `Finding: ${f.riskObject}` : 'Finding'} busy={loading && !data}>
      <p>
        <Link to="/findings">← Findings</Link>
      </p>
      <ErrorBox error={error} />
      {!data || !f ? (
        loading ? <Loading /> : null
      ) : (
        <>
          <div className="grid-2">
            <section className="card" aria-labelledby="h-summary">
              <h2 id="h-summary">{printableLines(f.ruleName)}</h2>
              <dl className="props">
                <dt>Risk object</dt>
                <dd>
                  <Link {...riskLink(f.riskObject)}>{printableLines(f.riskObject)}</Link> ({printableLines(f.riskObjectType)})
                </dd>
                <dt>Risk score</dt>
                <dd>{fmtNumber(f.riskScore)}</dd>
                <dt>Raised</dt>
                <dd>{fmtTime(f.time)}</dd>
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={f.status} /> {f.owner ? `owned by ${printableLines(f.owner)}` : 'unassigned'} · updated {fmtTime(f.updatedAt)}
                </dd>
                <dt>Detections</dt>
                <dd>
                  <Chips items={data.sources} kind="Contributing detections" />
                </dd>
                <dt>ATT&amp;CK tactics</dt>
                <dd>
                  <Chips items={data.tactics} kind="Tactics" />
                </dd>
                <dt>ATT&amp;CK techniques</dt>
                <dd>
                  <Chips items={data.techniques} kind="Techniques" />
                </dd>
              </dl>
            </section>
            <section className="card" aria-labelledby="h-triage">
              <h2 id="h-triage">Triage</h2>
              <form onSubmit={save} className="form">
                <label>
                  Status
                  <select value={status} onChange={(e) => setStatus(e.target.value as FindingStatus)} name="status">
                    {FINDING_STATUSES.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Owner
                  <span className="row">
                    <input value={owner} onChange={(e) => setOwner(e.target.value)} name="owner" placeholder="unassigned" />
                    <button type="button" className="secondary" onClick={() => setOwner(user.startsWith('token:') ? owner : user)}>
                      Assign to me
                    </button>
                  </span>
                </label>
                <button type="submit" disabled={saving}>
                  Save
                </button>
              </form>
              <p role="status" className="ok">
                {message}
              </p>
              <ErrorBox error={actionError} />
              <h3>Comments</h3>
              {data.comments.length === 0 ? (
                <p className="muted">No comments yet.</p>
              ) : (
                <ol className="comments">
                  {data.comments.map((cm, i) => (
                    <li key={i}>
                      <div className="muted small">
                        {printableLines(cm.author)} · {fmtTime(cm.time)}
                      </div>
                      <div className="comment-text">{printableLines(cm.text)}</div>
                    </li>
                  ))}
                </ol>
              )}
              <form onSubmit={addComment} className="form">
                <label>
                  Add a comment
                  <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={3} name="comment" />
                </label>
                <button type="submit" disabled={saving || !comment.trim()}>
                  Add comment
                </button>
              </form>
            </section>
          </div>
          <section className="card" aria-labelledby="h-contrib">
            <h2 id="h-contrib">Contributing risk events</h2>
            <RiskEventsTable events={data.riskEvents} caption={`${data.riskEvents.length} risk events behind this finding`} />
          </section>
        </>
      )}
    </Page>
  );
}
