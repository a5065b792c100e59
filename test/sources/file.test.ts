import { mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest, type ScanProgress, type ScanRequest } from '../../src/events/scan.js';
import type { IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { FileSource, type FileSourceOptions, type LineIssue } from '../../src/sources/file.js';
import { EXAMPLE, exampleLine, scratchDir, SYNTHETIC, UPSTREAM, upstreamLines } from './helpers.js';

const { write, at } = scratchDir('vigil-file-');

async function collect(src: FileSource, req: Partial<ScanRequest> = {}, signal?: AbortSignal): Promise<{ events: Event[]; batches: number[] }> {
  const events: Event[] = [];
  const batches: number[] = [];
  const opts = signal ? { signal } : {};
  for await (const b of src.scan({ ...emptyScanRequest(), ...req }, opts)) {
    batches.push(b.length);
    events.push(...b);
  }
  return { events, batches };
}

function issues(): { malformed: LineIssue[]; warnings: LineIssue[]; opts: FileSourceOptions } {
  const malformed: LineIssue[] = [];
  const warnings: LineIssue[] = [];
  return { malformed, warnings, opts: { onMalformed: (m) => malformed.push(m), onWarning: (w) => warnings.push(w), defaultHost: 'here' } };
}

describe('FileSource: reading', () => {
  it('reads the real samples in file order, raw lines kept exactly, values located without a parse', async () => {
    const { opts, malformed } = issues();
    const src = new FileSource([UPSTREAM, EXAMPLE], opts);
    const { events } = await collect(src);
    expect(events).toHaveLength(15);
    expect(events.map((e) => e._raw)).toEqual([...upstreamLines, exampleLine]);
    // Every sample takes the fast path (tetragon-index.ts): spans, no JSON.parse.
    expect(events.every((e) => (e as IndexedEvent).spans !== undefined && e.json === undefined && e.index === 'main')).toBe(true);
    expect(events[0]?.source).toBe(UPSTREAM);
    expect(events[14]).toMatchObject({
      _time: 1755204167.459945,
      sourcetype: 'cisco:isovalent:processExec',
      source: EXAMPLE,
      host: 'ip-10-0-10-253.us-west-2.compute.internal',
    });
    expect(events[6]?.host).toBe('here'); // no node_name
    expect(events.map((e) => e.sourcetype).filter((s) => s === 'cisco:isovalent')).toHaveLength(5);
    expect(src.newestFirst).toBe(false);
    expect(malformed).toEqual([]);
    expect(src.malformedCount).toBe(0);
  });

  it('gives a time-less first event the file mtime and a later one the previous time, with warnings', async () => {
    const p = write('notime.jsonl', [upstreamLines[0], upstreamLines[1], upstreamLines[0]].join('\n') + '\n');
    utimesSync(p, 1_600_000_000, 1_600_000_000);
    const { opts, warnings } = issues();
    const src = new FileSource([p], opts);
    const { events } = await collect(src);
    expect(events.map((e) => e._time)).toEqual([1_600_000_000, 1666062981.373327, 1666062981.373327]);
    // Line 1 has no earlier event: the warning says what it got instead.
    expect(warnings.map((w) => [w.file, w.line, w.reason])).toEqual([
      [p, 1, 'no "time": using the file\'s modification time'],
      [p, 3, 'no "time": using the previous event\'s time'],
    ]);
    expect(src.warningCount).toBe(2);
  });

  it('applies index, source, sourcetype and host options', async () => {
    const src = new FileSource([SYNTHETIC], { index: 'tetragon', source: 'not_applicable', sourcetype: 'cisco:isovalent', host: 'h1' });
    const { events } = await collect(src);
    expect(events).toHaveLength(5);
    for (const e of events) expect(e).toMatchObject({ index: 'tetragon', source: 'not_applicable', sourcetype: 'cisco:isovalent', host: 'h1' });
  });

  it('assigns processConnect to the connect samples', async () => {
    const { events } = await collect(new FileSource([SYNTHETIC]));
    expect(events.map((e) => e.sourcetype)).toEqual([
      'cisco:isovalent:processConnect', 'cisco:isovalent:processConnect', 'cisco:isovalent:processConnect',
      'cisco:isovalent:processExec', 'cisco:isovalent',
    ]);
    expect(events[1]?._time).toBe(1755198060.5); // +02:00 offset
  });

  it('handles CRLF, blank lines, a BOM and a last line without newline', async () => {
    const a = upstreamLines[1] as string;
    const b = upstreamLines[2] as string;
    const p = write('crlf.jsonl', '\ufeff' + a + '\r\n\r\n   \r\n\t\n' + b);
    const { opts, malformed } = issues();
    const { events } = await collect(new FileSource([p], opts));
    expect(events.map((e) => e._raw)).toEqual([a, b]);
    expect(malformed).toEqual([]);
  });

  it('splits lines correctly whatever the chunk size, multibyte characters included', async () => {
    const lines = ['{"process_exec":{"process":{"binary":"/bin/é€😀"}},"time":"2024-01-01T00:00:00Z"}', upstreamLines[3] as string, exampleLine];
    const p = write('chunks.jsonl', lines.join('\n') + '\n');
    for (const chunkSize of [1, 3, 7, 64, 4096]) {
      const { events } = await collect(new FileSource([p], { chunkSize }));
      expect(events.map((e) => e._raw)).toEqual(lines);
    }
  });

  it('reads the same on this thread (the page cache) as on the pool threads (a slow disk), switching between them', async () => {
    // syncReadMs: Infinity keeps every read on this thread; 0 takes each read made here for a slow one, so the next ones
    // go to the pool (4 in flight), with one made here again every 32: over ~250 chunks both ways alternate.
    const lines = Array.from({ length: 400 }, (_, i) => upstreamLines[i % upstreamLines.length]!.replace('"time":"', `"n":${i},"time":"`));
    const p = write('reads.jsonl', lines.join('\n') + '\n');
    const filter = { raw: { kind: 'contains' as const, text: 'n":3' } };
    for (const raw of [null, filter.raw]) {
      const runs = await Promise.all([Infinity, 0, undefined].map((syncReadMs) => collect(new FileSource([p], { chunkSize: 997, ...(syncReadMs !== undefined ? { syncReadMs } : {}) }), { raw })));
      expect(runs[0]!.events.length).toBe(raw === null ? 400 : lines.filter((l) => l.includes('n":3')).length);
      for (const r of runs.slice(1)) expect(r.events.map((e) => [e._raw, e._time])).toEqual(runs[0]!.events.map((e) => [e._raw, e._time]));
    }
  });

  it('yields batches of up to 1000 events or 512 Ki characters, flushed at the end of each file', async () => {
    const small = '{"process_exec":{"process":{"binary":"/bin/x"}},"time":"2024-01-01T00:00:00Z"}';
    const p = write('many.jsonl', (small + '\n').repeat(2500));
    const q = write('few.jsonl', small + '\n');
    expect((await collect(new FileSource([p, q]))).batches).toEqual([1000, 1000, 500, 1]);
    // 4204-character events: 125 of them reach 512 Ki characters.
    const big = write('big.jsonl', (exampleLine + '\n').repeat(300));
    expect((await collect(new FileSource([big]))).batches).toEqual([125, 125, 50]);
    const limited = await collect(new FileSource([p], { batchSize: 300 }));
    expect(limited.batches.every((n) => n <= 300)).toBe(true);
    expect(limited.events).toHaveLength(2500);
  });

  it('reports progress up to the total size', async () => {
    const progress: ScanProgress[] = [];
    const src = new FileSource([UPSTREAM, EXAMPLE], { chunkSize: 4096 });
    for await (const _ of src.scan(emptyScanRequest(), { onProgress: (p) => progress.push(p) })) void _;
    const total = readFileSync(UPSTREAM).length + readFileSync(EXAMPLE).length;
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.every((p) => p.totalBytes === total)).toBe(true);
    expect(progress.at(-1)).toEqual({ scanned: 15, bytes: total, totalBytes: total });
    const bytes = progress.map((p) => p.bytes ?? 0);
    expect(bytes).toEqual([...bytes].sort((x, y) => x - y));
  });
});

  it('reads on past a range\'s end where `more` lets it grow, in the same scan, and stops where it returns null', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => upstreamLines[i % upstreamLines.length]!);
    const p = write('grow.jsonl', lines.join('\n') + '\n');
    // Line boundaries every 10 lines: the range starts at the first 10 and grows 10 lines at a time.
    const ends = [10, 20, 30, 40, 50, 60].map((n) => Buffer.byteLength(lines.slice(0, n).join('\n') + '\n'));
    for (const chunkSize of [256, 4096, 1 << 20]) {
      const asked: number[] = [];
      let k = 0;
      const more = (stopAt: number) => (): number | null => {
        asked.push(ends[k]!);
        return k + 1 < stopAt ? ends[++k]! : null;
      };
      const whole = await collect(new FileSource([p], { chunkSize, range: { start: 0, end: ends[0]!, more: more(ends.length) } }));
      expect(whole.events.map((e) => e._raw)).toEqual(lines);
      // Asked at each end reached, the last time answered null (the file's end), never after.
      expect(asked).toEqual(ends);
      asked.length = 0;
      k = 0;
      const part = await collect(new FileSource([p], { chunkSize, range: { start: 0, end: ends[0]!, more: more(3) } }));
      expect(part.events.map((e) => e._raw)).toEqual(lines.slice(0, 30));
      expect(asked).toEqual(ends.slice(0, 3));
    }
  });

