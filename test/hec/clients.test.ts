/**
 * Real clients against the real server: Splunk's official Node library and curl as Splunk's docs use it; and the
 * requests of log shippers (Vector, Fluent Bit, fluentd, the OTel collector, Splunk's Java and Kafka clients, the UF).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_TOKEN, CHANNEL, TOKEN, hecConfig, send, start, type Running } from './helpers.js';

const run = promisify(execFile);

/** The part of splunk-logging's (untyped, CommonJS) API the tests use. */
interface SplunkLoggerConfig {
  token: string;
  url: string;
  maxBatchCount?: number;
  maxRetries?: number;
}
interface SplunkPayload {
  message: unknown;
  severity?: string;
  metadata?: { source?: string; sourcetype?: string; index?: string; host?: string };
}
interface SplunkLoggerInstance {
  send(payload: SplunkPayload, callback?: (err: Error | null, resp: unknown, body: unknown) => void): void;
  flush(callback?: (err: Error | null, resp: unknown, body: unknown) => void): void;
  error: (err: Error, context: unknown) => void;
  requestOptions: { strictSSL?: boolean };
}
type SplunkLoggerCtor = new (config: SplunkLoggerConfig) => SplunkLoggerInstance;

const require = createRequire(import.meta.url);
const { Logger: SplunkLogger } = require('splunk-logging') as { Logger: SplunkLoggerCtor };

let hec: Running;
beforeAll(async () => {
  hec = await start({ now: Date.now });
});
afterAll(async () => {
  await hec.close();
});
beforeEach(() => {
  hec.store.batches.length = 0;
});

function sendWith(logger: SplunkLoggerInstance, payload: SplunkPayload): Promise<{ err: Error | null; body: unknown }> {
  return new Promise((resolve) => logger.send(payload, (err, _resp, body) => resolve({ err, body })));
}

describe('splunk-logging (Splunk’s Node HEC client)', () => {
  it('sends single events with metadata and its string time', async () => {
    const logger = new SplunkLogger({ token: TOKEN, url: hec.url });
    const errors: Error[] = [];
    logger.error = (err) => errors.push(err);
    const r = await sendWith(logger, {
      message: { temperature: '70F', chickenCount: 500 },
      severity: 'info',
      metadata: { source: 'chicken coop', sourcetype: 'httpevent', index: 'main', host: 'farm.local' },
    });
    expect(r.err).toBeNull();
    expect(r.body).toEqual({ text: 'Success', code: 0 });
    expect(errors).toEqual([]);
    const [e] = hec.store.events;
    expect(e).toMatchObject({ index: 'main', sourcetype: 'httpevent', source: 'chicken coop', host: 'farm.local' });
    expect(JSON.parse(e!._raw)).toEqual({ message: { temperature: '70F', chickenCount: 500 }, severity: 'info' });
    // splunk-logging sends `time` as a string of seconds with milliseconds.
    expect(Math.abs(e!._time - Date.now() / 1000)).toBeLessThan(60);
  });

  it('sends batches (envelopes back to back) that are stored in one commit', async () => {
    const logger = new SplunkLogger({ token: TOKEN, url: hec.url, maxBatchCount: 3 });
    const results: Promise<{ err: Error | null; body: unknown }>[] = [];
    for (let i = 0; i < 3; i++) results.push(sendWith(logger, { message: `msg ${i}`, metadata: { sourcetype: 'batch' } }));
    const last = await results[2]!;
    expect(last.body).toEqual({ text: 'Success', code: 0 });
    expect(hec.store.batches).toHaveLength(1);
    expect(hec.store.events.map((e) => JSON.parse(e._raw).message)).toEqual(['msg 0', 'msg 1', 'msg 2']);
  });

  it('reports Splunk errors through its error callback', async () => {
    const logger = new SplunkLogger({ token: 'wrong-token', url: hec.url });
    const errors: (Error & { code?: number })[] = [];
    logger.error = (err) => errors.push(err);
    const r = await sendWith(logger, { message: 'x' });
    expect(r.body).toEqual({ text: 'Invalid token', code: 4 });
    expect(errors.map((e) => [e.message, e.code])).toEqual([['Invalid token', 4]]);
  });
});

