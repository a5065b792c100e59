import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { eventResult } from '../../src/normalize/event-result.js';
import { ValueDictionary, scanTetragonText, type IndexedEvent } from '../../src/normalize/tetragon-index.js';

/** A line holding `value` as a JSON string between other text, and where the value's characters are. */
function lineWith(value: string, pad = 40): { raw: string; from: number; to: number } {
  const raw = `{"a":"${'p'.repeat(pad)}","v":"${value}","z":"${'q'.repeat(pad)}"}`;
  const from = raw.indexOf(`"v":"`) + 5;
  return { raw, from, to: from + value.length };
}

const read = (d: ValueDictionary, value: string): string => {
  const { raw, from, to } = lineWith(value);
  return d.value(raw, from, to);
};

describe('ValueDictionary', () => {
  it('decodes a value with escapes once, then gives the stored string', () => {
    const d = new ValueDictionary(8, 1000);
    const escaped = String.raw`-c \"echo hi\" \\x`;
    const decoded = '-c "echo hi" \\x';
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const first = lineWith(escaped);
      const v = d.unescaped(first.raw, first.from, first.to);
      expect(v).toBe(decoded);
      for (let i = 0; i < 50; i++) {
        const { raw, from, to } = lineWith(escaped, 10 + i);
        expect(d.unescaped(raw, from, to)).toBe(v);
      }
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
    expect(read(d, 'sh')).toBe('sh');
    expect(d.entries).toBe(2);
    // The escaped text and its value, then `sh`.
    expect(d.characters).toBe(escaped.length + decoded.length + 2);
  });

  it('gives any text exactly, stored and on a hit (not only ASCII, which the scan gives)', () => {
    const d = new ValueDictionary(8, 1000);
    for (const text of ['caf\u00e9 cr\u00e8me br\u00fbl\u00e9e', '\u20ac \u{1f600} and a lone \ud800 surrogate here']) {
      for (let i = 0; i < 3; i++) expect(read(d, text)).toBe(text);
    }
    expect(d.entries).toBe(2);
  });

  it('decodes values with escapes while off (values that mostly differ)', () => {
    const d = new ValueDictionary(2048, 1 << 20);
    for (let i = 0; i < 3000; i++) {
      const { raw, from, to } = lineWith(String.raw`a\"${i}`);
      expect(d.unescaped(raw, from, to)).toBe(`a"${i}`);
    }
    expect(d.on).toBe(false);
  });

  it('gives the value read, and stores one entry for a value read from many lines', () => {
    const d = new ValueDictionary(8, 1000);
    for (let i = 0; i < 100; i++) expect(read(d, 'docker.io/acme/frontend:1.4.2')).toBe('docker.io/acme/frontend:1.4.2');
    for (let i = 0; i < 100; i++) expect(read(d, 'sh')).toBe('sh');
    expect(read(d, '')).toBe('');
    expect(d.entries).toBe(3);
    expect(d.characters).toBe(31);
  });

  it('tells apart values its hash confuses (same length, same sampled characters)', () => {
    const d = new ValueDictionary(64, 10_000);
    // 40 characters: the hash samples every fifth one (0, 5, ..., 35) and the last, so these differ only where it does not look.
    const values = Array.from({ length: 20 }, (_, i) => Array.from({ length: 40 }, (_, k) => (k % 5 === 1 ? String.fromCharCode(97 + ((i >> ((k - 1) / 5)) & 1)) : 'x')).join(''));
    expect(new Set(values).size).toBe(20);
    for (let round = 0; round < 3; round++) for (const v of values) expect(read(d, v)).toBe(v);
    expect(d.entries).toBe(20);
  });

  it('compares a value with a bounded run of stored ones: values crafted to share a hash are not all stored', () => {
    const d = new ValueDictionary();
    const L = 'abcdefgh';
    // 64 characters: the hash samples 0, 8, ..., 56 and 63; these 512 differ at 1, 2 and 3 only. Stored, each read of
    // one would compare it with hundreds (a HEC client's events then cost ~20x a read, kept on by repeated values).
    const crafted = Array.from({ length: 512 }, (_, i) => 'x' + L[i & 7]! + L[(i >> 3) & 7]! + L[(i >> 6) & 7]! + 'x'.repeat(60));
    for (const v of crafted) {
      expect(read(d, v)).toBe(v);
      for (let k = 0; k < 4; k++) expect(read(d, 'sh')).toBe('sh'); // a fifth missed: it stays on
    }
    expect(d.on).toBe(true);
    expect(d.entries).toBeLessThanOrEqual(33);
    for (const v of crafted) expect(read(d, v)).toBe(v);
  });

  it('stays within its bounds, and values read once it is full are still right', () => {
    const d = new ValueDictionary(4, 30);
    const values = ['alpha', 'bravo', 'charlie', 'delta-delta-delta', 'echo', 'foxtrot', 'golf'];
    for (const v of values) expect(read(d, v)).toBe(v);
    // alpha, bravo, charlie (17 characters) fit; delta-delta-delta would exceed 30 characters; echo is the 4th entry.
    expect(d.entries).toBe(4);
    expect(d.characters).toBe(21);
    for (let round = 0; round < 5; round++) for (const v of values) expect(read(d, v)).toBe(v);
    expect(d.entries).toBe(4);
  });

  it('turns itself off for a stream of distinct values (exec ids), and on again later', () => {
    const d = new ValueDictionary();
    let n = 0;
    const next = (): string => `aXAtMTAtMC0yLTE3LmV1LXdlc3QtMS5jb21wdXRlLmludGVybmFs${n++}`;
    for (let i = 0; i < 1024; i++) expect(read(d, next())).toBe(`aXAtMTAtMC0yLTE3LmV1LXdlc3QtMS5jb21wdXRlLmludGVybmFs${n - 1}`);
    // Filled up to its bound but for the values past a run of DICTIONARY_MAX_PROBES (ids differing in a few digits
    // the hash does not sample share a few hashes).
    expect(d.entries).toBeGreaterThan(256);
    expect(d.entries).toBeLessThanOrEqual(512);
    expect(d.characters).toBeLessThanOrEqual(32 * 1024);
    // The read after a window of 1024: more than a quarter missed, so it empties and stops looking up.
    expect(read(d, next())).toMatch(/^aXAt.*1024$/);
    expect(d.on).toBe(false);
    expect(d.entries).toBe(0);
    for (let i = 0; i < 64 * 1024 - 1; i++) read(d, next());
    expect(d.on).toBe(true);
    // Back on with the repeated values of a low-cardinality source: they are stored again.
    for (let i = 0; i < 3000; i++) expect(read(d, `pod-${i % 7}`)).toBe(`pod-${i % 7}`);
    expect(d.on).toBe(true);
    expect(d.entries).toBe(7);
  });

  it('keeps no line alive: neither a stored value nor a copy holds the line it was read from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    /** Heap bytes still used after reading 4 lines of 1 MB and keeping what `keep` gives of each value. */
    const retained = (keep: (raw: string, from: number, to: number) => string): { bytes: number; kept: string[] } => {
      gc();
      const base = process.memoryUsage().heapUsed;
      const kept: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { raw, from, to } = lineWith(`/usr/bin/containerd-shim-runc-v2-${i}`, 500_000 + i);
        // A flat string of its own, as the file reader decodes a line.
        const line = Buffer.from(raw, 'latin1').toString('latin1');
        kept.push(keep(line, from, to), keep(line, from, to));
      }
      gc();
      return { bytes: process.memoryUsage().heapUsed - base, kept };
    };
    // What the probe itself leaves (the padding's own strings), keeping nothing of the lines.
    const floor = retained(() => '').bytes;
    const d = new ValueDictionary();
    const viaDictionary = retained((raw, from, to) => d.value(raw, from, to));
    expect(viaDictionary.kept).toEqual([0, 0, 1, 1, 2, 2, 3, 3].map((i) => `/usr/bin/containerd-shim-runc-v2-${i}`));
    expect(viaDictionary.bytes - floor).toBeLessThan(500_000);
    // The same probe sees the lines kept by plain slices (views of their line): the test can fail.
    expect(retained((raw, from, to) => raw.slice(from, to)).bytes - floor).toBeGreaterThan(3_000_000);
  });
});

