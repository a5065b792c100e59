import type { FindingSummary } from '../../../src/web/api-types.js';
import { printableLines } from '../../../src/outputs/printable.js';
import { fmtNumber, fmtTime } from '../format.js';
import { Link } from '../router.js';
import { StatusBadge } from './ui.js';
import { riskLink } from '../risk-link.js';

/** Findings as a table: raised, (risk object,) rule, risk, status, owner; the rule links to the finding. */
export function FindingsTable({ findings, caption, showObject = false, testId }: { findings: FindingSummary[]; caption: string; showObject?: boolean; testId?: string }) {
  return (
    <table data-testid={testId}>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Raised</th>
          {showObject ? <th scope="col">Risk object</th> : null}
          <th scope="col">Rule</th>
          <th scope="col" className="num">Risk</th>
          <th scope="col">Status</th>
          <th scope="col">Owner</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr key={f.id}>
            <td className="nowrap">{fmtTime(f.time)}</td>
            {showObject ? (
              <td>
                <Link {...riskLink(f.riskObject)}>{printableLines(f.riskObject)}</Link> <span className="muted small">{printableLines(f.riskObjectType)}</span>
              </td>
            ) : null}
            <th scope="row">
              <Link to={`/findings/${encodeURIComponent(f.id)}`}>{printableLines(f.ruleName)}</Link>
            </th>
            <td className="num">{fmtNumber(f.riskScore)}</td>
            <td>
              <StatusBadge status={f.status} />
            </td>
            <td>{f.owner !== null ? printableLines(f.owner) : <span className="muted">unassigned</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
