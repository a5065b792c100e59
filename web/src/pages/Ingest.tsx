import type { DataModelsInfo, IngestInfo } from '../../../src/web/api-types.js';
import { Bar, ErrorBox, Loading, Page, Stat } from '../components/ui.js';
import { fmtBytes, fmtDuration, fmtNumber, fmtPercent, fmtRelative, fmtSpan, fmtTime } from '../format.js';
import { useApi } from '../hooks.js';

export function Ingest() {
  const { data, error, loading } = useApi<IngestInfo>('/api/ingest', { refreshMs: 5000 });
  const hec = data?.hec;
  return (
    <Page title="Ingest" busy={loading && !data}>
      <ErrorBox error={error} />
      {!data ? (
        loading ? <Loading /> : null
      ) : (
        <>
          {hec ? (
            <div className="stats">
              <Stat label="Events/s (last 10 s)" value={fmtNumber(hec.eventsPerSecond, 1)} />
              <Stat label="Events accepted" value={fmtNumber(hec.acceptedEvents)} hint={`since ${fmtRelative(hec.startedAt / 1000)}`} />
              <Stat label="Data accepted" value={fmtBytes(hec.acceptedBytes)} />
              <Stat label="Requests rejected" value={fmtNumber(hec.rejectedRequests)} hint={`of ${fmtNumber(hec.requests)}`} />
              <Stat label="In flight" value={fmtBytes(hec.inflightBytes)} hint={`${hec.inflightRequests} requests, ${hec.pendingAcks} acks pending`} />
            </div>
          ) : null}
          <section className="card" aria-labelledby="h-hec">
            <h2 id="h-hec">HTTP Event Collector</h2>
            <p>
              Send events to <code>{data.hecUrl ? `${data.hecUrl}/services/collector` : '(not running)'}</code> with <code>Authorization: Splunk &lt;token&gt;</code>.
            </p>
            <div className="table-wrap">
              <table>
                <caption>Tokens (values are never shown)</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Default index</th>
                    <th scope="col">Allowed indexes</th>
                    <th scope="col">State</th>
                    <th scope="col">Ack</th>
                    <th scope="col" className="num">Requests</th>
                    <th scope="col" className="num">Rejected</th>
                    <th scope="col" className="num">Events</th>
                    <th scope="col" className="num">Bytes</th>
                  </tr>
                </thead>
                <tbody>
                  {data.tokens.map((t) => (
                    <tr key={t.name}>
                      <th scope="row">{t.name}</th>
                      <td>{t.defaultIndex}</td>
                      <td>{t.indexes.length ? t.indexes.join(', ') : 'any'}</td>
                      <td>{t.disabled ? 'disabled' : 'enabled'}</td>
                      <td>{t.useAck ? 'yes' : 'no'}</td>
                      <td className="num">{fmtNumber(t.requests)}</td>
                      <td className="num">{fmtNumber(t.rejected)}</td>
                      <td className="num">{fmtNumber(t.events)}</td>
                      <td className="num">{fmtBytes(t.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {hec && Object.keys(hec.codes).length ? (
              <p className="small muted">
                Replies by HEC code:{' '}
                {Object.entries(hec.codes)
                  .map(([k, v]) => `${k}: ${fmtNumber(v)}`)
                  .join(' · ')}
              </p>
            ) : null}
          </section>
          <section className="card" aria-labelledby="h-indexes">
            <h2 id="h-indexes">Indexes</h2>
            <div className="table-wrap">
              <table data-testid="indexes">
                <caption className="sr-only">Indexes with their sizes and retention</caption>
                <thead>
                  <tr>
                    <th scope="col">Index</th>
                    <th scope="col" className="num">Events</th>
                    <th scope="col" className="num">Size</th>
                    <th scope="col">Earliest</th>
                    <th scope="col">Latest</th>
                    <th scope="col">Retention</th>
                  </tr>
                </thead>
                <tbody>
                  {data.indexes.map((ix) => (
                    <tr key={ix.name}>
                      <th scope="row">{ix.name}</th>
                      <td className="num">{fmtNumber(ix.events)}</td>
                      <td className="num">{fmtBytes(ix.bytes)}</td>
                      <td className="nowrap">{fmtTime(ix.earliest)}</td>
                      <td className="nowrap">{fmtTime(ix.latest)}</td>
                      <td>
                        {ix.retention.maxAgeSeconds || ix.retention.maxBytes
                          ? [ix.retention.maxAgeSeconds ? `max age ${fmtDuration(ix.retention.maxAgeSeconds)}` : '', ix.retention.maxBytes ? `max size ${fmtBytes(ix.retention.maxBytes)}` : ''].filter(Boolean).join(', ')
                          : 'keep forever'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
      <DataModels />
    </Page>
  );
}

/** Data model acceleration per dataset (`GET /api/datamodels`), refreshed on its own so a failure here leaves the rest. */
function DataModels() {
  const { data, error, loading } = useApi<DataModelsInfo>('/api/datamodels', { refreshMs: 5000 });
  return (
    <section className="card" aria-labelledby="h-datamodels">
      <h2 id="h-datamodels">Data models</h2>
      <ErrorBox error={error} />
      {!data ? (
        loading ? <Loading /> : null
      ) : !data.datasets.length ? (
        <p className="muted">No data models in the content.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="datamodels">
            <caption className="sr-only">Data model acceleration (tstats summaries) per dataset</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Dataset</th>
                <th scope="col">Acceleration</th>
                <th scope="col">Coverage</th>
                <th scope="col" className="num">Lag</th>
                <th scope="col" className="num">Rows</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {data.datasets.map((d) => (
                <tr key={`${d.model}.${d.dataset}`}>
                  <th scope="row">{d.model}</th>
                  <td>{d.dataset}</td>
                  <td className="nowrap">
                    <span className={d.accelerated ? 'badge run-success' : 'badge'}>{d.accelerated ? 'on' : 'off'}</span>
                    {d.accelerated ? <span className="small muted"> {d.summaryRangeSeconds === null ? 'all time' : `last ${fmtDuration(d.summaryRangeSeconds)}`}</span> : null}
                  </td>
                  {/* Without acceleration there is no summary: coverage and lag would be meaningless zeros. */}
                  <td className="nowrap" data-testid="coverage">
                    {d.accelerated ? (
                      <>
                        <Bar pct={d.coveragePercent} className="coverage" />
                        {fmtPercent(d.coveragePercent)}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num">{d.accelerated ? (d.lagSeconds > 0 ? fmtSpan(d.lagSeconds) : 'up to date') : '—'}</td>
                  <td className="num">{fmtNumber(d.rows)}</td>
                  <td className="num">{fmtBytes(d.sizeBytes)}</td>
                  <td>{d.lastError ? <span className="run-error">{d.lastError}</span> : <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
