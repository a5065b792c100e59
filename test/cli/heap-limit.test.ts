import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');

const search = (heapMb: number, spl: string) =>
  spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, 'search', spl, '--format', 'jsonl'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

// Rows that a holding stage (sort) releases at its end flow after the scan's per-batch heap check: `autoregress x
// p=1-500` then gives each of them 500 fields and the second sort keeps them all (~1 GB). V8 aborted the CLI (signal
// 6, "heap out of memory", a native stack trace); the rows released are now checked as they flow, and the limit is
// on the heap V8 has committed (it gave up with 214 of 256 MB in use, 264 MB committed).
describe('the heap limit behind a stage that held its input', () => {
  it('ends such a search with SPL_LIMIT_MEMORY at the search (exit 2), where V8 aborted it', () => {
    const r = search(256, '| makeresults count=30000 | streamstats count AS n | sort 0 - n | eval x=1 | autoregress x p=1-500 | sort 0 n | stats count');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vigil: the search holds \d+ MB of the \d+ MB heap and was stopped: .* \[SPL_LIMIT_MEMORY\]\n {2}at 1:1\n/);
    expect(r.stdout).toBe('');
  });

  it('lets the same search with fields to spare run in that heap', () => {
    const r = search(256, '| makeresults count=30000 | streamstats count AS n | sort 0 - n | eval x=1 | autoregress x p=1-50 | sort 0 n | stats count');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{"count":30000}\n');
  });
});

// A generating command's rows reached a holding stage with no look at the heap (only the scan's batches and a holding
// stage's output were checked): `| makeresults count=100000000 | eventstats count` aborted the CLI (signal 6). Found
// by test/spl/run-fuzz.test.ts's huge numbers; docs/errors.md SPL_LIMIT_MEMORY says the CLI stops such a search first.
describe('the heap limit behind a generating command', () => {
  it('ends `| makeresults count=100000000 | eventstats count` with SPL_LIMIT_MEMORY (exit 2), where V8 aborted it', () => {
    const r = search(256, '| makeresults count=100000000 | eventstats count');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\[SPL_LIMIT_MEMORY\]\n {2}at 1:1\n/);
  }, 120_000);
});
