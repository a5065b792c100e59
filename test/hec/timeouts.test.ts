/** Slow clients (issue #14 item 4): they must neither hold the in-flight budget nor a connection for long. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/config.js';
import { TOKEN, auth, hecConfig, rawConnection, send, sleep, slowHeaders, start, type RawConnection } from './helpers.js';

const MiB = 1024 * 1024;

function head(path: string, headers: Record<string, string | number>): string {
  return `POST ${path} HTTP/1.1\r\nHost: hec\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await sleep(10);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('slow uploads', () => {
  it('connections declaring 16 MiB and trickling bytes hold only what they sent: a normal client gets 200', async () => {
    // The default limits: 4 × 16 MiB declared is the whole 64 MiB budget.
    const h = await start({ config: hecConfig({ maxBodyBytes: 16 * MiB, maxInflightBytes: 64 * MiB }) });
    const slow: RawConnection[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const c = await rawConnection(h.url, head('/services/collector/raw', { Authorization: `Splunk ${TOKEN}`, 'Content-Length': 16 * MiB }));
        c.socket.write('{"event":');
        slow.push(c);
      }
      await until('the slow requests to be reading', () => h.server.stats().requests >= 4);
      await sleep(50);
      expect(h.server.stats().inflightBytes).toBeLessThanOrEqual(4 * 9);
      const r = await send(h.url, '/services/collector/event', { body: '{"event":"normal"}', headers: auth() });
      expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
      expect(h.store.events.map((e) => e._raw)).toEqual(['normal']);
      // A client that goes away gives back what it held.
      for (const c of slow) c.socket.destroy();
      await until('the budget to be released', () => h.server.stats().inflightBytes === 0);
    } finally {
      for (const c of slow) c.socket.destroy();
      await h.close();
    }
  });

  it('one client sending most of its bodies, then a byte now and then, holds at most its share: other clients get 200', async () => {
    // As hostile clients do (each 1 MiB body whole but its last bytes, which come under the idle timeout): the share
    // is half the budget by default, clients as the trusted proxy's header tells them.
    const h = await start({ config: hecConfig({ maxBodyBytes: MiB, maxInflightBytes: 4 * MiB, maxInflightBytesPerClient: 2 * MiB, trustedProxies: ['127.0.0.1'], clientIpHeader: 'x-forwarded-for' }) });
    const slow: RawConnection[] = [];
    const attacker = { Authorization: `Splunk ${TOKEN}`, 'Content-Length': MiB, 'X-Forwarded-For': '10.0.0.1' };
    try {
      for (let i = 0; i < 5; i++) {
        const c = await rawConnection(h.url, head('/services/collector/raw', attacker));
        c.socket.write('x'.repeat(MiB - 30));
        slow.push(c);
      }
      await until('the slow requests to have read their bytes', () => h.server.stats().inflightBytes >= 2 * (MiB - 30));
      await sleep(100);
      // Two bodies of this client fit its share; the others were refused (503 code 9) as they came.
      expect(h.server.stats().inflightBytes).toBe(2 * (MiB - 30));
      const r = await send(h.url, '/services/collector/event', { body: '{"event":"normal"}', headers: { ...auth(), 'X-Forwarded-For': '10.0.0.2' } });
      expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
      for (const c of slow) c.socket.destroy();
      await until('the budget to be released', () => h.server.stats().inflightBytes === 0);
      // Its share is back too: a whole body of the same client is taken.
      const again = await send(h.url, '/services/collector/raw', { body: 'y'.repeat(MiB - 1), headers: { ...auth(), 'X-Forwarded-For': '10.0.0.1' } });
      expect(again.status).toBe(200);
    } finally {
      for (const c of slow) c.socket.destroy();
      await h.close();
    }
  });

  it('a body that stops arriving is cut after hec.bodyIdleTimeout: 408, connection closed, nothing held', async () => {
    const h = await start({ config: hecConfig({ timeouts: { ...DEFAULTS.hecTimeouts, bodyIdleMs: 300 } }) });
    try {
      const c = await rawConnection(h.url, head('/services/collector/event', { Authorization: `Splunk ${TOKEN}`, 'Content-Length': 100 }));
      c.socket.write('{"event":"x');
      const r = await c.closed(10_000);
      expect(r).toEqual({ closed: true, status: 408, body: '{"text":"Request body timed out (no data for 0.3 s)","code":408}' });
      expect(c.received()).toContain('Connection: close');
      expect(h.server.stats().inflightBytes).toBe(0);
      expect(h.server.stats().codes['408']).toBe(1);
      expect(h.store.events).toEqual([]);
      expect((await send(h.url, '/services/collector/event', { body: '{"event":"after"}', headers: auth() })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('a chunked body trickled faster than the idle timeout is cut after hec.bodyTimeout', async () => {
    const h = await start({ config: hecConfig({ timeouts: { ...DEFAULTS.hecTimeouts, bodyIdleMs: 1000, bodyMs: 1500 } }) });
    try {
      const c = await rawConnection(h.url, head('/services/collector/raw', { Authorization: `Splunk ${TOKEN}`, 'Transfer-Encoding': 'chunked' }));
      const drip = setInterval(() => c.socket.write('1\r\na\r\n'), 100);
      const r = await c.closed(10_000);
      clearInterval(drip);
      expect(r).toEqual({ closed: true, status: 408, body: '{"text":"Request body timed out (not complete after 1.5 s)","code":408}' });
      expect(h.server.stats().inflightBytes).toBe(0);
      expect(h.store.events).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('headers sent slowly (slowloris) are cut after hec.headersTimeout', async () => {
    const h = await start({ config: hecConfig({ timeouts: { ...DEFAULTS.hecTimeouts, headersMs: 500 } }) });
    try {
      // Node checks header deadlines every second: closed well within a generous bound.
      const r = await slowHeaders(h.url, 'POST /services/collector/event HTTP/1.1\r\nHost: hec\r\n');
      expect(r.closed).toBe(true);
      expect(r.status).toBe(408);
    } finally {
      await h.close();
    }
  });
});
