import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** Progress is drawn only on a terminal: util-linux `script` gives the bin one (skipped where it is missing). */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'vigil-progress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('progress on a terminal', () => {
  it.skipIf(!hasScript)('is cleared before the results of vigil search, which start at the beginning of a line', () => {
    const events = join(tmp, 'events.jsonl');
    writeFileSync(events, readFileSync(DATA, 'utf8').repeat(200)); // 6,200 events: progress is drawn
    const cmd = `${process.execPath} ${BIN} search 'index=* | stats count by process_name | head 1' --events ${events} --threads 1`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('searching:');
    // The header follows the line's clearing (\r ESC[K), not the progress text.
    expect(r.stdout).toMatch(/\r\x1b\[Kprocess_name +count\r?\n/);
    expect(r.stdout).not.toMatch(/\/s\)\x1b\[Kprocess_name/);
  });
});
