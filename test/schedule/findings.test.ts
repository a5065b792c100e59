import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { Row } from '../../src/events/result.js';
import { findingsOfRun } from '../../src/schedule/outputs.js';

const pack = loadContent();
const RULE = pack.detections.find((d) => d.type === 'Correlation')!;
const T = Date.UTC(2026, 10, 20, 12) / 1000;

describe('findings of a correlation search', () => {
  // ES 7.3 tutorial "Part 4: Schedule the correlation search" (help.splunk.com): "By default, each result returned by
  // the correlation search generates an alert"; only throttling (its fields) makes one of several. ESCU's "Linux
  // Persistence and Privilege Escalation Risk Behavior" returns one row per object and tactic (`by All_Risk.risk_object
  // All_Risk.risk_object_type All_Risk.annotations.mitre_attack.mitre_tactic`): two rows of one object were one finding
  // (same id: the run said 6 findings, the store held 3).
  const rows = [
    new Row([['risk_object', 'pod-a'], ['risk_object_type', 'system'], ['annotations.mitre_attack.mitre_tactic', 'persistence'], ['risk_score', 40]]),
    new Row([['risk_object', 'pod-a'], ['risk_object_type', 'system'], ['annotations.mitre_attack.mitre_tactic', 'privilege-escalation'], ['risk_score', 40]]),
    new Row([['risk_object', 'pod-b'], ['risk_object_type', 'system'], ['annotations.mitre_attack.mitre_tactic', 'persistence'], ['risk_score', 20]]),
  ];

  it('makes one finding and one notable per result row, each with its own id', () => {
    const { findings, notables } = findingsOfRun(RULE, rows, T);
    expect(findings.map((f) => [f.riskObject, f.riskScore, (JSON.parse(f.detail) as Record<string, unknown>)['annotations.mitre_attack.mitre_tactic']])).toEqual([
      ['pod-a', 40, 'persistence'],
      ['pod-a', 40, 'privilege-escalation'],
      ['pod-b', 20, 'persistence'],
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(3);
    expect(notables.map((n) => (JSON.parse(n._raw) as { finding_id: string }).finding_id)).toEqual(findings.map((f) => f.id));
  });

  it('keeps the ids deterministic (a re-run of the window adds nothing), an object’s first row the id it always had', () => {
    expect(findingsOfRun(RULE, rows, T).findings.map((f) => f.id)).toEqual(findingsOfRun(RULE, rows, T).findings.map((f) => f.id));
    const first = createHash('sha256').update(`${RULE.id}|system|pod-a|${T}`).digest('hex').slice(0, 32);
    expect(findingsOfRun(RULE, rows, T).findings[0]!.id).toBe(first);
  });
});
