/**
 * `vigil run` prints as stdout drains: into a pipe whose reader is slow, its rows (risk events here: one result can
 * make thousands, each with its message) wait for the pipe instead of queueing in memory. They were all written at
 * once: 406 MB of risk events peaked at 2.6 GB of RSS behind a reader that paused 5 s; here, in a 160 MB heap, V8
 * ran out of memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupDirs, tempDir } from '../store/helpers.js';

afterAll(cleanupDirs);

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');

describe('vigil run --risk into a slow pipe', () => {
  it('prints every risk event of a large fan-out within a small heap', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'detections'));
    // One result, 2,000 risk objects, each event's message ~100 KB: ~200 MB of output.
    writeFileSync(
      join(dir, 'detections', 'fanout.yml'),
      [
        'name: Risk Fanout Probe',
        'id: 0b7a3a52-8d7e-4c55-9a57-6c1b2f0e9f11',
        'version: 1',
        "date: '2026-12-07'",
        'author: test',
        'status: production',
        'type: Anomaly',
        'description: one result with many risk objects',
        'data_source: [Cisco Isovalent Process Exec]',
        'search: index=* | head 1 | eval obj=mvrange(0, 2000), pad=mvjoin(mvrange(0, 20000), "-") | table obj pad',
        'how_to_implement: none',
        'known_false_positives: none',
        'rba:',
        '  message: object $obj$ padded $pad$',
        '  risk_objects: [{field: obj, type: system, score: 10}]',
        '  threat_objects: []',
        'tags: {analytic_story: [probe], asset_type: Endpoint, mitre_attack_id: [T1105], product: [Splunk Enterprise], security_domain: endpoint}',
        '',
      ].join('\n'),
    );
    const events = join(dir, 'one.jsonl');
    writeFileSync(events, '{"time":"2024-01-01T00:00:00Z","a":1}\n');
    const cmd = `set -o pipefail; "${process.execPath}" --max-old-space-size=160 "${BIN}" run "Risk Fanout Probe" --content "${dir}" --risk --format jsonl --events "${events}" | (sleep 2; wc -l)`;
    const r = spawnSync('bash', ['-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    expect(r.stderr).not.toMatch(/heap out of memory/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2000');
  }, 150_000);
});