describe('FileSource: gzip and stdin', () => {
  it('inflates .gz files, and gzip content whatever the extension', async () => {
    const text = upstreamLines.join('\n') + '\n';
    const gz = write('samples.jsonl.gz', gzipSync(text));
    const hidden = write('rotated.log.1', gzipSync(text));
    // Concatenated gzip members (what `cat a.gz b.gz` gives) are one stream.
    const multi = write('multi.gz', Buffer.concat([gzipSync(upstreamLines[0] + '\n'), gzipSync(upstreamLines[1] + '\n')]));
    for (const p of [gz, hidden]) {
      const { events } = await collect(new FileSource([p], { chunkSize: 1000 }));
      expect(events.map((e) => e._raw)).toEqual(upstreamLines);
      expect(events[0]?.source).toBe(p);
    }
    const { events } = await collect(new FileSource([multi]));
    expect(events).toHaveLength(2);
  });

  it('reports progress in compressed bytes for gzip', async () => {
    const gz = write('progress.gz', gzipSync((exampleLine + '\n').repeat(200)));
    const progress: ScanProgress[] = [];
    for await (const _ of new FileSource([gz]).scan(emptyScanRequest(), { onProgress: (p) => progress.push(p) })) void _;
    const size = readFileSync(gz).length;
    expect(progress.at(-1)).toEqual({ scanned: 200, bytes: size, totalBytes: size });
  });

  it('fails with INPUT_IO on corrupt gzip data', async () => {
    const good = gzipSync(upstreamLines.join('\n'));
    const truncated = write('truncated.gz', good.subarray(0, good.length - 20));
    await expect(collect(new FileSource([truncated]))).rejects.toMatchObject({ code: 'INPUT_IO', message: expect.stringContaining(`cannot read ${truncated}: `) });
  });

  it('reads `-` from the injected stdin, source "stdin", time-less events at `now`', async () => {
    const stdin = Readable.from([Buffer.from(upstreamLines[0] + '\n' + upstreamLines[1]?.slice(0, 50)), Buffer.from(upstreamLines[1]?.slice(50) + '\n')]);
    const { opts, warnings } = issues();
    const src = new FileSource(['-'], { ...opts, stdin, now: 1_700_000_000 });
    const { events } = await collect(src);
    expect(events.map((e) => [e.source, e._time])).toEqual([['stdin', 1_700_000_000], ['stdin', 1666062981.373327]]);
    expect(warnings).toEqual([{ file: 'stdin', line: 1, reason: 'no "time": using the current time (--now)' }]);
    await expect(collect(src)).rejects.toMatchObject({ code: 'INPUT_IO', message: expect.stringContaining('stdin') });
  });

  it('inflates gzip on stdin too (its first bytes), and fails with INPUT_IO on a truncated one', async () => {
    // `cat a.gz | vigil … --events -` (or `--events <(cat a.gz)`) gave binary garbage lines, each "not JSON".
    const gz = gzipSync(upstreamLines.join('\n') + '\n');
    const chunks = (b: Buffer) => Readable.from([b.subarray(0, 1), b.subarray(1, 100), b.subarray(100)]);
    const { opts, malformed } = issues();
    const { events } = await collect(new FileSource(['-'], { ...opts, stdin: chunks(gz) }));
    expect(events.map((e) => e._raw)).toEqual(upstreamLines);
    expect(malformed).toEqual([]);
    await expect(collect(new FileSource(['-'], { stdin: chunks(gz.subarray(0, gz.length - 20)) }))).rejects.toMatchObject({ code: 'INPUT_IO', message: 'cannot read stdin: truncated gzip data' });
  });

  it('accepts string chunks from stdin', async () => {
    const stdin = Readable.from([exampleLine + '\n'], { objectMode: true });
    const { events } = await collect(new FileSource(['-'], { stdin }));
    expect(events.map((e) => e._raw)).toEqual([exampleLine]);
  });
});

