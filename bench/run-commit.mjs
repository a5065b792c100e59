// What the control-plane and lease benchmarks commit: a detection run of 50 risk events (~750 B each), a finding
// and an outbox item, as a scheduled run would; and the percentile they print.

/** The RunCommit of detection `id` for scheduled time `t`. */
export function benchRunCommit(id, t) {
  const rid = `${id}@${t}`;
  const events = Array.from({ length: 50 }, (_, i) => ({ _time: t - 60 + i / 1000, index: 'risk', sourcetype: 'stash', source: id, host: 'vigil', _raw: JSON.stringify({ run_id: rid, i, pad: 'x'.repeat(700) }) }));
  return {
    run: { detectionId: id, detectionName: id, scheduledTime: t, earliest: t - 3600, latest: t, startedAt: t, endedAt: t, status: 'success', mode: 'scheduled', resultCount: 50, riskEventCount: 50, findingCount: 1, error: null },
    events,
    findings: [{ id: `${rid}:f`, ruleId: id, ruleName: id, time: t, riskObject: 'o', riskObjectType: 'system', riskScore: 100, detail: '{}', status: 'new', owner: null, updatedAt: t }],
    outbox: [{ id: `${rid}:o`, action: 'a', payload: '{}', createdAt: t, nextAttemptAt: t }],
    suppressions: [],
  };
}

/** The p-th percentile of `xs` (ms), two decimals. */
export const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(2);