describe('CIM fields through the dictionaries', () => {
  const exec = (binary: string, args: string | null, parent = '/usr/bin/containerd-shim'): IndexedEvent => {
    const proc: Record<string, unknown> = { binary, pid: 1, pod: { name: 'shop-svc-0-0', namespace: 'shop' } };
    if (args !== null) proc['arguments'] = args;
    const raw = JSON.stringify({ process_exec: { process: proc, parent: { binary: parent } }, node_name: 'ip-10-0-2-17.eu-west-1.compute.internal', time: '2026-11-20T10:00:00Z' });
    return { _time: 0, _raw: raw, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 's', host: 'h', spans: scanTetragonText(raw)! };
  };

  it('gives each event its own command line, basename and pod, whatever the events before it', () => {
    const cases: [string, string | null, string, string][] = [
      ['/bin/sh', '-c "tar czf /backup/data.tgz /var/lib/data"', '/bin/sh -c "tar czf /backup/data.tgz /var/lib/data"', 'sh'],
      ['/usr/bin/bash', '-c "tar czf /backup/data.tgz /var/lib/data"', '/usr/bin/bash -c "tar czf /backup/data.tgz /var/lib/data"', 'bash'],
      ['/bin/sh', '-c "tar czf /backup/data.tgz /var/lib/data"', '/bin/sh -c "tar czf /backup/data.tgz /var/lib/data"', 'sh'],
      ['/bin/sh', '', '/bin/sh', 'sh'],
      ['/bin/sh', null, '/bin/sh', 'sh'],
      ['curl', 'http://x', 'curl http://x', 'curl'],
      ['/opt/tools/', 'x', '/opt/tools/ x', ''],
      ['/', 'x', '/ x', ''],
      // Escaped in the JSON: read by JSON.parse of the span, not from a dictionary.
      ['/opt/we"ird/na"me', '-v "a"', '/opt/we"ird/na"me -v "a"', 'na"me'],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [binary, args, process, name] of cases) {
        const r = eventResult(exec(binary, args));
        expect(r.get('process')).toBe(process);
        expect(r.get('process_name')).toBe(name);
        expect(r.get('process_path')).toBe(binary);
        expect(r.get('parent_process_name')).toBe('containerd-shim');
        expect(r.get('pod_name')).toBe('shop-svc-0-0');
        expect(r.get('node_name')).toBe('ip-10-0-2-17.eu-west-1.compute.internal');
      }
    }
  });
});