describe('FileSource: malformed lines and I/O errors', () => {
  it('reports bad JSON and non-objects with file:line, keeping the good lines around them and the lines with a bad time', async () => {
    const content = [
      upstreamLines[1],
      '{"process_exec": {"process": ',
      '[1,2,3]',
      upstreamLines[2],
      '{"process_exec":{},"time":"2022-02-30T00:00:00Z"}',
      '',
      'plain text',
      upstreamLines[3],
    ].join('\n');
    const p = write('bad.jsonl', content);
    const { opts, malformed, warnings } = issues();
    const src = new FileSource([p], opts);
    const { events } = await collect(src);
    // Splunk, "How timestamp assignment works": an event whose time it cannot read gets the previous event's.
    expect(events.map((e) => e._raw)).toEqual([upstreamLines[1], upstreamLines[2], '{"process_exec":{},"time":"2022-02-30T00:00:00Z"}', upstreamLines[3]]);
    expect(events[2]?._time).toBe(events[1]?._time);
    expect(malformed.map((m) => [m.file, m.line, m.reason.replace(/^(not JSON): .*/, '$1')])).toEqual([
      [p, 2, 'not JSON'],
      [p, 3, 'not a JSON object'],
      [p, 7, 'not JSON'],
    ]);
    expect(warnings.map((w) => [w.file, w.line, w.reason])).toEqual([[p, 5, `bad time "2022-02-30T00:00:00Z": using the previous event's time`]]);
    expect(src.malformedCount).toBe(3);
    // Counters are per scan.
    await collect(src);
    expect(src.malformedCount).toBe(3);
  });

  it('skips a line longer than maxLineBytes with a malformed report, never holding more of it, in files, gzip and stdin', async () => {
    // A gzip bomb of zeros or /dev/zero is one endless line: it was carried whole (10 GB of zeros: 6.4 GB of
    // memory, then an internal error from Buffer.allocUnsafe).
    const long = '{"a":"' + 'x'.repeat(6000) + '"}';
    const content = [upstreamLines[1], long, upstreamLines[2], 'y'.repeat(5000)].join('\n');
    const reason = (n: number): string => `line of ${n} bytes is longer than the limit (4096 bytes): skipped`;
    const inputs: [string, () => FileSourceOptions][] = [
      [write('long.jsonl', content), () => ({})],
      [write('long.jsonl.gz', gzipSync(content)), () => ({})],
      ['-', () => ({ stdin: Readable.from(Buffer.from(content).toString('latin1').match(/[^]{1,500}/g)?.map((c) => Buffer.from(c, 'latin1')) ?? []) })],
    ];
    for (const [p, more] of inputs) {
      const { opts, malformed } = issues();
      const src = new FileSource([p], { ...opts, ...more(), maxLineBytes: 4096, chunkSize: 512 });
      const { events } = await collect(src);
      expect(events.map((e) => e._raw)).toEqual([upstreamLines[1], upstreamLines[2]]);
      const file = p === '-' ? 'stdin' : p;
      expect(malformed).toEqual([{ file, line: 2, reason: reason(long.length) }, { file, line: 4, reason: reason(5000) }]);
    }
  });

  it('fails with INPUT_IO before yielding anything when a file is missing', async () => {
    const missing = at('nope.jsonl');
    const src = new FileSource([UPSTREAM, missing]);
    const it = src.scan(emptyScanRequest())[Symbol.asyncIterator]();
    const err = await it.next().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect(err).toMatchObject({ code: 'INPUT_IO', message: `cannot read ${missing}: no such file or directory` });
  });

  it('reads a FIFO (a shell\'s <(…)) as a stream, as stdin', async () => {
    // Positional reads made it INPUT_IO "ESPIPE: invalid seek": `vigil search … --events <(zcat a.gz)` failed.
    const fifo = at('events.fifo');
    const { execFileSync, spawn } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${UPSTREAM}" > "${fifo}"`]);
    const written = new Promise((r) => writer.on('close', r));
    const { opts, malformed } = issues();
    const src = new FileSource([fifo], opts);
    const { events } = await collect(src);
    await written;
    expect(events.map((e) => [e.source, e._raw])).toEqual(upstreamLines.map((l) => [fifo, l]));
    expect(malformed).toEqual([]);
    // Read once, as stdin: opening it again would wait for a writer forever.
    await expect(collect(src)).rejects.toMatchObject({ code: 'INPUT_IO', message: `cannot read ${fifo}: a pipe is read once, by an earlier scan (save it to a file to search it several times)` });
  });

  it('fails with INPUT_IO on a directory', async () => {
    const d = at('adir');
    mkdirSync(d, { recursive: true });
    await expect(collect(new FileSource([d]))).rejects.toMatchObject({ code: 'INPUT_IO', message: `cannot read ${d}: is a directory` });
  });

  it.skipIf(process.getuid?.() === 0)('fails with INPUT_IO on an unreadable file', async () => {
    const p = write('secret.jsonl', exampleLine);
    const { chmodSync } = await import('node:fs');
    chmodSync(p, 0o000);
    await expect(collect(new FileSource([p]))).rejects.toMatchObject({ code: 'INPUT_IO', message: `cannot read ${p}: permission denied` });
  });

  // On a read thread too (read-thread.ts): the worker is stopped, and a consumer that stops early stops it as well.
  it.each([false, 'always'] as const)('stops when the signal aborts (readThread %s), and scans again', async (readThread) => {
    const p = write('abort.jsonl', (exampleLine + '\n').repeat(3000));
    const ac = new AbortController();
    const src = new FileSource([p], { chunkSize: 8192, readThread });
    let n = 0;
    const run = async (): Promise<void> => {
      for await (const b of src.scan(emptyScanRequest(), { signal: ac.signal })) {
        n += b.length;
        ac.abort();
      }
    };
    await expect(run()).rejects.toThrow(/abort/i);
    expect(n).toBe(125); // one batch (512 Ki characters of 4204-character events), then the abort
    const aborted = new AbortController();
    aborted.abort();
    await expect(collect(src, {}, aborted.signal)).rejects.toThrow(/abort/i);
    for await (const b of src.scan(emptyScanRequest())) {
      expect(b).toHaveLength(125);
      break;
    }
    expect((await collect(src)).events).toHaveLength(3000);
    expect(src.readOnThread).toBe(readThread === 'always');
  });
});

