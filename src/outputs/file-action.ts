/**
 * `file`: appends one JSON line per item (`AlertBody`, which carries `idempotency_key`) and fsyncs before
 * reporting delivery. At-least-once like every action, narrowed in practice: ids already written (remembered
 * in memory, and recovered from the file's tail on first use, which covers a crash between the fsync and
 * the outbox update) are not written again. A consumer that must be exact dedups on `idempotency_key`.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxItem } from '../store/types.js';
import type { FileAction } from './actions.js';
import { alertBody } from './payload.js';
import { repeatOutcome, type DeliveryOutcome, type Transport } from './transport.js';

/** How much of the file's end is read on first use to recover ids written before a restart. */
const TAIL_BYTES = 1024 * 1024;
/** Ids remembered; the oldest are forgotten first (redelivery concerns recent items). */
const MAX_REMEMBERED = 100_000;

export class FileTransport implements Transport {
  readonly batchSize = 100;
  private readonly written = new Set<string>();
  private recovered = false;
  /** Appends are serialized: two batches must not interleave their lines. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly action: FileAction) {}

  deliver(items: readonly OutboxItem[]): Promise<DeliveryOutcome[]> {
    const run = this.tail.then(() => this.append(items));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async append(items: readonly OutboxItem[]): Promise<DeliveryOutcome[]> {
    const path = this.action.path;
    try {
      if (!this.recovered) {
        await this.recoverIds();
        this.recovered = true;
      }
      const outcomes: DeliveryOutcome[] = [];
      const lines: string[] = [];
      const ids: string[] = [];
      for (const item of items) {
        if (this.written.has(item.id) || ids.includes(item.id)) {
          outcomes.push({ status: 'delivered' });
          continue;
        }
        try {
          lines.push(JSON.stringify(alertBody(item)));
          ids.push(item.id);
          outcomes.push({ status: 'delivered' });
        } catch (e) {
          outcomes.push({ status: 'permanent', error: (e as Error).message });
        }
      }
      if (lines.length > 0) await this.appendLines(lines);
      for (const id of ids) this.remember(id);
      return outcomes;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return repeatOutcome(items.length, { status: 'retry', error: `file ${path}: ${err.code ? `${err.code} ` : ''}${err.message}` });
    }
  }

  private async appendLines(lines: string[]): Promise<void> {
    const path = this.action.path;
    await mkdir(dirname(path), { recursive: true });
    const created = !(await exists(path));
    const fh = await openRegular(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o640);
    try {
      // A crash mid-write can leave a torn last line: start on a fresh line so ours stay parseable.
      const { size } = await fh.stat();
      const prefix = size > 0 && (await lastByte(fh, size)) !== 0x0a ? '\n' : '';
      try {
        await fh.appendFile(prefix + lines.join('\n') + '\n', 'utf8');
        await fh.sync();
      } catch (e) {
        // A full disk took part of the batch: cut it off, or the retry would write its complete lines a second time
        // after a torn one (best effort: a truncate frees space, it does not need any).
        await fh.truncate(size).catch(() => undefined);
        throw e;
      }
    } finally {
      await fh.close();
    }
    if (created) await syncDir(dirname(path));
  }

  private async recoverIds(): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await openRegular(this.action.path, constants.O_RDONLY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      if (start > 0) lines.shift(); // the first line is cut
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const key = (JSON.parse(line) as { idempotency_key?: unknown }).idempotency_key;
          if (typeof key === 'string') this.remember(key);
        } catch {
          // A torn or foreign line: nothing to recover from it.
        }
      }
    } finally {
      await fh.close();
    }
  }

  private remember(id: string): void {
    this.written.add(id);
    if (this.written.size > MAX_REMEMBERED) {
      const oldest = this.written.values().next().value;
      if (oldest !== undefined) this.written.delete(oldest);
    }
  }

  async close(): Promise<void> {
    await this.tail;
  }
}

/**
 * Opens `path` only if it is a regular file. O_NONBLOCK: opening a FIFO for reading (or writing into a full
 * one) would otherwise wait for the other end forever, holding a thread-pool thread and the action.
 */
async function openRegular(path: string, flags: number, mode?: number): Promise<FileHandle> {
  const fh = await open(path, flags | constants.O_NONBLOCK, mode);
  if ((await fh.stat()).isFile()) return fh;
  await fh.close();
  throw new Error('not a regular file');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function lastByte(fh: FileHandle, size: number): Promise<number | undefined> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0];
}

/** A new file's directory entry is durable only once the directory is synced (best effort: not on Windows). */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the data itself is already synced.
  }
}
