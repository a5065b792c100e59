import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The commands and error codes of README.md and docs/errors.md, run as a newcomer runs them: `bin/vigil.js` over the
 * compiled dist/ (`npm run build:server` first). Expected texts are the documents' contract, not vigil's code.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('docs/errors.md codes, as the CLI reports them', () => {
  it('an invalid literal strftime/strptime format is TIME_FORMAT, a literal relative_time modifier TIME_MODIFIER, exit 2', () => {
    // docs/errors.md: "TIME_FORMAT | A strftime/strptime format is invalid", "TIME_MODIFIER | A time modifier ...
    // cannot be read"; both reported at the text written (docs/spl.md, `eval`: a literal that cannot be read is an
    // error at its position). They were SPL_BAD_ARGUMENT, so TIME_FORMAT was a code no search could produce.
    expect(vigil(['search', '| makeresults | eval x=strftime(_time, "%Y %q")'])).toEqual({
      code: 2,
      out: '',
      err:
        'vigil: strftime(): unknown time format directive \'%q\' at offset 3 in "%Y %q" [TIME_FORMAT]\n' +
        '  at 1:40\n  | | makeresults | eval x=strftime(_time, "%Y %q")\n  |                                        ^^^^^^^\n',
    });
    expect(vigil(['search', '| makeresults | eval x=strptime("2026", "%q")']).err).toContain('[TIME_FORMAT]\n  at 1:41\n');
    expect(vigil(['search', '| makeresults | eval x=relative_time(now(), "-1x")'])).toEqual({
      code: 2,
      out: '',
      err:
        'vigil: relative_time(): invalid time modifier "-1x": unknown time unit "x" (at offset 2) [TIME_MODIFIER]\n' +
        '  at 1:48\n  | | makeresults | eval x=relative_time(now(), "-1x")\n  |                                                ^\n',
    });
  });

  it('a --datasets directory that does not exist is CONTENT_NOT_FOUND, exit 2, before any test runs (as --content)', () => {
    // docs/errors.md: "CONTENT_NOT_FOUND | A detection, dataset or content directory does not exist"; README, vigil test:
    // "2 for usage and content errors found before any test runs". A mistyped --datasets was skipped silently.
    const missing = join(ROOT, 'no-such-attack-data');
    for (const cmd of ['test', 'validate']) {
      expect(vigil([cmd, '--datasets', missing]), cmd).toEqual({ code: 2, out: '', err: `vigil: --datasets: ${missing}: directory not found [CONTENT_NOT_FOUND]\n` });
    }
    expect(vigil(['test', '--datasets', BIN]).err).toBe(`vigil: --datasets: ${BIN}: not a directory [CONTENT_NOT_FOUND]\n`);
    // The bundled datasets directory itself is accepted, and the tests run.
    expect(vigil(['test', 'Cisco Isovalent - Shell Execution', '--datasets', join(ROOT, 'attack_data')]).code).toBe(0);
  });

  it('the top/rare maxresultrows warning says where it was raised, as README and docs/api.md say of every warning', () => {
    // README: a warning on stderr "with where it was raised"; docs/spl.md, top: "At most 50,000 results in all, Splunk's
    // default maxresultrows ... with a warning" (top reference: "By default the top command returns a maximum of 50,000
    // results"). It printed no position.
    const r = vigil(['search', '| makeresults count=50001 | streamstats count AS x | top limit=0 x | stats count']);
    expect(r).toEqual({ code: 0, out: '{"count":50000}\n', err: "vigil: warning: top returned its first 50000 results (Splunk's maxresultrows) (at 1:54)\n" });
  });
});
