// The cost of a run's lease on SQLite (#11): commitRun alone vs claimRun + commitRun of the same run (50 risk
// events of ~800 B, a finding, an outbox item), one run at a time as the scheduler commits them; two rounds each,
// alternating. Run after `npm run build:server`: node bench/leases.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const { openStore } = await import('../dist/store/sqlite-store.js');
const N = 300;
const T = 1_700_000_000;
function run(id, t) {
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
const pct = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))].toFixed(2);
for (const leased of [false, true, false, true]) {
  const dir = mkdtempSync(join(tmpdir(), 'lease-bench-'));
  const s = await openStore(dir);
  const ms = [];
  const claims = [];
  for (let i = 0; i < N; i++) {
    const t = T + i * 3600;
    const t0 = performance.now();
    if (leased) {
      await s.claimRun('d', t, 'node-1', 60_000, t);
      claims.push(performance.now() - t0);
      await s.commitRun({ ...run('d', t), lease: { node: 'node-1', now: t } });
    } else await s.commitRun(run('d', t));
    ms.push(performance.now() - t0);
  }
  console.log(`${leased ? 'claimRun + commitRun' : 'commitRun alone    '}: p50 ${pct(ms, 50)} ms, p99 ${pct(ms, 99)} ms${leased ? `; claim alone p50 ${pct(claims, 50)} ms, p99 ${pct(claims, 99)} ms` : ''}`);
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}
