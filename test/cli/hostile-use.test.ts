import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The CLI used carelessly or hostilely, as a script relies on it: exit codes (0 ok, 2 usage/SPL/content, 1 other:
 * README "Running detections over files"), errors with their code (docs/errors.md), no file left half-written.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const tmp = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vigil test --junit', () => {
  it('reports a report it cannot write as OUTPUT_IO (exit 1), not as an internal error', () => {
    // /dev/full: every write fails with ENOSPC, the "full disk" docs/errors.md names for OUTPUT_IO.
    const r = vigil(['test', SEED, '--junit', '/dev/full']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('1 passed, 0 failed');
    expect(r.err).toBe('vigil: cannot write the JUnit report /dev/full: ENOSPC: no space left on device, write [OUTPUT_IO]\n');
  });

  it('replaces an existing report whole, leaving no temporary file beside it', () => {
    const dir = join(tmp, 'junit');
    mkdirSync(dir);
    const junit = join(dir, 'report.xml');
    writeFileSync(junit, 'old');
    expect(vigil(['test', SEED, '--junit', junit]).code).toBe(0);
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml[^]*<\/testsuites>\n?$/);
    expect(readdirSync(dir)).toEqual(['report.xml']);
  });
});

describe('Ctrl-C while outputlookup writes', () => {
  it('ends the process by SIGINT (a shell shows 130) with the lookup whole and no temporary or lock file left', async () => {
    // README: Ctrl-C ends `vigil search` by the signal. The default action killed it in the middle of the write: a
    // hidden .tmp of tens of MB and two .lock files stayed in the lookup directory until a later write.
    const dir = join(tmp, 'lookups');
    mkdirSync(dir);
    const spl = '| makeresults count=600000 | eval x=random(), y="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" | outputlookup big.csv | stats count';
    const child = spawn(process.execPath, [BIN, 'search', spl, '--lookup-dir', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ended = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
        sent = true;
        child.kill('SIGINT');
      }
    }, 5);
    const how = await ended;
    clearInterval(poll);
    expect(sent, 'the write was seen in progress').toBe(true);
    expect(how).toBe('SIGINT');
    expect(err).toBe('');
    expect(readdirSync(dir)).toEqual(['big.csv']);
    const csv = readFileSync(join(dir, 'big.csv'), 'utf8');
    expect(csv.split('\n').length).toBe(600002);
  }, 60_000);

  it('ends at once while waiting for the lock another writer holds (nothing written yet, nothing to finish)', async () => {
    // The lock of `held.csv` (lookup-dir.ts tableLockName), held by a live process of this host: this test's runner.
    const dir = join(tmp, 'locked');
    mkdirSync(dir);
    const lock = `.vigil-lookup.${createHash('sha256').update('held.csv').digest('hex').slice(0, 32)}.lock`;
    writeFileSync(join(dir, lock), `${process.pid} 0 ${hostname()} 0123456789abcdef\n`);
    const child = spawn(process.execPath, [BIN, 'search', '| makeresults | outputlookup held.csv', '--lookup-dir', dir, '--lookup-lock-wait', '60'], { cwd: ROOT, stdio: 'ignore' });
    const ended = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
    await new Promise((r) => setTimeout(r, 2000)); // started and waiting
    const sent = Date.now();
    child.kill('SIGINT');
    expect(await ended).toBe('SIGINT');
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(readdirSync(dir)).toEqual([lock]);
  }, 30_000);
});

describe('vigil runs, risk and findings', () => {
  it('refuse a bad --limit or --since as a usage error (exit 2) before looking for the store', () => {
    // docs/errors.md: USAGE is "a command-line flag is missing or invalid", exit 2; it was STORE (exit 1) where the
    // data dir holds no store yet, and USAGE where it did: a script could not tell its own mistake from a missing store.
    const nowhere = join(tmp, 'no-data-dir');
    for (const command of ['runs', 'risk', 'findings']) {
      expect(vigil([command, '--limit', 'abc', '--data-dir', nowhere]), command).toEqual({ code: 2, out: '', err: 'vigil: --limit must be a positive integer [USAGE]\n' });
      const since = vigil([command, '--since', 'yesterday', '--data-dir', nowhere]);
      expect(since, command).toMatchObject({ code: 2, out: '' });
      expect(since.err, command).toMatch(/^vigil: --since: invalid time modifier "yesterday": .* \[USAGE\]\n$/);
      // Good flags, no store: still the store's own error (exit 1).
      expect(vigil([command, '--limit', '5', '--data-dir', nowhere]), command).toMatchObject({ code: 1, err: expect.stringContaining('[STORE]') });
    }
  });
});

