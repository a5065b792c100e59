import type { FindingStatus, Overview as OverviewData } from '../../../src/web/api-types.js';
import { printableLines } from '../../../src/outputs/printable.js';
import { RiskChart } from '../components/Chart.js';
import { ErrorBox, Loading, Page, RangeSelect, ScoreBar, Stat, StatusBadge } from '../components/ui.js';
import { fmtNumber, fmtRelative, fmtTime } from '../format.js';
import { useApi } from '../hooks.js';
import { Link, setQuery, useRoute } from '../router.js';
import { riskLink } from '../risk-link.js';

export function rangeParams(range: string): string {
  return range === 'all' ? 'earliest=' : `earliest=${encodeURIComponent(range)}`;
}

export function Overview() {
  const { query } = useRoute();
  const range = query.get('range') ?? '-24h';
  const { data, error, loading } = useApi<OverviewData>(`/api/overview?${rangeParams(range)}&top=25`);
  const max = data?.topObjects[0]?.score ?? 0;
  return (
    <Page title="Risk overview" busy={loading && !data} actions={<RangeSelect value={range} onChange={(v) => setQuery({ range: v })} />}>
      <ErrorBox error={error} />
      {!data ? (
        loading ? <Loading /> : null
      ) : (
        <>
          <div className="stats">
            <Stat label="Total risk" value={fmtNumber(data.totals.score)} />
            <Stat label="Risk events" value={fmtNumber(data.totals.riskEvents)} />
            <Stat label="Risk objects" value={fmtNumber(data.totals.objects)} />
            <Stat label="Findings" value={fmtNumber(data.totals.findings)} />
          </div>
          <section className="card" aria-labelledby="h-risk-time">
            <h2 id="h-risk-time">Risk over time</h2>
            <RiskChart series={data.riskOverTime} label="Risk over time" />
          </section>
          <div className="grid-2">
            <section className="card" aria-labelledby="h-top">
              <h2 id="h-top">Top risk objects</h2>
              {data.topObjects.length === 0 ? (
                <p className="muted">No risk events in this range.</p>
              ) : (
                <div className="table-wrap">
                  <table data-testid="top-objects">
                    <caption className="sr-only">Risk objects by total risk, highest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">Risk object</th>
                        <th scope="col">Type</th>
                        <th scope="col" className="num">Risk</th>
                        <th scope="col" className="num">Events</th>
                        <th scope="col" className="num">Detections</th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.topObjects.map((o) => (
                        <tr key={`${o.riskObjectType}:${o.riskObject}`}>
                          <th scope="row">
                            <Link {...riskLink(o.riskObject, range)}>{printableLines(o.riskObject)}</Link>
                          </th>
                          <td>{o.riskObjectType}</td>
                          <td className="num">
                            <ScoreBar score={o.score} max={max} /> {fmtNumber(o.score)}
                          </td>
                          <td className="num">{fmtNumber(o.count)}</td>
                          <td className="num">{o.sources}</td>
                          <td className="nowrap" title={fmtTime(o.lastSeen)}>
                            {fmtRelative(o.lastSeen)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
            <div className="stack">
              <section className="card" aria-labelledby="h-fstatus">
                <h2 id="h-fstatus">Findings by status</h2>
                <ul className="status-list">
                  {(Object.entries(data.findingsByStatus) as [FindingStatus, number][]).map(([s, n]) => (
                    <li key={s}>
                      <Link to={`/findings?status=${encodeURIComponent(s)}`}>
                        <StatusBadge status={s} /> <span className="count">{fmtNumber(n)}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              </section>
              <section className="card" aria-labelledby="h-fired">
                <h2 id="h-fired">Detections that fired</h2>
                {data.detectionsFired.length === 0 ? (
                  <p className="muted">None in this range.</p>
                ) : (
                  <div className="table-wrap">
                    <table>
                      <caption className="sr-only">Detections by risk contributed</caption>
                      <thead>
                        <tr>
                          <th scope="col">Detection</th>
                          <th scope="col" className="num">Events</th>
                          <th scope="col" className="num">Risk</th>
                          <th scope="col" className="num">Objects</th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.detectionsFired.map((d) => (
                          <tr key={d.name}>
                            <th scope="row">{d.detectionId ? <Link to={`/detections/${encodeURIComponent(d.detectionId)}`}>{printableLines(d.name)}</Link> : printableLines(d.name)}</th>
                            <td className="num">{fmtNumber(d.count)}</td>
                            <td className="num">{fmtNumber(d.score)}</td>
                            <td className="num">{d.objects}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
            </div>
          </div>
        </>
      )}
    </Page>
  );
}
