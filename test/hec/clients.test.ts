/** Real clients against the real server: Splunk's official Node library and curl as Splunk's docs use it. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_TOKEN, CHANNEL, TOKEN, hecConfig, start, type Running } from './helpers.js';

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
