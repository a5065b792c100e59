#!/usr/bin/env node
// `npm run bench:startup`: what short `vigil` commands cost from the bundle (dist/bundle/, what bin/vigil.js
// runs: scripts/bundle.mjs) and from tsc's unbundled modules (dist/<folder>/), beside `node -e 0`. Start-up
// is mostly module loading: Node 20 pays about 1 ms per ES module. Runs alternate between the three, so
// that a change in the machine's load hits all alike; medians and minimums in ms (`npm run build:server` first).
//   node bench/startup.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

if (process.argv[2] === '--unbundled') {
  // This file as a launcher: the CLI from tsc's output, called as bin/vigil.js calls the bundle's.
  const { main } = await import('../dist/cli/main.js');
  await main([process.argv[0], process.argv[1], ...process.argv.slice(3)]);
} else {
  // A snapshot older than either build is not used by it (detections/content.ts): that run parses the YAML.
  const mtime = (f) => statSync(join(root, 'dist', f)).mtimeMs;
  const newest = Math.max(mtime('detections/content.js'), ...readdirSync(join(root, 'dist', 'bundle')).map((f) => mtime(`bundle/${f}`)));
  if (mtime('content-snapshot.json') < newest) throw new Error('dist/content-snapshot.json is older than the code: run `npm run build:server`');
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 9;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-startup-'));
  const oneLine = join(tmp, 'one.jsonl');
  writeFileSync(oneLine, readFileSync(join(root, 'attack_data/datasets/cisco_isovalent/cisco_isovalent.log'), 'utf8').split('\n')[0] + '\n');
  const commands = {
    '--help': ['--help'],
    'run <seed> (one event)': ['run', 'Cisco Isovalent - Curl Execution With Insecure Flags', '--events', oneLine],
    'run --all (one event)': ['run', '--all', '--events', oneLine],
  };
  const launchers = { bundle: [join(root, 'bin', 'vigil.js')], unbundled: [fileURLToPath(import.meta.url), '--unbundled'] };
  const time = (args) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${s[s.length >> 1].toFixed(0).padStart(4)}, min ${s[0].toFixed(0).padStart(4)}`;
  };
  try {
    const base = [];
    for (let k = 0; k < runs; k++) base.push(time(['-e', '0']));
    console.log(`node -e 0: ${stat(base)} ms (${runs} runs)`);
    for (const [name, args] of Object.entries(commands)) {
      const t = { bundle: [], unbundled: [] };
      time([...launchers.bundle, ...args]); // warm the file cache
      for (let k = 0; k < runs; k++) for (const [l, argv] of Object.entries(launchers)) t[l].push(time([...argv, ...args]));
      console.log(`vigil ${name}:\n  bundle    ${stat(t.bundle)} ms\n  unbundled ${stat(t.unbundled)} ms`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
