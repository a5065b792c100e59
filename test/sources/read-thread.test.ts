import { readFileSync, utimesSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { toObject } from '../../src/events/result.js';
import { emptyScanRequest, type ScanProgress, type ScanRequest } from '../../src/events/scan.js';
import { eventResult } from '../../src/normalize/event-result.js';
import type { IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { FileSource, type FileSourceOptions, type LineIssue } from '../../src/sources/file.js';
import { READ_THREAD_MIN_BYTES, READ_THREAD_MIN_SEARCHES, ReadThread, readThreadWorth } from '../../src/sources/read-thread.js';
import { EXAMPLE, exampleLine, scratchDir, SYNTHETIC, UPSTREAM, upstreamLines } from './helpers.js';

const { write } = scratchDir('vigil-read-thread-');

/** What a scan gave: each event as searches see it (every field), its reader's fields, the batches, the issues. */
interface Outcome {
  events: { fields: Record<string, unknown>; spans: number[] | undefined; event: Omit<Event, 'json'> }[];
  batches: number[];
  malformed: LineIssue[];
  warnings: LineIssue[];
  counts: [number, number];
  threaded: boolean;
  progress: ScanProgress | null;
}

async function scan(paths: string[], opts: FileSourceOptions, req: Partial<ScanRequest> = {}): Promise<Outcome> {
  const malformed: LineIssue[] = [];
  const warnings: LineIssue[] = [];
  const src = new FileSource(paths, { defaultHost: 'here', ...opts, onMalformed: (m) => malformed.push(m), onWarning: (w) => warnings.push(w) });
  const out: Outcome['events'] = [];
  const batches: number[] = [];
  let progress: ScanProgress | null = null;
  for await (const b of src.scan({ ...emptyScanRequest(), ...req }, { onProgress: (p) => (progress = p) })) {
    batches.push(b.length);
    for (const e of b) {
      const { json: _json, spans, ...event } = e as IndexedEvent;
      out.push({ fields: toObject(eventResult(e)), spans, event });
    }
  }
  return { events: out, batches, malformed, warnings, counts: [src.malformedCount, src.warningCount], threaded: src.readOnThread, progress };
}

/** The scan on this thread and on a read thread: the same in every way but `threaded`. */
async function bothWays(paths: string[], opts: FileSourceOptions = {}, req: Partial<ScanRequest> = {}): Promise<Outcome> {
  const here = await scan(paths, opts, req);
  const there = await scan(paths, { ...opts, readThread: 'always' }, req);
  expect(here.threaded).toBe(false);
  expect(there.threaded).toBe(true);
  expect({ ...there, threaded: false }).toEqual(here);
  return there;
}

describe('FileSource on a read thread (readThread)', () => {
  it('gives the same events, fields, spans and batches as this thread for the samples', async () => {
    const r = await bothWays([UPSTREAM, EXAMPLE, SYNTHETIC]);
    expect(r.events.length).toBeGreaterThan(15);
    expect(r.events.slice(0, 15).every((e) => e.spans !== undefined)).toBe(true);
  });

  it('relays malformed lines and time-less events with their file:line, in order, and the counts', async () => {
    const content = [
      upstreamLines[0], // no time: the file's mtime, a warning
      upstreamLines[1],
      '{"process_exec": {"process": ',
      '[1,2,3]',
      upstreamLines[0], // no time: the previous event's time
      '{"process_exec":{},"time":"2022-02-30T00:00:00Z"}', // a bad time: the previous event's time, a warning
      '',
      'plain text',
      upstreamLines[3],
    ].join('\r\n');
    const p = write('bad.jsonl', '\uFEFF' + content);
    utimesSync(p, 1_600_000_000, 1_600_000_000);
    const r = await bothWays([p]);
    expect(r.malformed.map((m) => m.line)).toEqual([3, 4, 8]);
    expect(r.warnings.map((w) => w.line)).toEqual([1, 5, 6]);
    expect(r.counts).toEqual([3, 3]);
    expect(r.events.map((e) => e.event._time)).toEqual([1_600_000_000, 1666062981.373327, 1666062981.373327, 1666062981.373327, expect.any(Number)]);
  });

  it('relays the issues of an input of garbage, which yields no event, as they come, in order', async () => {
    // 10k malformed lines and no event: the worker posts its issues on their own (4096 at most a message).
    const lines = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? `garbage ${i}` : i % 3 === 1 ? '[1,2]' : '{"process_exec": '));
    const r = await bothWays([write('garbage.jsonl', lines.join('\n'))]);
    expect(r.events).toEqual([]);
    expect(r.malformed.map((m) => m.line)).toEqual(lines.map((_, i) => i + 1));
    expect(r.counts).toEqual([10_000, 0]);
  });

  it('relays each line issue before the batch this thread would report it before, not all of a message at once', async () => {
    // One thread reports a skipped line as it reads it, so before the batch after it reaches the searches (and before
    // their warnings about that batch's events: docs/spl.md). The worker posts ~1 MiB of lines (several batches) a
    // message: its issues were all relayed before the message's first batch. ~4 KB lines, batches of 100 lines:
    // a malformed line after every 150th event falls alternately inside and between batches.
    const lines: string[] = [];
    for (let i = 1; i <= 1200; i++) {
      lines.push(exampleLine);
      if (i % 150 === 0) lines.push(`not json ${i}`);
    }
    const p = write('interleaved.jsonl', lines.join('\n') + '\n');
    const sequence = async (path: string, readThread: FileSourceOptions['readThread']): Promise<string[]> => {
      const seq: string[] = [];
      const src = new FileSource([path], { defaultHost: 'here', readThread, batchSize: 100, onMalformed: (m) => seq.push(`skipped ${m.line}`) });
      for await (const b of src.scan(emptyScanRequest())) seq.push(`batch of ${b.length}`);
      return seq;
    };
    // By hand: the malformed line after event 150k is line 151k (k-1 earlier ones before it), reported before batch j
    // (events 100j+1..100j+100) when 150k is in [100j, 100j+100): a batch is handed on once full, before the next line.
    const expected: string[] = [];
    for (let j = 0; j < 12; j++) {
      for (let k = 1; k <= 8; k++) if (150 * k >= 100 * j && 150 * k < 100 * (j + 1)) expected.push(`skipped ${151 * k}`);
      expected.push('batch of 100');
    }
    expected.push('skipped 1208'); // after the last event: after the last batch
    expect(await sequence(p, false)).toEqual(expected);
    expect(await sequence(p, 'always')).toEqual(expected);
    // More issues than the worker holds (4096) while it holds a batch (events 101-200; the first is posted at once):
    // that batch goes first, then the issues.
    const many = write('many-issues.jsonl', [...Array<string>(250).fill(exampleLine), ...Array<string>(5000).fill('[1]'), ...Array<string>(150).fill(exampleLine)].join('\n'));
    const skipped = Array.from({ length: 5000 }, (_, i) => `skipped ${251 + i}`);
    const manyExpected = ['batch of 100', 'batch of 100', ...skipped, 'batch of 100', 'batch of 100'];
    expect(await sequence(many, false)).toEqual(manyExpected);
    expect(await sequence(many, 'always')).toEqual(manyExpected);
  });

  it('keeps lines with non-ASCII text exactly (sent as UTF-8), and their JSON fields', async () => {
    const odd = JSON.stringify({ process_exec: { process: { binary: '/usr/bin/curl', arguments: '-k https://exämple.test/😀' } }, time: '2024-01-01T00:00:00Z', node_name: 'nœud' });
    const r = await bothWays([write('utf8.jsonl', [upstreamLines[1], odd, upstreamLines[2]].join('\n'))]);
    expect(r.events[1]!.event._raw).toBe(odd);
    expect(r.events[1]!.fields.process).toBe('/usr/bin/curl -k https://exämple.test/😀');
    expect(r.events[1]!.event.host).toBe('nœud');
  });

  it('reads gzip and several files, with the options and the progress of this thread', async () => {
    const gz = write('s.gz', gzipSync(readFileSync(UPSTREAM)));
    const r = await bothWays([gz, EXAMPLE], { index: 'idx', source: 'src', sourcetype: 'st', host: 'h' });
    expect(r.events.every((e) => e.event.index === 'idx' && e.event.source === 'src' && e.event.sourcetype === 'st' && e.event.host === 'h')).toBe(true);
    expect(r.progress?.bytes).toBe(r.progress?.totalBytes);
  });

  it('applies the raw prefilter, metadata, time bounds and a shared scan\'s alternatives as this thread does', async () => {
    const paths = [UPSTREAM, EXAMPLE, SYNTHETIC];
    const filtered = await bothWays(paths, {}, { raw: { kind: 'contains', text: 'NSENTER' } });
    expect(filtered.events.map((e) => e.event._raw)).toEqual([upstreamLines[8]]);
    await bothWays(paths, {}, { metadata: [{ field: 'sourcetype', patterns: ['cisco:isovalent:processexec'] }], earliest: 1666062981, latest: 1700000000 });
    const one: ScanRequest = { ...emptyScanRequest(), raw: { kind: 'contains', text: 'curl' } };
    const two: ScanRequest = { ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns: ['cisco:isovalent:processconnect'] }] };
    await bothWays(paths, {}, { raw: { kind: 'or', items: [{ kind: 'contains', text: 'curl' }, { kind: 'contains', text: 'process_connect', key: true }] }, alternatives: [one, two] });
  });

  it('hands on many messages in batches of the caller\'s sizes, whatever the consumer\'s pace', async () => {
    // ~12.6 MB: a dozen messages of 1 MiB, more than the worker posts ahead of a slow consumer.
    const p = write('many.jsonl', (exampleLine + '\n').repeat(3000));
    const r = await bothWays([p], { batchSize: 7, batchChars: 20_000 });
    expect(r.events).toHaveLength(3000);
    expect(Math.max(...r.batches)).toBeLessThanOrEqual(7);
    const src = new FileSource([p], { readThread: 'always' });
    let n = 0;
    for await (const b of src.scan(emptyScanRequest())) {
      n += b.length;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(n).toBe(3000);
  });

  it('fails with the error of this thread on corrupt gzip data, after the events before it', async () => {
    const good = gzipSync(Buffer.from(upstreamLines.slice(1).join('\n') + '\n'));
    const p = write('bad.gz', Buffer.concat([good, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff])]));
    const errorOf = async (readThread: FileSourceOptions['readThread']): Promise<unknown> => {
      try {
        for await (const _ of new FileSource([p], { readThread }).scan(emptyScanRequest())) void _;
      } catch (err) {
        return err;
      }
      return null;
    };
    const here = await errorOf(false);
    const there = await errorOf('always');
    expect(here).toMatchObject({ code: 'INPUT_IO' });
    expect(there).toMatchObject({ code: 'INPUT_IO', message: (here as Error).message });
  });

  it('relays the line issues and events met before a corrupt gzip member, then its error, as this thread does', async () => {
    // Found by an outside probe: `vigil run --all` (a read thread) over a file whose gzip data breaks printed the
    // error alone, where --threads 1 printed the skipped lines before it; the worker dropped what it held unposted.
    // The worker posts its first batch at once, then events by the MiB with the issues met meanwhile: lines 402, 404
    // and 406 are malformed, in a message the failure left unposted; ~800 kB of events follow, so that
    // the gzip error comes long after them (how many of those events were decoded before it is zlib's business: the
    // same on both threads).
    const events = (n: number): string[] => Array<string>(n).fill(exampleLine);
    const lines = [...events(401), 'not json', exampleLine, '[1,2]', exampleLine, '{"process_exec": ', ...events(200)];
    const good = gzipSync(Buffer.from(lines.join('\n') + '\n'));
    const p = write('issues-then-bad.gz', Buffer.concat([good, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff])]));
    const attempt = async (readThread: FileSourceOptions['readThread']) => {
      const malformed: number[] = [];
      const src = new FileSource([p], { defaultHost: 'here', readThread, onMalformed: (m) => malformed.push(m.line) });
      let events = 0;
      let error: unknown = null;
      try {
        for await (const b of src.scan(emptyScanRequest())) events += b.length;
      } catch (err) {
        error = err;
      }
      return { malformed, events, error: (error as { code?: string } | null)?.code };
    };
    const here = await attempt(false);
    expect(here).toEqual({ malformed: [402, 404, 406], events: expect.any(Number), error: 'INPUT_IO' });
    expect(here.events).toBeGreaterThanOrEqual(403);
    expect(await attempt('always')).toEqual(here);
  });

  it('takes a thread started before the scan when worth it, and closes one a scan does not take', async () => {
    // A scan shared by enough searches to take a read thread (readThreadWorth).
    const shared: ScanRequest = { ...emptyScanRequest(), alternatives: Array.from({ length: READ_THREAD_MIN_SEARCHES }, emptyScanRequest) };
    const count = async (src: FileSource): Promise<number> => {
      let n = 0;
      for await (const b of src.scan(shared)) n += b.length;
      return n;
    };
    const unused = ReadThread.start();
    const small = new FileSource([write('small.jsonl', (exampleLine + '\n').repeat(50))], { readThread: unused });
    expect(await count(small)).toBe(50);
    expect(small.readOnThread).toBe(false);
    expect(unused.waiting).toBe(false); // closed
    const lines = Math.ceil(READ_THREAD_MIN_BYTES / exampleLine.length) + 1;
    const started = ReadThread.start();
    const big = new FileSource([write('big.jsonl', (exampleLine + '\n').repeat(lines))], { readThread: started });
    expect(await count(big)).toBe(lines);
    expect(big.readOnThread).toBe(true);
    expect(started.waiting).toBe(false); // taken
  });

  it('is not used for stdin or streams, nor below the size worth a thread, nor for one search or a few', async () => {
    const src = new FileSource(['-'], { readThread: 'always', stdin: Readable.from([upstreamLines[1] + '\n']) });
    for await (const _ of src.scan(emptyScanRequest())) void _;
    expect(src.readOnThread).toBe(false);
    const big = READ_THREAD_MIN_BYTES;
    const shared = (n: number): ScanRequest => ({ ...emptyScanRequest(), alternatives: Array.from({ length: n }, emptyScanRequest) });
    expect(readThreadWorth(shared(READ_THREAD_MIN_SEARCHES), [big - 1], true)).toBe(false);
    expect(readThreadWorth(shared(READ_THREAD_MIN_SEARCHES), [big, undefined], true)).toBe(false);
    expect(readThreadWorth(shared(READ_THREAD_MIN_SEARCHES), [big], true)).toBe(true);
    expect(readThreadWorth(shared(READ_THREAD_MIN_SEARCHES - 1), [big], true)).toBe(false);
    expect(readThreadWorth(emptyScanRequest(), [big], true)).toBe(false);
    expect(readThreadWorth({ ...emptyScanRequest(), raw: { kind: 'contains', text: 'curl' } }, [big], true)).toBe(false);
  });
});
