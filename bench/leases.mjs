// The cost of a run's lease on SQLite (#11): commitRun alone vs claimRun + commitRun of the same run (50 risk
// events of ~800 B, a finding, an outbox item), one run at a time as the scheduler commits them; two rounds each,
// alternating. Run after `npm run build:server`: node bench/leases.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRunCommit, pct } from './run-commit.mjs';
const { openStore } = await import('../dist/bundle/store.sqlite-store.js');
const N = 300;
const T = 1_700_000_000;
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
      await s.commitRun({ ...benchRunCommit('d', t), lease: { node: 'node-1', now: t } });
    } else await s.commitRun(benchRunCommit('d', t));
    ms.push(performance.now() - t0);
  }
  console.log(`${leased ? 'claimRun + commitRun' : 'commitRun alone    '}: p50 ${pct(ms, 50)} ms, p99 ${pct(ms, 99)} ms${leased ? `; claim alone p50 ${pct(claims, 50)} ms, p99 ${pct(claims, 99)} ms` : ''}`);
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}