describe('FileSource: pushdown', () => {
  it('applies time bounds (earliest inclusive, latest exclusive)', async () => {
    const { events } = await collect(new FileSource([UPSTREAM]), { earliest: 1642590989.378, latest: 1643738516.411 });
    // nsenter (== earliest), merlin; nc exec at exactly `latest` is excluded; bash exec is earlier.
    expect(events.map((e) => e._time)).toEqual([1642590989.378, 1642594739.371]);
  });

  it('applies metadata constraints after parsing', async () => {
    const { events } = await collect(new FileSource([UPSTREAM, SYNTHETIC]), {
      metadata: [{ field: 'sourcetype', patterns: ['cisco:isovalent'] }, { field: 'host', patterns: ['mini*'] }],
    });
    expect(events.map((e) => e._raw)).toEqual([upstreamLines[12]]); // the nc process_exit on minikube
  });

  it('skips a whole file whose index cannot match, without reading it', async () => {
    const p = write('garbage-main.jsonl', 'not json at all\n');
    const { opts, malformed } = issues();
    const src = new FileSource([p], opts);
    expect((await collect(src, { metadata: [{ field: 'index', patterns: ['risk'] }] })).events).toEqual([]);
    expect((await collect(src, { defaultIndexes: ['notable'] })).events).toEqual([]);
    expect(malformed).toEqual([]);
    expect((await collect(src, { defaultIndexes: ['main'] })).events).toEqual([]);
    expect(malformed).toHaveLength(1);
  });

  it('applies the raw prefilter before parsing', async () => {
    const { events } = await collect(new FileSource([UPSTREAM, EXAMPLE]), { raw: { kind: 'contains', text: 'NSENTER' } });
    expect(events.map((e) => e._raw)).toEqual([upstreamLines[8]]);
  });

  it('does not report object-shaped lines the prefilter skips, but still reports truncated or non-object lines', async () => {
    // Deliberate: a prefiltered line could never be a result, so it is not parsed. Lines that are not
    // even object-shaped are still caught by a cheap first/last character check.
    const content = [
      '{"process_exec": oops}', // invalid JSON, object-shaped, no "curl": skipped silently
      '{"process_exec": {"process": {"binary": "/usr/bin/wget"', // truncated, no "curl": still reported
      'garbage', // reported
      '{"process_exec":{"process":{"binary":"/usr/bin/curl"}},"time":"bad"}', // passes the filter: parsed, kept with a warning
      upstreamLines[3], // the curl event
    ].join('\n');
    const p = write('prefilter.jsonl', content);
    const { opts, malformed, warnings } = issues();
    const src = new FileSource([p], opts);
    const { events } = await collect(src, { raw: { kind: 'contains', text: 'curl' } });
    expect(events.map((e) => e._raw)).toEqual([content.split('\n')[3], upstreamLines[3]]);
    expect(malformed.map((m) => [m.line, m.reason.slice(0, 10)])).toEqual([
      [2, 'not JSON: '],
      [3, 'not JSON: '],
    ]);
    expect(warnings.map((w) => [w.line, w.reason.slice(0, 11)])).toEqual([[4, 'bad time "b']]);
    // Without a filter, every malformed line is reported.
    await collect(src);
    expect(src.malformedCount).toBe(3);
  });

  it('turns the lines a key-anchored scan finds into events untested when the sample shows the filter passes them', async () => {
    // A pack's filter: key names only as anchors. The sample (30 exec lines, all passing) shows the filter's test
    // is wasted on the lines the scan finds, so they become events without it: the connect line it would reject
    // too (its search rejects it as an event), and malformed lines are reported as the filterless path reports them.
    const exec = '{"process_exec":{"process":{"binary":"/bin/sh"}},"time":"2024-01-01T00:00:00Z"}';
    const connect = '{"process_connect":{"process":{"binary":"/usr/bin/curl"}},"time":"2024-01-01T00:00:00Z"}';
    // (The last line ends too: it is then in the sample, where `"process_exec"` misses 2 lines of 34, too many to
    // be taken as always there, events/scan.ts trimRawFilter.)
    const content = [...Array.from({ length: 30 }, () => exec), connect, '{"process_exec": oops}', '{"process_exec": {"process"', '{"process_exit":{}}', ''].join('\n');
    const p = write('pack-filter.jsonl', content);
    const { opts, malformed } = issues();
    const raw = {
      kind: 'or' as const,
      items: [
        { kind: 'and' as const, items: [{ kind: 'contains' as const, text: '"process_exec"', key: true }, { kind: 'contains' as const, text: '"binary"', key: true }] },
        { kind: 'and' as const, items: [{ kind: 'contains' as const, text: '"process_connect"', key: true }, { kind: 'regex' as const, source: 'nosuchvalue', flags: '' }] },
      ],
    };
    const { events } = await collect(new FileSource([p], opts), { raw });
    expect(events.map((e) => e._raw)).toEqual([...Array.from({ length: 30 }, () => exec), connect]);
    expect(malformed.map((m) => [m.line, m.reason.slice(0, 10)])).toEqual([
      [32, 'not JSON: '],
      [33, 'not JSON: '],
    ]);
  });

  it('narrows to the top-level key when only processExec can match', async () => {
    const content = ['{"process_kprobe": oops}', exampleLine, upstreamLines[5]].join('\n');
    const p = write('kinds.jsonl', content);
    const { opts, malformed } = issues();
    const { events } = await collect(new FileSource([p], opts), { metadata: [{ field: 'sourcetype', patterns: ['cisco:isovalent:processExec'] }] });
    expect(events.map((e) => e._raw)).toEqual([exampleLine]);
    expect(malformed).toEqual([]); // the kprobe line never needed parsing
  });

  it('gives a time-less event the same time with or without a prefilter', async () => {
    const timeless = upstreamLines[0] as string; // netserver, no time
    const content = [upstreamLines[3], upstreamLines[8], timeless].join('\n'); // curl (2023), nsenter (2022), netserver
    const p = write('ring.jsonl', content);
    const unfiltered = await collect(new FileSource([p]));
    const filtered = await collect(new FileSource([p]), { raw: { kind: 'contains', text: 'netserver' } });
    expect(filtered.events).toHaveLength(1);
    expect(filtered.events[0]?._time).toBe(unfiltered.events[2]?._time);
    expect(filtered.events[0]?._time).toBe(1642590989.378); // the nsenter line's time
  });

  it('dates a time-less event by the newest skipped line of an earlier chunk', async () => {
    // The line scan skips the dated lines of the first chunk in its memory, which the second chunk overwrites.
    const dated = Array.from({ length: 30 }, (_, i) => `{"process_exec":{"process":{"binary":"/bin/ls"}},"time":"2024-02-01T00:00:${String(i).padStart(2, '0')}Z"}`);
    const timeless = `{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-k ${'x'.repeat(4000)}"}}}`; // longer than the first chunk
    const src = new FileSource(['-'], { stdin: Readable.from([Buffer.from(dated.join('\n') + '\n'), Buffer.from(`${timeless}\n`)]), now: 1_700_000_000 });
    const { events } = await collect(src, { raw: { kind: 'contains', text: 'curl' } });
    expect(events.map((e) => e._time)).toEqual([Date.parse('2024-02-01T00:00:29Z') / 1000]);
  });

  it('dates a time-less event by a skipped line several chunks back, past newer undated ones', async () => {
    // Chunks of ~3 lines: the ring's 16 newest skipped lines lie in 5-6 chunks, copied out of the line scan's memory at
    // each chunk (kept lines are copied again at the next one). The 10 newest are undated: the time is in an older copy.
    const dated = Array.from({ length: 40 }, (_, i) => `{"process_exec":{"process":{"binary":"/bin/ls"}},"time":"2024-02-01T00:00:${String(i).padStart(2, '0')}Z"}`);
    const undated = Array.from({ length: 10 }, (_, i) => `{"process_exec":{"process":{"binary":"/bin/ps${i}"}}}`);
    const timeless = `{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-k"}}}`;
    const bytes = Buffer.from([...dated, ...undated, timeless].join('\n') + '\n');
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 250) pieces.push(bytes.subarray(i, i + 250));
    const src = new FileSource(['-'], { stdin: Readable.from(pieces), now: 1_700_000_000 });
    const { events } = await collect(src, { raw: { kind: 'contains', text: 'curl' } });
    expect(events.map((e) => e._time)).toEqual([Date.parse('2024-02-01T00:00:39Z') / 1000]);
    // Without the prefilter every line is read: the same time.
    const all = await collect(new FileSource(['-'], { stdin: Readable.from([bytes]), now: 1_700_000_000 }));
    expect(all.events.at(-1)?._time).toBe(Date.parse('2024-02-01T00:00:39Z') / 1000);
  });

  it('finds the same lines, times and line numbers searching whole windows as line by line', async () => {
    // One chunk: the window search (skipped lines are never decoded). 3-byte chunks: every line
    // straddles chunks and takes the line-by-line path, the reference.
    const curl = upstreamLines[3] as string;
    // Time-less events that pass the filter: their time comes from the (skipped) line before.
    const timeless = (upstreamLines[0] as string).replace('"binary":"', '"binary":"/usr/bin/curl","was":"');
    const huge = curl.replace('"arguments":"', `"arguments":"${'x'.repeat(70_000)} `);
    const lines = [
      'garbage first', curl, '', '   ', '\u00a0', 'x'.repeat(10), '{"process_exec": oops}', '{"process_exec": {"curl"', upstreamLines[5],
      timeless, curl.replace('"time":"', '"time":"bad'), exampleLine, timeless, '[1,2]', '\t{"curl": 1}\t', huge, timeless,
      '{"process_exec":{"process":{"binary":"/usr/bin/CURL","arguments":"-k é"}},"time":"2024-01-01T00:00:00Z"}',
      ...upstreamLines, timeless, '"curl"', curl + '\r', '{"x":"\u00e9curl"}', timeless,
      // More skipped lines than the ring keeps, dated apart, and blank ones, before a time-less event: with
      // chunks of some lines, the newest skipped ones lie in earlier chunks (the line scan copies them out).
      ...Array.from({ length: 40 }, (_, i) => `{"process_exec":{"process":{"binary":"/bin/ls"}},"time":"2024-02-01T00:00:${String(i).padStart(2, '0')}Z"}`),
      '', '  ', timeless,
    ];
    const bytes = Buffer.from('\ufeff' + lines.join('\n') + '\n' + curl, 'utf8');
    const run = async (pieces: Buffer[]): Promise<unknown> => {
      const { opts, malformed, warnings } = issues();
      const src = new FileSource(['-'], { ...opts, stdin: Readable.from(pieces), now: 1_700_000_000 });
      const { events } = await collect(src, { raw: { kind: 'and', items: [{ kind: 'contains', text: 'curl' }, { kind: 'contains', text: '"binary"', key: true }] } });
      return { events: events.map((e) => [e._raw, e._time, e.host, e.sourcetype]), malformed, warnings };
    };
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) pieces.push(bytes.subarray(i, i + 3));
    const whole = await run([bytes]);
    expect(whole).toEqual(await run(pieces));
    for (const size of [97, 1000, 3000]) {
      const cut: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) cut.push(bytes.subarray(i, i + size));
      expect(await run(cut), `pieces of ${size} bytes`).toEqual(whole);
    }
    expect((whole as { events: unknown[] }).events.length).toBeGreaterThan(5);
    expect((whole as { malformed: unknown[] }).malformed.length).toBeGreaterThan(3);
    expect((whole as { warnings: unknown[] }).warnings.length).toBe(7); // 6 time-less lines and the "bad…" time
  });
});