describe('vigil validate', () => {
  it("shows the content's control characters as U+FFFD in its text report, as every other output for a terminal does", () => {
    // src/cli/CONTEXT.md: what the CLI quotes from its inputs goes through `printable`; validate printed a detection
    // name's ESC sequence raw (it could retitle or clear the terminal of whoever validates a contributed pack).
    const dir = join(tmp, 'escape-content');
    mkdirSync(join(dir, 'detections'), { recursive: true });
    writeFileSync(
      join(dir, 'detections', 'x.yml'),
      [
        'name: "Bad \\u001b]0;pwned\\u0007 name"',
        'id: 5a7f6c4e-7a8e-4b0e-9a71-3c2d1e0f9a11',
        'version: 1',
        "date: '2026-01-01'",
        'author: t',
        'type: Hunting',
        'status: production',
        'description: x',
        'data_source: []',
        'search: "`cisco_isovalent_process_exec` | stats count by process_name"',
        'how_to_implement: x',
        'known_false_positives: x',
        'references: []',
        'tags: {analytic_story: [], asset_type: Kubernetes, mitre_attack_id: [], product: [Splunk Enterprise], security_domain: endpoint}',
        '',
      ].join('\n'),
    );
    const r = vigil(['validate', '--content', dir, '--no-bundled']);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.out).toContain('Bad \ufffd]0;pwned\ufffd name: runs on vigil\n');
    // --format json keeps the name as it is (JSON escapes it).
    const json = vigil(['validate', '--content', dir, '--no-bundled', '--format', 'json']);
    expect((JSON.parse(json.out) as { detections: { name: string }[] }).detections.map((d) => d.name)).toEqual(['Bad \u001b]0;pwned\u0007 name']);
  });
});

describe('conflicting flags', () => {
  const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');

  it('vigil search refuses --config (a store) together with --events (files) instead of ignoring the config', () => {
    expect(vigil(['search', 'index=* | stats count', '--events', DATA, '--config', join(tmp, 'none.yml')])).toEqual({
      code: 2,
      out: '',
      err: 'vigil: --config names the store of vigil serve to search, --events files to search: give one of them [USAGE]\n',
    });
  });

  it('vigil replay refuses --now without --shift-time instead of sending the events at their own times', () => {
    // Nothing listens on port 1: the usage error must come before any attempt to send.
    expect(vigil(['replay', DATA, '--url', 'http://127.0.0.1:1', '--token', 't', '--now', '2026-01-01T00:00:00Z'])).toEqual({
      code: 2,
      out: '',
      err: 'vigil: --now applies with --shift-time (the time the newest event lands at); add --shift-time, or leave --now out [USAGE]\n',
    });
  });
});

describe('an empty value for a path, port, URL or token', () => {
  it('is a usage error, not the default (./data, no config, no JUnit report) or the working directory', () => {
    // docs/errors.md: USAGE is "a command-line flag is missing or invalid" (exit 2). `--data-dir "$DIR"` with DIR unset
    // read ./data, `--junit ''` ran every test and wrote no report (exit 0), `--config ''` read no config at all.
    const cases: [string[], string][] = [
      [['runs', '--data-dir', ''], '--data-dir'],
      [['runs', '--config='], '--config'],
      [['search', '| makeresults', '--config', ''], '--config'],
      [['test', SEED, '--junit', ''], '--junit'],
      [['serve', '--port', ' '], '--port'],
      [['search', 'index=*', '--events', ''], '--events'],
    ];
    for (const [args, flag] of cases) {
      expect(vigil(args), args.join(' ')).toEqual({ code: 2, out: '', err: `vigil: ${flag} was given an empty value (an unset shell variable?); see vigil ${args[0]} --help [USAGE]\n` });
    }
    // After `--` an empty argument is the command's own (here one too many for search).
    expect(vigil(['search', '| makeresults', '--', '--data-dir', '']).err).toContain('too many arguments');
  });
});