describe('curl, as Splunk’s docs use it', () => {
  const curl = async (args: string[]) => {
    const { stdout } = await run('curl', ['-s', '-k', '-w', '\n%{http_code}', ...args]);
    const nl = stdout.lastIndexOf('\n');
    return { body: stdout.slice(0, nl), status: Number(stdout.slice(nl + 1)) };
  };

  it('posts an event', async () => {
    const r = await curl([`${hec.url}/services/collector/event`, '-H', `Authorization: Splunk ${TOKEN}`, '-d', '{"event":"hello"}']);
    expect(r).toEqual({ status: 200, body: '{"text":"Success","code":0}' });
    expect(hec.store.events.map((e) => e._raw)).toEqual(['hello']);
  });

  it('posts with basic auth (-u), as the docs show', async () => {
    const r = await curl(['-u', `x:${TOKEN}`, `${hec.url}/services/collector/event`, '-d', '{"sourcetype": "mysourcetype", "event": "Hello, world!"}']);
    expect(r.status).toBe(200);
    expect(hec.store.events[0]).toMatchObject({ sourcetype: 'mysourcetype', _raw: 'Hello, world!' });
  });

  it('replays a Tetragon file to /raw like contentctl (channel header, ackId, then polls /ack)', async () => {
    const h = await start({ config: hecConfig(), now: Date.now });
    try {
      const file = join(process.cwd(), 'attack_data/datasets/cisco_isovalent/cisco_isovalent.log');
      const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const r = await curl([
        `${h.url}/services/collector/raw?index=main&source=not_applicable&sourcetype=cisco:isovalent:processExec&host=replay`,
        '-H',
        `Authorization: Splunk ${ACK_TOKEN}`,
        '-H',
        `X-Splunk-Request-Channel: ${CHANNEL}`,
        '--data-binary',
        `@${file}`,
      ]);
      expect(r.status).toBe(200);
      const { ackId } = JSON.parse(r.body) as { ackId: number };
      expect(ackId).toBeGreaterThan(0);
      let acked = false;
      for (let i = 0; i < 20 && !acked; i++) {
        const a = await curl([`${h.url}/services/collector/ack`, '-H', `Authorization: Splunk ${ACK_TOKEN}`, '-H', `X-Splunk-Request-Channel: ${CHANNEL}`, '-d', `{"acks":[${ackId}]}`]);
        acked = (JSON.parse(a.body) as { acks: Record<string, boolean> }).acks[String(ackId)] === true;
      }
      expect(acked).toBe(true);
      expect(h.store.events).toHaveLength(lines.length);
      expect(h.store.events.every((e) => e.sourcetype === 'cisco:isovalent:processExec' && e.host === 'replay')).toBe(true);
      expect(h.store.events.map((e) => e._raw)).toEqual(lines);
    } finally {
      await h.close();
    }
  });

  it('gzip (--compressed is for responses; a gzip body needs the header)', async () => {
    const { stdout } = await run('sh', ['-c', `printf '{"event":"zipped"}' | gzip | curl -s -H 'Authorization: Splunk ${TOKEN}' -H 'Content-Encoding: gzip' --data-binary @- ${hec.url}/services/collector/event`]);
    expect(stdout).toBe('{"text":"Success","code":0}');
    expect(hec.store.events.map((e) => e._raw)).toEqual(['zipped']);
  });
});

/**
 * The requests log shippers send, headers and bodies as their sources build them (each test names the file), so a
 * shipper pointed at vigil is answered as Splunk would answer it.
 */
