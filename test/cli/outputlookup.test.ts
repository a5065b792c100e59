import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
});