describe('--events - (stdin)', () => {
  it('fails with INPUT_IO (exit 1) when stdin is a directory, as `cat < dir` does, instead of searching no events', () => {
    // docs/errors.md: INPUT_IO is "an input file cannot be read", exit 1; it printed {"count":0} and exit 0.
    const fd = openSync(tmp, 'r');
    try {
      const r = spawnSync(process.execPath, [BIN, 'search', 'index=* | stats count', '--events', '-'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8', cwd: ROOT });
      expect({ code: r.status, out: r.stdout, err: r.stderr }).toEqual({ code: 1, out: '', err: 'vigil: cannot read stdin: is a directory [INPUT_IO]\n' });
    } finally {
      closeSync(fd);
    }
    // A closed or empty stdin is no events, not an error (`cat < /dev/null`).
    expect(vigil(['search', 'index=* | stats count', '--events', '-'], '')).toEqual({ code: 0, out: '{"count":0}\n', err: '' });
  });
});

describe('vigil help <command>', () => {
  it('says which command it does not know, with the nearest, as `vigil <command>` does', () => {
    // It printed the whole program help on stderr (exit 2) without a word about what was wrong.
    expect(vigil(['help', 'serch'])).toEqual({ code: 2, out: '', err: "vigil: unknown command 'serch' (did you mean search?); see vigil --help [USAGE]\n" });
    expect(vigil(['help', 'xyzzy'])).toEqual({ code: 2, out: '', err: "vigil: unknown command 'xyzzy'; see vigil --help [USAGE]\n" });
    const known = vigil(['help', 'search']);
    expect(known.code).toBe(0);
    expect(known.out).toMatch(/^Usage: vigil search \[options\] <spl>/);
  });
});

describe('vigil replay -', () => {
  it('says it reads files, not stdin, instead of "no such file or directory"', () => {
    // `-` is stdin for --events (README); replay reads each input more than once, so it names what to do instead.
    expect(vigil(['replay', '-', '--url', 'http://127.0.0.1:1', '--token', 'abcdefghijklmnop'], 'x\n')).toEqual({
      code: 1,
      out: '',
      err: 'vigil: cannot read -: vigil replay reads files, not stdin (it reads each input more than once); save it to a file first [INPUT_IO]\n',
    });
  });
});

describe('--config of the commands beside vigil serve', () => {
  it("print the config's warnings (an unknown key) on stderr as vigil serve does, once each", () => {
    // A typo in the config (`dataDri:`) went unsaid by vigil detections/runs/schedule, which then read ./data.
    const config = join(tmp, 'typo.yml');
    writeFileSync(config, `dataDir: ${join(tmp, 'data')}\ndataDri: /elsewhere\n`);
    const warning = `vigil: config: ${config}:2: unknown section "dataDri" ignored\n`;
    const detections = vigil(['detections', '--config', config, '--format', 'csv']);
    expect(detections.code).toBe(0);
    expect(detections.err).toBe(warning);
    expect(detections.out).toMatch(/^name,id,type/);
    const schedule = vigil(['schedule', '--config', config, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T00:01:00Z']);
    expect(schedule).toMatchObject({ code: 0, err: warning });
  });
});

describe('vigil test live-mode options without --url', () => {
  it('are a usage error, not an offline run the user did not ask for', () => {
    expect(vigil(['test', SEED, '--token', 'abc', '--insecure'])).toEqual({
      code: 2,
      out: '',
      err: 'vigil: --token, --insecure: live-mode options, given without --url (the HEC of a running vigil); add --url, or leave them out to test offline [USAGE]\n',
    });
  });
});

/** Python's pty module gives the bin a terminal and types into it (skipped where python3 is missing). */
const hasPython = spawnSync('python3', ['--version']).status === 0;
const TYPE_INTO_TERMINAL = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], 'hash-password'])
out = b''
while b'Password: ' not in out:
    out += os.read(fd, 1000)
time.sleep(0.3)
os.write(fd, sys.argv[3].encode('latin-1'))
try:
    while True:
        d = os.read(fd, 1000)
        if not d: break
        out += d
except OSError:
    pass
_, status = os.waitpid(pid, 0)
print('signal' if os.WIFSIGNALED(status) else 'exit', os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
print(out.decode())
`;

describe('vigil hash-password on a terminal', () => {
  const typed = (keys: string) => spawnSync('python3', ['-c', TYPE_INTO_TERMINAL, process.execPath, BIN, keys], { encoding: 'utf8', cwd: ROOT }).stdout;

  it.skipIf(!hasPython)('ends by SIGINT on Ctrl-C (a shell shows 130), as every command, not a USAGE error', () => {
    // Raw mode turns Ctrl-C into a character: it was "vigil: interrupted [USAGE]", exit 2.
    expect(typed('\u0003')).toBe('signal 2\nPassword: \r\n\n');
  });

  it.skipIf(!hasPython)('takes Ctrl-D as the end of the input, as a terminal in line mode does, not as a character of the password', () => {
    expect(typed('\u0004')).toBe('exit 2\nPassword: \r\nvigil: no password given (type it, or pipe it on stdin) [USAGE]\r\n\n');
    expect(typed('pw\u0004')).toMatch(/^exit 0\nPassword: \r\nscrypt\$16384\$8\$1\$/);
  });
});

describe('a malformed line of a file with a hostile name', () => {
  it('is reported with the name made printable, as its reason is (src/cli/CONTEXT.md)', () => {
    // `--events dir/*` over files someone else named: the ESC sequence of a name reached the terminal.
    const file = join(tmp, 'bad\u001b[31mname.log');
    writeFileSync(file, 'notjson\n');
    const r = vigil(['search', 'index=* | stats count', '--events', file]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`vigil: skipped ${join(tmp, 'bad\ufffd[31mname.log')}:1: not JSON: Unexpected token 'o', "notjson" is not valid JSON [INPUT_MALFORMED]\nvigil: 1 malformed line skipped\n`);
  });
});
