/**
 * Writer worker: owns the store's write connection so commits (and their fsyncs) never block the main
 * thread's event loop. Group commit: every batch (append, run commit or state update) that arrived while
 * the previous transaction ran is committed in the next one, in arrival order, and each caller's promise
 * resolves after that commit.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { FromWriter, SyncReply, SyncRequest, ToWriter, WorkerInit, WriteItem } from './protocol.js';
import { STRINGS_PER_EVENT } from './protocol.js';
import { Writer, classifyError } from './writer.js';

const { config, port, syncPort, flag } = workerData as WorkerInit;

function send(m: FromWriter): void {
  port.postMessage(m);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let writer: Writer;
try {
  writer = new Writer(config);
} catch (err) {
  send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  port.close();
  syncPort.close();
  throw err;
}

const queue: WriteItem[] = [];
let scheduled = false;
let closing = false;

function handle(m: ToWriter): void {
  switch (m.type) {
    case 'append':
    case 'run':
    case 'state':
      queue.push(m);
      schedule();
      break;
    case 'retention':
      send({ type: 'retained', reply: retention(m) });
      break;
    case 'close':
      closing = true;
      schedule();
      break;
  }
}

/** Runs between two commits: this thread never interleaves it with a transaction. */
function retention(req: SyncRequest): SyncReply {
  try {
    return { call: req.call, ok: true, report: writer.applyRetention(req.now, req.policies) };
  } catch (err) {
    return { call: req.call, ok: false, ...classifyError(err) };
  }
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // setImmediate: let every message already queued arrive first, so they share the commit.
  setImmediate(flush);
}

function flush(): void {
  scheduled = false;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) handle(m.message as ToWriter);
  if (queue.length > 0) {
    if (config.commitDelayMs > 0) sleep(config.commitDelayMs);
    const group: WriteItem[] = [];
    let events = 0;
    let chars = 0;
    while (queue.length > 0 && (group.length === 0 || (events < config.maxGroupEvents && chars < config.maxGroupChars))) {
      const b = queue.shift()!;
      group.push(b);
      if (b.type === 'state') continue;
      events += b.times.length;
      for (let j = STRINGS_PER_EVENT - 1; j < b.strings.length; j += STRINGS_PER_EVENT) chars += b.strings[j]!.length;
    }
    const before = writer.commits;
    const outcomes = writer.commit(group);
    send({ type: 'done', outcomes, commits: writer.commits - before });
  }
  if (queue.length > 0) {
    schedule();
  } else if (closing) {
    writer.close();
    send({ type: 'closed' });
    port.close();
    syncPort.close();
  }
}

port.on('message', handle);

// Synchronous calls: the main thread blocks on `flag` until the reply is posted.
syncPort.on('message', (req: SyncRequest) => {
  syncPort.postMessage(retention(req));
  Atomics.store(flag, 0, req.call);
  Atomics.notify(flag, 0);
});

send({ type: 'ready' });
