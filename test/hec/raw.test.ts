import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_TOKEN, CHANNEL, auth, execLine, send, start, type Running } from './helpers.js';

let hec: Running;
beforeAll(async () => {
  hec = await start();
});
afterAll(async () => {
  await hec.close();
});
beforeEach(() => {
  hec.store.batches.length = 0;
});

const raw = (query: string, body: string | Buffer, headers: Record<string, string> = auth()) =>
  send(hec.url, `/services/collector/raw${query}`, { body, headers });

describe('/services/collector/raw', () => {
  it('splits a multi-line body on LF and CRLF, skipping blank lines', async () => {
    const r = await raw('?sourcetype=syslog&source=app.log&host=web1&index=main', 'line one\r\nline two\n\n   \r\nline three\r\n\r\nline four');
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"text":"Success","code":0}');
    expect(hec.store.events).toEqual(
      ['line one', 'line two', 'line three', 'line four'].map((l) => ({
        _time: 1_700_000_000,
        index: 'main',
        sourcetype: 'syslog',
        source: 'app.log',
        host: 'web1',
        _raw: l,
      })),
    );
    expect(hec.store.batches).toHaveLength(1);
  });

  it('keeps lines exactly (inner whitespace, a lone CR inside a line)', async () => {
    await raw('/1.0?sourcetype=x', '  indented\tline \r\na\rb\n');
    expect(hec.store.events.map((e) => e._raw)).toEqual(['  indented\tline ', 'a\rb']);
  });

  it('defaults: token index, source http:<token>, sourcetype httpevent, this host', async () => {
    await raw('', 'plain text');
    expect(hec.store.events[0]).toEqual({ _time: 1_700_000_000, index: 'main', sourcetype: 'httpevent', source: 'http:test', host: 'vigil-test', _raw: 'plain text' });
  });

  it('Tetragon lines without a sourcetype get the add-on sourcetype, time and node_name', async () => {
    const kprobe = JSON.stringify({ process_kprobe: { function_name: 'tcp_connect' }, node_name: 'n2', time: '2024-05-01T10:00:00.5Z' });
    const connect = JSON.stringify({ process_connect: { destination_ip: '169.254.169.254' }, time: '2024-05-01T10:00:01Z' });
    const body = [execLine(3), kprobe, connect, '{"not":"tetragon"}', '{"foo":{"bar":1}}', 'not json'].join('\n');
    const r = await raw('', body);
    expect(r.status).toBe(200);
    expect(hec.store.events.map((e) => [e.sourcetype, e._time, e.host])).toEqual([
      ['cisco:isovalent:processExec', Date.UTC(2024, 4, 1, 10, 0, 3) / 1000 + 0.123456, 'kind-worker'],
      ['cisco:isovalent', Date.UTC(2024, 4, 1, 10, 0, 0) / 1000 + 0.5, 'n2'],
      ['cisco:isovalent:processConnect', Date.UTC(2024, 4, 1, 10, 0, 1) / 1000, 'vigil-test'],
      ['httpevent', 1_700_000_000, 'vigil-test'],
      ['httpevent', 1_700_000_000, 'vigil-test'],
      ['httpevent', 1_700_000_000, 'vigil-test'],
    ]);
  });

  it('as contentctl sends it: sourcetype cisco:isovalent:processExec, host and index given, time from the event', async () => {
    const r = await raw(`?index=main&source=not_applicable&sourcetype=cisco:isovalent:processExec&host=replay-host`, [execLine(1), execLine(2)].join('\n') + '\n');
    expect(r.status).toBe(200);
    expect(hec.store.events.map((e) => [e.sourcetype, e.host, e.source, e._time])).toEqual([
      ['cisco:isovalent:processExec', 'replay-host', 'not_applicable', Date.UTC(2024, 4, 1, 10, 0, 1) / 1000 + 0.123456],
      ['cisco:isovalent:processExec', 'replay-host', 'not_applicable', Date.UTC(2024, 4, 1, 10, 0, 2) / 1000 + 0.123456],
    ]);
  });

  it('sourcetype cisco:isovalent is split by kind; other sourcetypes keep now as _time', async () => {
    await raw('?sourcetype=cisco:isovalent', execLine(1) + '\n{"process_exit":{},"time":"2024-05-01T00:00:00Z"}');
    await raw('?sourcetype=_json', execLine(2));
    expect(hec.store.events.map((e) => [e.sourcetype, e._time])).toEqual([
      ['cisco:isovalent:processExec', Date.UTC(2024, 4, 1, 10, 0, 1) / 1000 + 0.123456],
      ['cisco:isovalent', Date.UTC(2024, 4, 1) / 1000],
      ['_json', 1_700_000_000],
    ]);
  });

  it('a Tetragon line with a bad or missing time gets now', async () => {
    await raw('?sourcetype=cisco:isovalent', '{"process_exec":{},"time":"yesterday","node_name":"n"}\n{"process_exec":{},"node_name":"n"}\n{"process_exec":{},"time":"9999-01-01T00:00:00Z"}');
    expect(hec.store.events.map((e) => e._time)).toEqual([1_700_000_000, 1_700_000_000, 1_700_000_000]);
  });

  it("a Tetragon line without a usable time takes the previous line's _time, as over files", async () => {
    // Splunk, "How timestamp assignment works": an event without a time or date gets "the timestamp from the most
    // recent previous event of the same source" (a body's lines share theirs); vigil search --events does the same.
    const body = ['{"process_exec":{},"time":"2024-05-01T10:00:00.5Z","node_name":"n"}', '{"process_exec":{},"node_name":"n"}', '{"process_exec":{},"time":"yesterday","node_name":"n"}', '{"process_exec":{},"time":"2024-05-01T10:00:02Z","node_name":"n"}', '{"process_exec":{},"node_name":"n"}'].join('\n');
    await raw('', body);
    const t = Date.UTC(2024, 4, 1, 10) / 1000;
    expect(hec.store.events.map((e) => e._time)).toEqual([t + 0.5, t + 0.5, t + 0.5, t + 2, t + 2]);
  });

  it('token defaults apply (index, sourcetype cisco:isovalent routed by kind)', async () => {
    await raw('', execLine(1), auth('limited-token'));
    expect(hec.store.events[0]).toMatchObject({ index: 'tetragon', sourcetype: 'cisco:isovalent:processExec' });
  });

  it('gzip', async () => {
    const r = await raw('?sourcetype=s', gzipSync('a\nb\r\nc'), { ...auth(), 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(hec.store.events.map((e) => e._raw)).toEqual(['a', 'b', 'c']);
  });

  it('errors: no data, incorrect index, channel rules', async () => {
    expect((await raw('', '')).text).toBe('{"text":"No data","code":5}');
    expect((await raw('', '\r\n\n  \n')).text).toBe('{"text":"No data","code":5}');
    const idx = await raw('?index=main', 'x', auth('limited-token'));
    expect([idx.status, idx.text]).toEqual([400, '{"text":"Incorrect index","code":7,"invalid-event-number":1}']);
    expect((await raw('?index=Main', 'x')).json).toEqual({ text: 'Incorrect index', code: 7, 'invalid-event-number': 1 });
    expect((await raw('', 'x', auth(ACK_TOKEN))).json).toEqual({ text: 'Data channel is missing', code: 10 });
    expect((await raw('?channel=abc', 'x')).json).toEqual({ text: 'Invalid data channel', code: 11 });
    // A channel on a token without ack is accepted (replay.py always sends one) and no ackId comes back.
    const ok = await raw(`?channel=${CHANNEL}`, 'x');
    expect(ok.text).toBe('{"text":"Success","code":0}');
  });

  it('invalid UTF-8 is refused with code 6 and the number of the line it is in', async () => {
    const body = Buffer.concat([Buffer.from('ok 1\n\nok 2\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from(' here\nok 3\n')]);
    const r = await raw('', body);
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":2}');
    expect(hec.store.events).toEqual([]);
  });

  it('valid multi-byte UTF-8 and a leading BOM', async () => {
    await raw('', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo 世界 🚀\n')]));
    expect(hec.store.events.map((e) => e._raw)).toEqual(['héllo 世界 🚀']);
  });
});