describe('command lines shared by their arguments', () => {
  it('keeps a bounded number of characters: distinct huge arguments (a HEC client) are not all kept', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const eventWithArgs = (args: string): IndexedEvent => {
      const raw = JSON.stringify({ process_exec: { process: { binary: '/bin/sh', arguments: args }, parent: { binary: '/bin/init' } }, time: '2026-11-20T10:00:00Z' });
      return { _time: 0, _raw: raw, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 's', host: 'h', spans: scanTetragonText(raw)! };
    };
    // The arguments' dictionary is on: most reads repeat a value.
    for (let i = 0; i < 64; i++) expect(eventResult(eventWithArgs('-c true')).get('process')).toBe('/bin/sh -c true');
    gc();
    const base = process.memoryUsage().heapUsed;
    for (let i = 0; i < 8; i++) {
      const args = `-c ${String(i).repeat(1_000_000)}`;
      const line = eventResult(eventWithArgs(args)).get('process') as string;
      expect(line.length).toBe(11 + 1_000_000);
      expect(line.startsWith(`/bin/sh -c ${i}`)).toBe(true);
    }
    gc();
    // Nothing of the 8 events is kept by the reader: 16 MB (each arguments and line) if the joins were kept.
    expect(process.memoryUsage().heapUsed - base).toBeLessThan(4_000_000);
  });
});
