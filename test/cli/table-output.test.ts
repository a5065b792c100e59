import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import { outputSink } from '../../src/cli/output.js';

async function tableOf(rows: Record<string, string>[]): Promise<string> {
  let out = '';
  const sink = outputSink({ format: 'table', tz: 'UTC', write: (s) => (out += s) });
  for (const fields of rows) {
    const r = new Row();
    for (const [k, v] of Object.entries(fields)) r.set(k, v);
    sink.push(r);
  }
  sink.end();
  await Promise.resolve(); // the chunked writer flushes in a microtask
  return out;
}

describe('table output on a terminal: event text cannot drive the terminal', () => {
  it('shows control, bidi and lone surrogate characters of fields and field names as U+FFFD', async () => {
    // Process arguments are attacker text: ESC sequences clear the screen or set the clipboard (OSC 52),
    // BEL rings, U+202E reverses what follows, CR rewrites the line.
    const out = await tableOf([{ process: 'sh -c \u001b[2J\u001b]52;c;ZWNobyBwd25lZA==\u0007x', pod: 'a\u202Etxt.exe', 'f\u001b[31m': 'r\rfake', t: 'a\tb' }]);
    expect(out.replace(/\n/g, '')).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(out.split('\n').slice(0, 3)).toEqual([
      'process                              pod        f\ufffd[31m  t',
      '-----------------------------------  ---------  ------  ---',
      'sh -c \ufffd[2J\ufffd]52;c;ZWNobyBwd25lZA==\ufffdx  a\ufffdtxt.exe  r\ufffdfake  a\ufffdb',
    ]);
  });

  it('lays out 200,000 rows, and a cell of 200,000 values, without overflowing the stack', async () => {
    const out = await tableOf(Array.from({ length: 200_000 }, (_, i) => ({ n: String(i) })));
    expect(out.split('\n').slice(0, 3)).toEqual(['n', '------', '0']);
    expect(out.endsWith('\n200000 results\n')).toBe(true);
    let wide = '';
    const sink = outputSink({ format: 'table', tz: 'UTC', write: (s) => (wide += s) });
    const r = new Row();
    r.set('v', Array.from({ length: 200_000 }, (_, i) => `v${i}`));
    sink.push(r);
    sink.end();
    await Promise.resolve();
    expect(wide.split('\n').slice(0, 3)).toEqual(['v', '-------', 'v0']);
  });

  it('leaves ordinary text and multivalue lines as they were', async () => {
    const out = await tableOf([{ name: 'curl ünïcode 日本', n: '1' }]);
    expect(out).toBe('name             n\n---------------  -\ncurl ünïcode 日本  1\n\n1 result\n');
  });
});

describe('malformed-line reports on stderr', () => {
  it('quote the line (JSON.parse names it) without its control characters', async () => {
    const { InputIssues } = await import('../../src/cli/shared.js');
    let err = '';
    const issues = new InputIssues((s) => (err += s));
    issues.onMalformed({ file: 'x.jsonl', line: 1, reason: 'not JSON: Unexpected token \'a\', "abc\u001b[2Jdef" is not valid JSON' });
    expect(err).toBe('vigil: skipped x.jsonl:1: not JSON: Unexpected token \'a\', "abc\ufffd[2Jdef" is not valid JSON [INPUT_MALFORMED]\n');
  });

  it('show warnings too (an event without "time" took the previous time: counted, never shown before), 20 lines at most', async () => {
    const { InputIssues } = await import('../../src/cli/shared.js');
    let err = '';
    const issues = new InputIssues((s) => (err += s));
    issues.onMalformed({ file: 'x.jsonl', line: 1, reason: 'not JSON' });
    for (let line = 2; line <= 25; line++) issues.onWarning({ file: 'x.jsonl', line, reason: 'no "time": using the previous event\'s time' });
    issues.summary();
    const lines = err.trimEnd().split('\n');
    expect(lines[0]).toBe('vigil: skipped x.jsonl:1: not JSON [INPUT_MALFORMED]');
    expect(lines[1]).toBe('vigil: warning x.jsonl:2: no "time": using the previous event\'s time');
    expect(lines.slice(20)).toEqual(['vigil: ... and 5 more', 'vigil: 1 malformed line skipped', 'vigil: 24 lines read with a warning']);
  });

  it('report a line once when several scans read it (a join subsearch reads the input again)', async () => {
    const { InputIssues } = await import('../../src/cli/shared.js');
    let err = '';
    const issues = new InputIssues((s) => (err += s));
    for (let scan = 0; scan < 2; scan++) {
      issues.onMalformed({ file: 'x.jsonl', line: 3, reason: 'not JSON' });
      issues.onWarning({ file: 'x.jsonl', line: 1, reason: 'no "time"' });
    }
    issues.onMalformed({ file: 'y.jsonl', line: 3, reason: 'not JSON' });
    issues.summary();
    expect(err).toBe('vigil: skipped x.jsonl:3: not JSON [INPUT_MALFORMED]\nvigil: warning x.jsonl:1: no "time"\nvigil: skipped y.jsonl:3: not JSON [INPUT_MALFORMED]\nvigil: 2 malformed lines skipped\nvigil: 1 line read with a warning\n');
  });
});
