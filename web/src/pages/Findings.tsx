import { useState, type FormEvent } from 'react';
import { FINDING_STATUSES, type FindingSummary } from '../../../src/web/api-types.js';
import { FindingsTable } from '../components/FindingsTable.js';
import { ErrorBox, Loading, Page } from '../components/ui.js';
import { RANGES } from '../format.js';
import { useApi } from '../hooks.js';
import { setQuery, useRoute } from '../router.js';

export function Findings() {
  const { query } = useRoute();
  const status = query.get('status') ?? '';
  const owner = query.get('owner') ?? '';
  const q = query.get('q') ?? '';
  const since = query.get('since') ?? 'all';
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (owner) params.set('owner', owner);
  if (q) params.set('q', q);
  if (since !== 'all') params.set('since', since);
  const { data, error, loading } = useApi<{ findings: FindingSummary[] }>(`/api/findings?${params}`);
  const [text, setText] = useState(q);
  const [who, setWho] = useState(owner);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ q: text.trim(), owner: who.trim() });
  };
  return (
    <Page title="Findings" busy={loading && !data}>
      <form className="filters" onSubmit={submit} aria-label="Filter findings">
        <label>
          Status
          <select value={status} onChange={(e) => setQuery({ status: e.target.value })}>
            <option value="">Any</option>
            {FINDING_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Raised
          <select value={since} onChange={(e) => setQuery({ since: e.target.value === 'all' ? null : e.target.value })}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Owner
          <input value={who} onChange={(e) => setWho(e.target.value)} placeholder="anyone" />
        </label>
        <label>
          Risk object or rule contains
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="pod, node or rule name" />
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorBox error={error} />
      {!data ? (
        loading ? <Loading /> : null
      ) : data.findings.length === 0 ? (
        <p className="muted">No findings match.</p>
      ) : (
        <div className="table-wrap">
          <FindingsTable findings={data.findings} caption={`${data.findings.length} findings, newest first`} showObject testId="findings" />
        </div>
      )}
    </Page>
  );
}
