import type { ProcessTreeInfo, RiskObjectDetail } from '../../../src/web/api-types.js';
import { printableLines } from '../../../src/outputs/printable.js';
import { riskEventsSearch } from '../../../src/web/spl-quote.js';
import { RiskChart } from '../components/Chart.js';
import { ProcessTree } from '../components/ProcessTree.js';
import { RiskEventsTable } from '../components/RiskEvents.js';
import { FindingsTable } from '../components/FindingsTable.js';
import { ErrorBox, Loading, Page, RangeSelect, Stat } from '../components/ui.js';
import { fmtNumber } from '../format.js';
import { useApi } from '../hooks.js';
import { Link, setQuery, useRoute } from '../router.js';
import { riskObjectRequest } from '../risk-link.js';
import { rangeParams } from './Overview.js';

export function RiskObject({ object }: { object: string }) {
  const { query } = useRoute();
  const range = query.get('range') ?? '-7d';
  const page = riskObjectRequest(object, '', rangeParams(range));
  const { data, error, loading } = useApi<RiskObjectDetail>(page.path, { body: page.body });
  // The process tree reads raw events: it loads after the page is shown.
  const processes = riskObjectRequest(object, '/processes', rangeParams(range));
  const tree = useApi<ProcessTreeInfo>(data ? processes.path : null, { body: processes.body });
  return (
    <Page
      title={`Risk object: ${object}`}
      busy={loading && !data}
      actions={
        <>
          <Link className="button secondary" to={`/search?q=${encodeURIComponent(riskEventsSearch(object))}&range=${encodeURIComponent(range)}`}>
            Search its risk events
          </Link>
          <RangeSelect value={range} onChange={(v) => setQuery({ range: v })} />
        </>
      }
    >
      <p>
        <Link to="/">← Risk overview</Link>
      </p>
      <ErrorBox error={error} />
      {!data ? (
        loading ? <Loading /> : null
      ) : (
        <>
          <div className="stats">
            <Stat label="Total risk" value={fmtNumber(data.score)} />
            <Stat label="Risk events" value={fmtNumber(data.riskEventCount)} />
            <Stat label="Type" value={data.riskObjectType} />
            <Stat label="Findings" value={fmtNumber(data.findings.length)} />
          </div>
          <section className="card" aria-labelledby="h-timeline">
            <h2 id="h-timeline">Risk timeline</h2>
            <RiskChart series={data.timeline} label={`Risk of ${printableLines(object)} over time`} height={150} />
          </section>
          <section className="card" aria-labelledby="h-findings">
            <h2 id="h-findings">Findings</h2>
            {data.findings.length === 0 ? (
              <p className="muted">No findings for this object.</p>
            ) : (
              <div className="table-wrap">
                <FindingsTable findings={data.findings} caption={`Findings raised for ${printableLines(object)}`} />
              </div>
            )}
          </section>
          <section className="card" aria-labelledby="h-tree">
            <h2 id="h-tree">Process tree</h2>
            <ErrorBox error={tree.error} />
            {!tree.data ? (
              tree.loading || !tree.error ? <Loading what="Reading Tetragon events" /> : null
            ) : (
              <>
                <p className="muted small">
                  From {fmtNumber(tree.data.rawEvents)} Tetragon exec events{tree.data.field ? ` with ${tree.data.field}=${printableLines(object)}` : ''}
                  {tree.data.rawTruncated ? ' (the most recent; more exist)' : ''}. Parent → process with arguments; processes a detection fired on are marked.
                </p>
                <ProcessTree roots={tree.data.processTree} />
              </>
            )}
          </section>
          <section className="card" aria-labelledby="h-events">
            <h2 id="h-events">Contributing risk events</h2>
            <RiskEventsTable events={data.riskEvents} caption={`Risk events of ${printableLines(object)}, newest first${data.riskEventCount > data.riskEvents.length ? ` (the latest ${fmtNumber(data.riskEvents.length)} of ${fmtNumber(data.riskEventCount)})` : ''}`} />
          </section>
        </>
      )}
    </Page>
  );
}
