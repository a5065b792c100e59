import type { RiskEvent } from '../../../src/web/api-types.js';
import { printableLines } from '../../../src/outputs/printable.js';
import { fmtTime } from '../format.js';
import { Link } from '../router.js';
import { riskLink } from '../risk-link.js';

/** Risk events as a table: time, detection, score, message, ATT&CK. */
export function RiskEventsTable({ events, caption, showObject = false }: { events: RiskEvent[]; caption: string; showObject?: boolean }) {
  if (!events.length) return <p className="muted">No risk events.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {showObject ? <th scope="col">Risk object</th> : null}
            <th scope="col">Detection</th>
            <th scope="col" className="num">Score</th>
            <th scope="col">Message</th>
            <th scope="col">ATT&amp;CK</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e, i) => (
            <tr key={e.riskEventId ?? i}>
              <td className="nowrap">{fmtTime(e.time)}</td>
              {showObject ? (
                <td>
                  <Link {...riskLink(e.riskObject)}>{printableLines(e.riskObject)}</Link>
                </td>
              ) : null}
              <td>{e.detectionId ? <Link to={`/detections/${encodeURIComponent(e.detectionId)}`}>{printableLines(e.searchName)}</Link> : printableLines(e.searchName)}</td>
              <td className="num">{e.score}</td>
              <td>{printableLines(e.message)}</td>
              <td className="nowrap">
                {printableLines(e.techniques.join(', '))}
                {e.tactics.length ? <div className="muted small">{printableLines(e.tactics.join(', '))}</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
