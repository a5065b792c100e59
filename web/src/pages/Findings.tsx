import { useState, type FormEvent } from 'react';
import { FINDING_STATUSES, type FindingSummary } from '../../../src/web/api-types.js';
import { FindingsTable } from '../components/FindingsTable.js';
import { ErrorBox, Loading, Page } from '../components/ui.js';
import { RANGES } from '../format.js';
import { useApi } from '../hooks.js';
import { setQuery, useRoute } from '../router.js';

/** Findings per page (the API's default limit). */
const PAGE = 500;

export function Findings() {
  const { query } = useRoute();
  const status = query.get('status') ?? '';
  const owner = query.get('owner') ?? '';
  const q = query.get('q') ?? '';
  const since = query.get('since') ?? 'all';
  // Paging: the last finding of the previous page (the API's `before`); a new filter starts from the newest again.
  const before = query.get('before') ?? '';
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (owner) params.set('owner', owner);
  if (q) params.set('q', q);
  if (since !== 'all') params.set('since', since);
  if (before) params.set('before', before);
  params.set('limit', String(PAGE));
  const { data, error, loading } = useApi<{ findings: FindingSummary[] }>(`/api/findings?${params}`);
  const [text, setText] = useState(q);
  const [who, setWho] = useState(owner);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ q: text.trim(), owner: who.trim(), before: null });
  };
  return (
    <Page title="Findings" busy={loading && !data}>
      <form className="filters" onSubmit={submit} aria-label="Filter findings">
        <label>
          Status
          <select value={status} onChange={(e) => setQuery({ status: e.target.value, before: null })}>
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
          <select value={since} onChange={(e) => setQuery({ since: e.target.value === 'all' ? null : e.target.value, before: null })}>
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
        <p className="muted">{before ? 'No older findings match.' : 'No findings match.'}</p>
      ) : (
        <div className="table-wrap">
          <FindingsTable findings={data.findings} caption={`${data.findings.length} findings${before ? ' (an older page)' : ''}, newest first`} showObject testId="findings" />
        </div>
      )}
      {before || (data && data.findings.length === PAGE) ? (
        <p className="pager">
          {before ? (
            <button type="button" onClick={() => setQuery({ before: null }, { replace: false })}>
              Newest findings
            </button>
          ) : null}
          {data && data.findings.length === PAGE ? (
            <button type="button" onClick={() => setQuery({ before: data.findings[PAGE - 1]!.id }, { replace: false })}>
              Older findings
            </button>
          ) : null}
        </p>
      ) : null}
    </Page>
  );
}
