import { execFileSync } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileAction } from '../../src/outputs/actions.js';
import { FileTransport } from '../../src/outputs/file-action.js';
import { enqueue, MemoryOutbox } from './helpers.js';
import { tmpfsForTests } from '../tmpfs.js';

/**
 * The `file` alert action on a real full disk (a 64 KiB tmpfs; skipped where the test cannot mount one: not root, or
 * no mount in the container). A batch the disk took only part of left its complete lines and a torn one in the file;
 * the retry, once space was back, wrote every line again after them: duplicates for a consumer that does not dedup.
 */
const { dir: mnt, mounted } = tmpfsForTests('vigil-alerts-full-', '64k');

describe.skipIf(!mounted)('file action on a full disk', () => {
  it('a batch that does not fit leaves the file as it was (retry), and is written once, whole, when space is back', async () => {
    const action: FileAction = { name: 'jsonl', type: 'file', path: join(mnt, 'alerts.jsonl'), maxAttempts: 10, backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 } };
    const outbox = new MemoryOutbox();
    const transport = new FileTransport(action);
    const [first] = enqueue(outbox, 'jsonl', ['first']);
    expect(await transport.deliver([first!])).toEqual([{ status: 'delivered' }]);
    const before = readFileSync(action.path, 'utf8');
    // Leave about 8 KiB free; the batch is some 30 KiB of lines.
    execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'ballast')}`, 'bs=4k', 'count=12'], { stdio: 'ignore' });
    const batch = enqueue(
      outbox,
      'jsonl',
      Array.from({ length: 100 }, (_, i) => `pod-${i}`),
    );
    const outcomes = await transport.deliver(batch);
    expect(outcomes.every((o) => o.status === 'retry' && /ENOSPC/.test(o.error))).toBe(true);
    expect(readFileSync(action.path, 'utf8')).toBe(before);
    unlinkSync(join(mnt, 'ballast'));
    expect(await transport.deliver(batch)).toEqual(batch.map(() => ({ status: 'delivered' })));
    const written = readFileSync(action.path, 'utf8').split('\n');
    expect(written.pop()).toBe('');
    const keys = written.map((l) => (JSON.parse(l) as { idempotency_key: string }).idempotency_key);
    expect(keys).toEqual([first!.id, ...batch.map((b) => b.id)]);
  });
});