describe("log shippers' requests", () => {
  const meta = () => hec.store.events.map(({ _time, index, source, sourcetype, host, _raw }) => ({ _time, index, source, sourcetype, host, _raw }));
  const post = (path: string, headers: Record<string, string>, body: string | Buffer) => send(hec.url, path, { headers, body });

  it('Vector splunk_hec_logs (common/service.rs, logs/encoder.rs): a channel always, gzip, `fields` always, then /ack', async () => {
    const h = { 'Content-Type': 'application/json', Authorization: `Splunk ${ACK_TOKEN}`, 'X-Splunk-Request-Channel': CHANNEL, 'Content-Encoding': 'gzip' };
    const health = await send(hec.url, '/services/collector/health/1.0', { method: 'GET', headers: { Authorization: `Splunk ${ACK_TOKEN}` } });
    expect(health.status).toBe(200);
    const body = '{"event":{"message":"v1"},"fields":{},"time":1700000000.123,"host":"n1"}{"event":"v2","fields":{"env":"prod"},"time":1700000001}';
    const r = await post('/services/collector/event', h, gzipSync(body));
    expect(r.status).toBe(200);
    const { ackId } = r.json as { ackId: number };
    const acks = await post('/services/collector/ack', { ...h, 'Content-Encoding': 'identity' }, JSON.stringify({ acks: [ackId] }));
    expect(acks.json).toEqual({ acks: { [ackId]: true } });
    // endpoint_target raw: metadata in the query string, no time.
    expect((await post('/services/collector/raw?source=vs&sourcetype=vst&index=main&host=vh', h, gzipSync('r1\nr2'))).status).toBe(200);
    expect(meta()).toMatchObject([
      { _time: 1_700_000_000.123, host: 'n1', source: 'http:acked', sourcetype: 'httpevent', _raw: '{"message":"v1"}' },
      { _time: 1_700_000_001, _raw: 'v2' },
      { source: 'vs', sourcetype: 'vst', host: 'vh', _raw: 'r1' },
      { source: 'vs', sourcetype: 'vst', host: 'vh', _raw: 'r2' },
    ]);
  });

  it('Fluent Bit out_splunk (splunk.c): a double time with nanoseconds first, the record under `event`, Basic auth', async () => {
    const h = { 'Content-Type': 'application/json', 'User-Agent': 'Fluent-Bit', Authorization: 'Basic ' + Buffer.from(`user:${TOKEN}`).toString('base64') };
    const r = await post('/services/collector/event', h, '{"time":1700000000.123456789,"event":{"log":"f1"}}{"time":1700000000.5,"host":"h","sourcetype":"st","index":"main","fields":{"a":"b"},"event":{"log":"f2"}}');
    expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(meta()).toEqual([
      { _time: 1_700_000_000.123457, index: 'main', source: 'http:test', sourcetype: 'httpevent', host: expect.any(String), _raw: '{"log":"f1"}' },
      { _time: 1_700_000_000.5, index: 'main', source: 'http:test', sourcetype: 'st', host: 'h', _raw: '{"log":"f2"}' },
    ]);
  });

  it("fluent-plugin-splunk-hec (out_splunk_hec.rb): /services/collector, time as Ruby's Float#to_s text, metric events", async () => {
    const h = { 'Content-Type': 'application/json', Authorization: `Splunk ${TOKEN}`, __splunk_app_name: 'hec_plugin_gem', __splunk_app_version: '1.3.3' };
    const body = '{"host":"node","time":"1700000000.25","sourcetype":"kube:container","event":{"log":"d1"}}' + '{"host":"node","time":"1700000000.0","event":"metric","fields":{"metric_name":"cpu","_value":0.5}}';
    expect((await post('/services/collector', h, body)).status).toBe(200);
    expect(meta().map((e) => [e._time, e.sourcetype, e._raw])).toEqual([
      [1_700_000_000.25, 'kube:container', '{"log":"d1"}'],
      [1_700_000_000, 'httpevent', 'metric'],
    ]);
  });

  it('the OTel collector splunkhec exporter: gzip, numeric fields, and a log without a body is code 12 as on Splunk', async () => {
    const h = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', Authorization: `Splunk ${TOKEN}`, __splunk_app_name: 'OpenTelemetry Collector Contrib' };
    const ok = await post('/services/collector', h, gzipSync('{"time":1700000000.001,"host":"unknown","event":"o1","fields":{"otel.log.severity.number":9,"k8s.pod.name":"p"}}'));
    expect(ok.status).toBe(200);
    const empty = await post('/services/collector', h, gzipSync('{"host":"unknown","event":null,"fields":{}}'));
    expect([empty.status, empty.text]).toEqual([400, '{"text":"Event field is required","code":12,"invalid-event-number":0}']);
    expect(meta().map((e) => [e._time, e._raw])).toEqual([[1_700_000_000.001, 'o1']]);
  });

  it("Splunk's Java logging and Kafka connector: profile content types, a %.3f string time, /raw with ?time=", async () => {
    const event = { 'Content-Type': 'application/json; profile=urn:splunk:event:1.0; charset=utf-8', Authorization: `Splunk ${TOKEN}` };
    expect((await post('/services/collector/event/1.0', event, '{"time":"1700000000.125","host":"h","source":"s","sourcetype":"st","event":{"message":"j1"}}')).status).toBe(200);
    // kafka-connect-splunk RawEventBatch: /services/collector/raw?index=&sourcetype=&source=&host=&time=
    const raw = { 'Content-Type': 'text/plain; profile=urn:splunk:event:1.0; charset=utf-8', Authorization: `Splunk ${TOKEN}` };
    expect((await post('/services/collector/raw?index=main&sourcetype=kst&source=ks&host=kh&time=1600000000', raw, 'k1\nk2\n')).status).toBe(200);
    expect(meta()).toMatchObject([
      { _time: 1_700_000_000.125, host: 'h', source: 's', sourcetype: 'st', _raw: '{"message":"j1"}' },
      { _time: 1_600_000_000, host: 'kh', source: 'ks', sourcetype: 'kst', _raw: 'k1' },
      { _time: 1_600_000_000, host: 'kh', source: 'ks', sourcetype: 'kst', _raw: 'k2' },
    ]);
  });

  it("the Universal Forwarder's [httpout] (cooked S2S to /services/collector/s2s) is not served", async () => {
    const r = await post('/services/collector/s2s', { Authorization: `Splunk ${TOKEN}`, 'Content-Type': 'application/octet-stream' }, '--splunk-cooked-mode-v3--');
    expect([r.status, r.text]).toEqual([404, '{"text":"The requested URL was not found on this server.","code":404}']);
    expect(hec.store.events).toEqual([]);
  });
});
