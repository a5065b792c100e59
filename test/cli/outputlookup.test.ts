import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** outputlookup as users run it (bin/vigil.js over dist/): --lookup-dir or VIGIL_LOOKUP_DIR, else a clear error. */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-cli-outputlookup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const EVENTS = join(tmp, 'exec.jsonl');
// Three execs: curl twice, bash once.
writeFileSync(
  EVENTS,
  ['/usr/bin/curl', '/usr/bin/curl', '/bin/bash']
    .map((binary, i) => JSON.stringify({ process_exec: { process: { binary, pid: 10 + i, arguments: '-x' } }, time: `2024-01-01T00:00:0${i}Z`, node_name: 'n' }))
    .join('\n') + '\n',
);

function vigil(args: string[], env: Record<string, string | undefined> = {}) {
  const { VIGIL_LOOKUP_DIR: _, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp, env: { ...rest, NO_COLOR: '1', ...env } as NodeJS.ProcessEnv });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const rows = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const BASELINE = 'index=* | stats count by process_name | outputlookup procs.csv';

describe('vigil search/run | outputlookup', () => {
  it('writes to --lookup-dir (same file on 1 and 2 threads); a later search reads it with inputlookup', () => {
    const dir = join(tmp, 'lk');
    for (const threads of ['1', '2']) {
      const r = vigil(['search', BASELINE, '--events', EVENTS, '--format', 'jsonl', '--lookup-dir', dir, '--threads', threads]);
      expect(r.err).toBe('');
      // stats sorts by process_name: bash 1, curl 2; the results pass through.
      expect(rows(r.out)).toEqual([{ process_name: 'bash', count: 1 }, { process_name: 'curl', count: 2 }]);
      expect(readFileSync(join(dir, 'procs.csv'), 'utf8')).toBe('process_name,count\nbash,1\ncurl,2\n');
    }
    const back = vigil(['search', '| inputlookup procs', '--format', 'jsonl'], { VIGIL_LOOKUP_DIR: dir });
    expect(rows(back.out)).toEqual([{ process_name: 'bash', count: '1' }, { process_name: 'curl', count: '2' }]);
  });

  it('a detection reads the lookup a baseline wrote (vigil run, lookup command, 2 threads)', () => {
    const dir = join(tmp, 'lk2');
    expect(vigil(['search', BASELINE, '--events', EVENTS, '--lookup-dir', dir]).code).toBe(0);
    const content = join(tmp, 'content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    writeFileSync(
      join(content, 'detections', 'seen.yml'),
      ['name: Seen Before', 'id: 00000000-0000-4000-8000-0000000000c1', 'type: Hunting', "search: 'index=* | lookup procs.csv process_name OUTPUT count AS seen | stats count by process_name seen'"].join('\n'),
    );
    const r = vigil(['run', 'Seen Before', '--content', content, '--events', EVENTS, '--format', 'jsonl', '--lookup-dir', dir, '--threads', '2']);
    expect(r.err).toBe('');
    expect(rows(r.out)).toEqual([{ process_name: 'bash', seen: '1', count: 1 }, { process_name: 'curl', seen: '2', count: 2 }]);
  });

  it('without a lookup directory: SPL_LOOKUP_WRITE at the command, exit 2, nothing written in the working directory', () => {
    const r = vigil(['search', BASELINE, '--events', EVENTS]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('SPL_LOOKUP_WRITE');
    expect(r.err).toContain('--lookup-dir');
    expect(existsSync(join(tmp, 'procs.csv'))).toBe(false);
    const limit = vigil(['search', BASELINE, '--events', EVENTS, '--lookup-dir', join(tmp, 'lk3'), '--lookup-max-rows', '1']);
    expect(limit.code).toBe(2);
    expect(limit.err).toContain('more than 1 rows');
  });

  // Four processes at once, each appending 25 times (map runs one outputlookup search per result), to one table: every
  // row kept, each once. Without the file's lock each append read the file, then renamed its own copy over it: this
  // run kept 44 of 100 rows.
  it('concurrent append=true writers in 4 processes keep every row exactly once', async () => {
    const dir = join(tmp, 'lk-concurrent');
    const writer = (p: number) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const spl = `| makeresults count=25 | streamstats count AS i | eval p=${p} | map maxsearches=25 search="| makeresults | eval w=\\"$p$-$i$\\" | table w | outputlookup append=true t"`;
        const { VIGIL_LOOKUP_DIR: _, ...rest } = process.env;
        const child = spawn(process.execPath, [BIN, 'search', spl, '--lookup-dir', dir, '--format', 'jsonl'], { cwd: tmp, env: { ...rest, NO_COLOR: '1' } as NodeJS.ProcessEnv });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.stdout.resume();
        child.on('close', (code) => resolve({ code, err }));
      });
    const runs = await Promise.all([1, 2, 3, 4].map(writer));
    for (const r of runs) expect(r).toEqual({ code: 0, err: '' });
    const lines = readFileSync(join(dir, 't.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('w');
    const expected = [1, 2, 3, 4].flatMap((p) => Array.from({ length: 25 }, (_, i) => `${p}-${i + 1}`));
    expect(lines.slice(1).sort()).toEqual(expected.sort());
    // Each process's rows in its own order (its appends ran one after another).
    for (const p of [1, 2, 3, 4]) expect(lines.filter((l) => l.startsWith(`${p}-`))).toEqual(Array.from({ length: 25 }, (_, i) => `${p}-${i + 1}`));
    // No lock or temporary file left behind.
    expect(readdirSync(dir)).toEqual(['t.csv']);
  }, 60_000);

  it('--lookup-max-files: a new file past it is SPL_LOOKUP_WRITE (exit 2, nothing written); an existing one may be rewritten', () => {
    const dir = join(tmp, 'lk-files');
    const write = (name: string, extra: string[] = []) => vigil(['search', `| makeresults | eval k="${name}" | table k | outputlookup ${name}`, '--lookup-dir', dir, '--lookup-max-files', '2', ...extra]);
    expect(write('a').code).toBe(0);
    expect(write('b').code).toBe(0);
    const over = write('c');
    expect(over.code).toBe(2);
    expect(over.err).toContain('SPL_LOOKUP_WRITE');
    expect(over.err).toContain('already holds 2 lookup files');
    expect(readdirSync(dir).sort()).toEqual(['a.csv', 'b.csv']);
    expect(write('a').code).toBe(0);
    expect(vigil(['search', '| makeresults | outputlookup c', '--lookup-dir', dir, '--lookup-max-files', '0']).err).toContain('--lookup-max-files must be a positive integer');
    expect(vigil(['search', '| makeresults | outputlookup c', '--lookup-dir', dir, '--lookup-lock-wait', '5000']).err).toContain('--lookup-lock-wait must be a whole number of seconds from 0 to 3600');
  });
});
