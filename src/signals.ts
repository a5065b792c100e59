/** The signals that end a command line (Ctrl-C, `kill`), as README's user guide says. */
const ENDING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

const held = new Set<NodeJS.Signals>();
let looked = false;

/**
 * Lets the synchronous work in progress finish before SIGINT or SIGTERM end the process: call it right before writing
 * a file beside its target and renaming it into place. Without a handler, the signal's default action killed the
 * process in the middle of `writeFileSync`, leaving a half-written temporary file (and the lock files) behind. From
 * then on this process handles the signal itself, and a handler only runs between two turns of the event loop, so
 * never inside the write: it puts the default action back and sends the signal again, so the process still ends by
 * the signal (a shell shows 130 or 143), only after the rename.
 *
 * A signal that the process already handles (`vigil serve`, `replay`: they stop cleanly) is left to its handler.
 * Worker threads get no signals (Node delivers them to the main thread): there the handler never runs, and a signal
 * ends the process as before.
 */
export function holdEndingSignals(): void {
  if (!looked) {
    looked = true;
    // A signal handle does not keep the event loop alive: a process whose work ended with the write exited without
    // reading the signal that came during it (exit 0 after Ctrl-C). One more turn of the loop reads it.
    process.once('beforeExit', () => setImmediate(() => undefined));
  }
  for (const signal of ENDING_SIGNALS) {
    if (held.has(signal) || process.listenerCount(signal) > 0) continue;
    held.add(signal);
    const resend = (): void => {
      process.off(signal, resend);
      held.delete(signal);
      process.kill(process.pid, signal);
    };
    process.on(signal, resend);
  }
}
