import type { ProcessNode } from '../../../src/web/api-types.js';
import { printableLines } from '../../../src/outputs/printable.js';
import { fmtTime } from '../format.js';

function Node({ n }: { n: ProcessNode }) {
  const label = (
    <span className={n.flagged ? 'proc flagged' : 'proc'}>
      <code className="proc-cmd">{printableLines(n.command || n.name || '(unknown)')}</code>
      {n.pid !== null ? <span className="muted"> pid {n.pid}</span> : null}
      {n.count > 1 ? <span className="badge">×{n.count}</span> : null}
      {n.time !== null ? <span className="muted"> {fmtTime(n.time)}</span> : null}
      {n.flagged ? <span className="badge status-new">detected</span> : null}
    </span>
  );
  if (!n.children.length) return <li>{label}</li>;
  return (
    <li>
      <details open>
        <summary>{label}</summary>
        <ul>
          {n.children.map((c, i) => (
            <Node key={i} n={c} />
          ))}
        </ul>
      </details>
    </li>
  );
}

/** Parent → process (with arguments); expandable with the keyboard (details/summary). */
export function ProcessTree({ roots }: { roots: ProcessNode[] }) {
  if (!roots.length) return <p className="muted">No Tetragon exec events for this object in the range.</p>;
  return (
    <ul className="tree" aria-label="Process tree">
      {roots.map((r, i) => (
        <Node key={i} n={r} />
      ))}
    </ul>
  );
}
