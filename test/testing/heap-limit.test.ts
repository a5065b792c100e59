import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const dir = mkdtempSync(join(tmpdir(), 'vigil-test-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// vigil test holds a test's events in memory. A dataset larger than the heap aborted the whole run (V8 "heap out of
// memory", a native stack trace, every outcome lost); a bound on heap use stopped the tests after it too (the heap
// still held the first one's garbage). Outside judge of issue 5 (huge datasets). The seed dataset: 31 lines, 6 of them curl (by hand: 3 on
// frontend, 2 on debug-toolbox, 1 on payments-api), so "Curl Zcount" (run after the huge one) has 3 results.
describe('vigil test with a dataset too large for the heap', () => {
  it('errors that test, naming the data and the limit, and runs the others (exit 1, no abort)', () => {
    const seed = readFileSync(join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log'));
    mkdirSync(join(dir, 'detections'));
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'small.log'), seed);
    // ~320 MB of events (gzipped: a small file), far past a 128 MB heap.
    writeFileSync(join(dir, 'data', 'huge.log.gz'), gzipSync(Buffer.concat(new Array<Buffer>(6000).fill(seed)), { level: 1 }));
    const detection = (name: string, id: string, data: string) =>
      writeFileSync(
        join(dir, 'detections', `${name.toLowerCase().replace(/ /g, '_')}.yml`),
        [
          `name: ${name}`,
          `id: ${id}`,
          'type: Anomaly',
          "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_name'",
          'tests:',
          '- name: t',
          `  attack_data: [{data: ../data/${data}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
          '  expected: {count: 3}',
        ].join('\n'),
      );
    detection('Curl Huge', '00000000-0000-4000-8000-0000000000a1', 'huge.log.gz');
    detection('Curl Zcount', '00000000-0000-4000-8000-0000000000a2', 'small.log');
    const r = spawnSync(process.execPath, ['--max-old-space-size=128', BIN, 'test', '--no-bundled', '--content', dir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /Curl Huge\n.*\n {2}t +unit +ERROR +huge\.log\.gz .*\n {4}reason: the test data \(\d+ events read, up to \.\.\/data\/huge\.log\.gz\) is past \d+ MB of text, a quarter of the \d+ MB heap \(held events take about twice their text, and the search needs room\): trim the dataset, or raise the heap \(NODE_OPTIONS=--max-old-space-size=MB\)\n/,
    );
    expect(r.stdout).toMatch(/Curl Zcount\n.*\n {2}t +unit +PASS +small\.log .* 3\n/);
    expect(r.stdout).toMatch(/\n1 passed, 1 failed in /);
  }, 120_000);
});
