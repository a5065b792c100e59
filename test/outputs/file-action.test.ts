import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileAction } from '../../src/outputs/actions.js';
import { AlertDispatcher } from '../../src/outputs/dispatcher.js';
import { FileTransport } from '../../src/outputs/file-action.js';
import type { AlertBody } from '../../src/outputs/payload.js';
import { enqueue, MemoryOutbox } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileAction(): FileAction {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-alerts-'));
  dirs.push(dir);
  return { name: 'jsonl', type: 'file', path: join(dir, 'nested', 'alerts.jsonl'), maxAttempts: 10, backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 } };
}

function lines(path: string): AlertBody[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AlertBody);
}

describe('file action', () => {
  it('appends one JSON line per item, carrying the idempotency key', async () => {
    const action = fileAction();
    const outbox = new MemoryOutbox();
    const items = enqueue(outbox, 'jsonl', ['a', 'b'], 1000);
    const d = new AlertDispatcher({ state: outbox, actions: [action], now: () => 1000, log: () => {} });
    await d.pollOnce();
    enqueue(outbox, 'jsonl', ['c'], 1000);
    await d.pollOnce();
    await d.stop();
    const written = lines(action.path);
    expect(written.map((l) => l.data['risk_object'])).toEqual(['a', 'b', 'c']);
    expect(written[0]).toMatchObject({ idempotency_key: items[0]!.id, schema_version: 1, kind: 'risk_event' });
    expect(outbox.items.size).toBe(0);
    expect(readFileSync(action.path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('does not write an item twice, even after a restart (ids recovered from the file tail)', async () => {
    const action = fileAction();
    const outbox = new MemoryOutbox();
    const items = enqueue(outbox, 'jsonl', ['a', 'b'], 1000);
    const first = new FileTransport(action);
    expect(await first.deliver(items)).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
    expect(await first.deliver([items[0]!])).toEqual([{ status: 'delivered' }]);
    // A new process: the outbox was never updated (crash after fsync), so both come again.
    const restarted = new FileTransport(action);
    expect(await restarted.deliver(items)).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
    expect(lines(action.path)).toHaveLength(2);
  });

  it('starts on a fresh line after a torn last line', async () => {
    const action = fileAction();
    const outbox = new MemoryOutbox();
    const [a, b] = enqueue(outbox, 'jsonl', ['a', 'b'], 1000);
    await new FileTransport(action).deliver([a!]);
    appendFileSync(action.path, '{"idempotency_key":"torn'); // crash mid-write
    await new FileTransport(action).deliver([b!]);
    const text = readFileSync(action.path, 'utf8').split('\n');
    expect(text).toHaveLength(4);
    expect(JSON.parse(text[2]!).idempotency_key).toBe(b!.id);
  });

  it('a write error is retried, a corrupt payload is permanent', async () => {
    const action = fileAction();
    writeFileSync(join(action.path, '..', '..', 'blocker'), 'x');
    const blocked: FileAction = { ...action, path: join(action.path, '..', '..', 'blocker', 'alerts.jsonl') };
    const outbox = new MemoryOutbox();
    const [a] = enqueue(outbox, 'jsonl', ['a'], 1000);
    const [out] = await new FileTransport(blocked).deliver([a!]);
    expect(out).toMatchObject({ status: 'retry', error: expect.stringMatching(/ENOTDIR|EEXIST/) });
    const [bad] = await new FileTransport(action).deliver([{ ...a!, payload: '{not json' }]);
    expect(bad).toMatchObject({ status: 'permanent', error: expect.stringContaining('payload is not JSON') });
  });
});

describe('file action: a path that is not a regular file', () => {
  const fifos: string[] = [];
  afterEach(() => {
    // Without the guard a reader stays blocked in the thread pool: give it a writer so the worker can exit.
    for (const f of fifos.splice(0)) {
      try {
        closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader waiting: nothing to release.
      }
    }
  });

  it('refuses a FIFO at once instead of blocking forever on it', async () => {
    const action = fileAction();
    mkdirSync(dirname(action.path), { recursive: true });
    execFileSync('mkfifo', [action.path]);
    fifos.push(action.path);
    const outbox = new MemoryOutbox();
    const items = enqueue(outbox, 'jsonl', ['a'], 1000);
    const t = new FileTransport(action);
    const outcome = await Promise.race([t.deliver(items), new Promise((r) => setTimeout(() => r('stalled'), 2000))]);
    expect(outcome).toEqual([{ status: 'retry', error: `file ${action.path}: not a regular file` }]);
  });
});
