import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as users run it: `bin/vigil.js` over the compiled dist/ (`npm test` builds first). */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
// The benchmark's generator: Tetragon exports as hard as real ones (a module without types).
const GENERATOR = '../../bench/generate.mjs';
const { tetragonEvents } = (await import(GENERATOR)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

const tmp = mkdtempSync(join(tmpdir(), 'vigil-threads-'));
const file = join(tmp, 'events.jsonl');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  // ~25 MB: above the size that stays on one thread, so the run is split into partitions (and the pack, at
  // ~45 MB/s on one thread, is worth a worker); where no worker starts (2 cores), the pack's scan reads on a thread
  // of its own when a core is idle (src/sources/read-thread.ts), which must print the same.
  const lines: string[] = [];
  let i = 0;
  for (const ev of tetragonEvents(15000, { seed: 21 })) {
    lines.push(JSON.stringify(ev));
    if (++i % 2000 === 0) lines.push('{"broken": ');
  }
  writeFileSync(file, lines.join('\n') + '\n');
});

function vigil(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vigil run and search --threads', () => {
  it('prints what one thread prints, rows, order and skipped lines', () => {
    const args = ['run', '--all', '--events', file, '--now', '1795200000', '--format', 'jsonl'];
    const one = vigil([...args, '--threads', '1']);
    expect(one.code).toBe(0);
    expect(one.out.split('\n').length).toBeGreaterThan(100);
    expect(one.err).toContain('malformed lines skipped');
    const two = vigil(args, { VIGIL_THREADS: '2' });
    expect(two.code).toBe(0);
    expect(two.out).toBe(one.out);
    expect(two.err).toBe(one.err);
    const search = ['search', '* | stats count avg(process_id) values(node_name) by process_name', '--events', file, '--format', 'jsonl'];
    expect(vigil([...search, '--threads', '3']).out).toBe(vigil([...search, '--threads', '1']).out);
  }, 120_000);

  it('refuses a thread count that is not a positive integer', () => {
    const bad = vigil(['search', '* | stats count', '--events', file, '--threads', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--threads must be an integer from 1 to 1024, not "0"');
    const env = vigil(['search', '* | stats count', '--events', file], { VIGIL_THREADS: 'many' });
    expect(env.code).toBe(2);
    expect(env.err).toContain('VIGIL_THREADS must be an integer from 1 to 1024, not "many"');
    // Digits only, as the message says (Number() reads these as 1000, 2 and 2).
    for (const text of ['1e3', '0x2', ' 2', '2.0', '+3']) {
      expect(vigil(['search', '* | stats count', '--events', file, '--threads', text]), text).toMatchObject({ code: 2, err: expect.stringContaining(`not "${text}"`) });
    }
    expect(vigil(['search', '* | stats count', '--events', file], { VIGIL_THREADS: '1e2' }).code).toBe(2);
    // A --threads without its value took the next option: that is what is reported.
    const swallowed = vigil(['run', '--all', '--threads', '--events', file]);
    expect(swallowed).toMatchObject({ code: 2, err: expect.stringContaining('--threads must be an integer from 1 to 1024, not "--events"') });
  });

  it('ends at once on Ctrl-C or SIGTERM, killed by the signal (README: a shell says 130 or 143), printing nothing', async () => {
    // The pack over ~25 MB runs for seconds; the signal comes while it loads or reads (threads and all).
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const child = spawn(process.execPath, [BIN, 'run', '--all', '--events', file, '--threads', '2', '--format', 'jsonl'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill(signal);
      expect(await ended, signal).toEqual({ code: null, signal });
      expect({ out, err }, signal).toEqual({ out: '', err: '' });
    }
  }, 60_000);

  it('--explain shows what runs per partition', () => {
    const r = vigil(['search', '* | eval x=1 | stats count by x | sort - count', '--events', file, '--explain']);
    expect(r.out).toContain('parallel: per partition: scan, leading search, eval, stats (partial state); final: merge stats, sort');
    // And what this machine does with it: on 2 cores no worker starts (parallel/run.ts autoWorkers).
    expect(r.out).toMatch(availableParallelism() <= 2 ? /\n {2}workers: none start on this \d+-core machine/ : /\n {2}workers: up to \d+ beside this thread/);
    expect(vigil(['search', '* | eval x=1 | stats count by x', '--events', file, '--explain', '--threads', '1']).out).not.toContain('workers:');
    // Where the run stays on one thread whatever the search allows, that is what it says.
    expect(vigil(['search', '* | eval x=1 | stats count by x', '--events', file, '--explain', '--threads', '1']).out).toContain('\nparallel: none, one thread: --threads 1');
    expect(vigil(['search', '* | eval x=1 | stats count by x', '--events', '-', '--explain']).out).toContain('\nparallel: none, one thread: stdin is read in one pass');
    // A file and stdin: the run stays on one thread too (runFilesInParallel does not partition stdin).
    expect(vigil(['search', '* | eval x=1 | stats count by x', '--explain', '--events', file, '-']).out).toContain('\nparallel: none, one thread: stdin is read in one pass');
  });
});
