/**
 * Writer worker: owns the store's write connection so commits (and their fsyncs) never block the main
 * thread's event loop. Group commit: every batch (append, run commit or state update) that arrived while
 * the previous transaction ran is committed in the next one, in arrival order, and each caller's promise
 * resolves after that commit. WAL checkpoints run in a checkpoint worker this one starts (see
 * checkpoint-worker.ts), so no commit waits for one.
 */
import { Worker, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { CheckpointSettings, CheckpointerInit, FromWriter, RetentionReply, RetentionRequest, ToWriter, WorkerInit, WriteItem } from './protocol.js';
import { CK_COMMITS, CK_RESTART, CK_SLOTS, CK_STOP, STRINGS_PER_EVENT } from './protocol.js';
import { storeWorkerUrl } from './worker-url.js';
import { Writer, classifyError } from './writer.js';

const { config, checkpoint, port } = workerData as WorkerInit;

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
  throw err;
}

const queue: WriteItem[] = [];
let scheduled = false;
let closing = false;
/** Closing: the last commit is done, the checkpointer is being stopped, then the connection is closed. */
let stopping = false;

interface Checkpointer {
  worker: Worker;
  state: Int32Array;
  exited: Promise<void>;
}
/** Started at the first commit (a store that never writes never needs one); null once it stopped or failed. */
let checkpointer: Checkpointer | null = null;
let checkpointerStarted = false;

function startCheckpointer(settings: CheckpointSettings): void {
  checkpointerStarted = true;
  const state = new Int32Array(new SharedArrayBuffer(CK_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const init: CheckpointerInit = {
    path: config.path,
    busyTimeoutMs: config.busyTimeoutMs,
    state,
    ...settings,
  };
  let worker: Worker;
  try {
    worker = new Worker(storeWorkerUrl('checkpoint-worker'), { workerData: init });
  } catch {
    return; // SQLite's automatic checkpoints stay on
  }
  writer.checkpointElsewhere(true);
  const c: Checkpointer = { worker, state, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
  // Unexpected end (an error opening its connection, a crash): back to SQLite's automatic checkpoints
  // inside commits, which keep the WAL bounded as before.
  worker.once('exit', () => {
    if (checkpointer !== c) return; // stopped on purpose
    checkpointer = null;
    try {
      writer.checkpointElsewhere(false);
    } catch {
      // The connection is gone too: nothing left to checkpoint from here.
    }
  });
  worker.on('error', () => {});
  checkpointer = c;
}

/** After a commit: wakes the checkpointer, and copies the WAL's tail when it asks for a restart. */
function afterCommit(): void {
  if (!checkpointerStarted && checkpoint !== null && !closing) startCheckpointer(checkpoint);
  const c = checkpointer;
  if (c === null) return;
  Atomics.add(c.state, CK_COMMITS, 1);
  Atomics.notify(c.state, CK_COMMITS);
  if (Atomics.load(c.state, CK_RESTART) === 1) {
    writer.checkpointTail();
    Atomics.store(c.state, CK_RESTART, 0);
    Atomics.notify(c.state, CK_RESTART);
  }
}

/** Stops the checkpointer (it finishes a pass in progress) and resolves once its connection is closed. */
function stopCheckpointer(): Promise<void> {
  const c = checkpointer;
  checkpointer = null;
  if (c === null) return Promise.resolve();
  Atomics.store(c.state, CK_STOP, 1);
  for (const slot of [CK_COMMITS, CK_STOP, CK_RESTART]) Atomics.notify(c.state, slot);
  return c.exited;
}

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
function retention(req: RetentionRequest): RetentionReply {
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
      if (b.fields !== undefined) for (const f of b.fields) chars += f?.length ?? 0;
    }
    const before = writer.commits;
    const outcomes = writer.commit(group);
    send({ type: 'done', outcomes, commits: writer.commits - before });
    afterCommit();
  }
  if (queue.length > 0) {
    schedule();
  } else if (closing && !stopping) {
    stopping = true;
    void stopCheckpointer().then(() => {
      writer.close();
      send({ type: 'closed' });
      port.close();
    });
  }
}

port.on('message', handle);

send({ type: 'ready' });
