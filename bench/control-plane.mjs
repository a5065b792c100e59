// The PostgreSQL control plane's costs (#11): per call, one run at a time as a scheduler makes them — claimRun,
// commitRun (50 risk events of ~800 B, a finding, an outbox item; the events go to an in-memory event store, so
// this is PostgreSQL's share: the transaction plus the pending block written and deleted), hasRun; then three
// nodes (three pools) claiming and committing the same runs concurrently (each run claimed once), runs/s.
// Needs the local cluster's PostgreSQL (npm run cluster:up) and the build (npm run build:server):
//   node bench/control-plane.mjs [--url postgresql://vigil@127.0.0.1:15432/vigil] [--runs 300]
import pg from 'pg';
import { benchRunCommit, pct } from './run-commit.mjs';
const { openControlPlane } = await import('../dist/bundle/control-plane.control-plane.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : dflt);
const URL = opt('url', 'postgresql://vigil@127.0.0.1:15432/vigil');
const N = Number(opt('runs', 300));
const T = 1_700_000_000;
const schema = `vigil_bench_${Date.now().toString(36)}`;

const line = (name, xs) => console.log(`${name.padEnd(28)} p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms`);
const sink = { append: async () => undefined };

const nodes = await Promise.all([1, 2, 3].map(() => openControlPlane({ url: URL, schema, events: sink, eventRetryMs: 0 })));
try {
  const [a] = nodes;
  const claim = [];
  const commit = [];
  const has = [];
  for (let i = 0; i < N; i++) {
    const t = T + i * 3600;
    let t0 = performance.now();
    await a.claimRun('d', t, 'node-1', 60_000, t);
    claim.push(performance.now() - t0);
    t0 = performance.now();
    await a.commitRun({ ...benchRunCommit('d', t), lease: { node: 'node-1', now: t } });
    commit.push(performance.now() - t0);
    t0 = performance.now();
    await a.hasRun('d', t);
    has.push(performance.now() - t0);
  }
  line('claimRun', claim);
  line('commitRun (50 risk events)', commit);
  line('hasRun', has);

  // Three nodes race for the same runs, each working through them in its own order, one at a time.
  const pairs = Array.from({ length: N }, (_, i) => ({ d: `r${i % 10}`, t: T + Math.floor(i / 10) * 3600 }));
  const started = performance.now();
  const won = await Promise.all(
    nodes.map(async (s, k) => {
      let n = 0;
      const order = k === 1 ? [...pairs].reverse() : k === 2 ? pairs.map((_, i) => pairs[(i * 7) % pairs.length]) : pairs;
      for (const p of order) {
        if (!(await s.claimRun(p.d, p.t, `node-${k}`, 60_000, p.t))) continue;
        await s.commitRun({ ...benchRunCommit(p.d, p.t), lease: { node: `node-${k}`, now: p.t } });
        n++;
      }
      return n;
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const total = won.reduce((x, y) => x + y, 0);
  console.log(`3 nodes, ${N} runs: each run committed once: ${total === N} (per node ${won.join('/')}); ${(N / secs).toFixed(0)} runs/s`);
} finally {
  await Promise.all(nodes.map((s) => s.close()));
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  await admin.end();
}
