/**
 * A HEC client pipelining requests: each is an append, so without a cap one connection queued thousands of
 * them ahead of every other client's (60 connections 2,000 deep held a normal post 27 s).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { FakeStore, auth, hecConfig, send, sleep, start, type Running } from './helpers.js';

const BODY = '{"event":"p"}';
const POST = `POST /services/collector/event HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth().Authorization}\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

function client(url: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
  let text = '';
  let isClosed = false;
  socket.on('data', (b: Buffer) => (text += b.toString('latin1')));
  socket.on('close', () => (isClosed = true));
  socket.on('error', () => {});
  return new Promise((r) => socket.once('connect', () => r({ socket, received: () => text, closed: () => isClosed })));
}

describe('pipelined HEC requests (hec.maxPipelinedRequests)', () => {
  let hec: Running;
  const store = new FakeStore();
  beforeAll(async () => void (hec = await start({ store, config: hecConfig({ maxPipelinedRequests: 16 }) })));
  afterAll(() => hec.close());

  it('a connection pipelining 2,000 posts gets at most 16 appended while they wait, and every post its reply in order: 16 taken, the rest 503 code 9; other clients are answered', async () => {
    store.hold = true;
    const c = await client(hec.url);
    c.socket.write(POST.repeat(2000));
    await sleep(500);
    expect(store.appendCalls).toBe(16);
    // Another client is answered while the 16 wait.
    store.hold = false;
    expect((await send(hec.url, '/services/collector/event', { headers: auth(), body: BODY })).status).toBe(200);
    expect(store.appendCalls).toBe(17);
    store.release();
    const replies = (): string[] => c.received().match(/\r\n\r\n\{[^}]*\}/g) ?? [];
    for (let i = 0; i < 200 && replies().length < 2000; i++) await sleep(20);
    // The 16 taken are answered (they were stored: cut off without their replies, a client sent them again); each
    // post past the cap is refused unread, busy as Splunk answers a batch it did not take (the client sends it
    // again), and as the replies are read the next ones are taken again: every post answered, Success exactly for
    // each one stored.
    const success = '\r\n\r\n{"text":"Success","code":0}';
    const busy = '\r\n\r\n{"text":"Server is busy","code":9,"invalid-event-number":0}';
    expect(replies()).toHaveLength(2000);
    expect(replies().slice(0, 16)).toEqual(Array(16).fill(success));
    expect(replies()[16]).toBe(busy);
    expect(replies().every((r) => r === success || r === busy)).toBe(true);
    expect(replies().filter((r) => r === success)).toHaveLength(store.appendCalls - 1);
    expect((c.received().match(/HTTP\/1\.1 503 /g) ?? []).length).toBe(replies().filter((r) => r === busy).length);
    expect(c.closed()).toBe(false);
    c.socket.destroy();
  });

  it('a client pipelining 16 posts gets 16 replies, in order', async () => {
    const c = await client(hec.url);
    c.socket.write(POST.repeat(16));
    for (let i = 0; i < 100 && (c.received().match(/"code":0/g) ?? []).length < 16; i++) await sleep(20);
    expect((c.received().match(/HTTP\/1\.1 200 OK/g) ?? []).length).toBe(16);
    expect(c.closed()).toBe(false);
    c.socket.destroy();
  });
});

describe('hec.maxPipelinedRequests in the config file', () => {
  it('is 16 unless set, and a whole number of at least 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-hec-pipelining-config-'));
    try {
      const load = async (yaml: string) => {
        const file = join(dir, 'vigil.yml');
        await writeFile(file, yaml);
        return loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'data') } });
      };
      expect((await load('hec:\n  port: 0\n')).hec.maxPipelinedRequests).toBe(16);
      expect((await load('hec:\n  maxPipelinedRequests: 4\n')).hec.maxPipelinedRequests).toBe(4);
      await expect(load('hec:\n  maxPipelinedRequests: 0\n')).rejects.toThrow(/vigil\.yml:2: "hec\.maxPipelinedRequests" must be a whole number of at least 1, got 0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
