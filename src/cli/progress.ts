import type { ScanProgress } from '../events/scan.js';

/**
 * A one-line progress indicator on stderr, only when stderr is a terminal (quiet when piped), redrawn at
 * most every 100 ms.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): { update(p: ScanProgress): void; done(): void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let last = 0;
  let shown = false;
  const started = Date.now();
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? Math.round(p.scanned / secs) : 0;
      const pct = p.totalBytes && p.bytes !== undefined ? ` ${Math.min(100, Math.floor((100 * p.bytes) / p.totalBytes))}%` : '';
      stream.write(`\r${label}:${pct} ${p.scanned.toLocaleString('en-US')} events (${rate.toLocaleString('en-US')}/s)\x1b[K`);
    },
    // Also before output goes to the same terminal (results of a streaming search): the next update redraws it.
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
