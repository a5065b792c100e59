/**
 * A partition worker of a parallel run (run.ts): loads the content, plans the searches from their expanded
 * text (the same plans as the main thread's), then takes partitions from the shared counter until none is
 * left, sending each partition's rows (with flow control) and, at its end, its partial states and line
 * issues. Terminated by the main thread when the run ends or fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadContent } from '../detections/content.js';
import { VigilError } from '../errors.js';
import { runPartition, type ShippedRow, type ShippedWarning } from '../spl/exec/partitions.js';
import type { EventSource } from '../events/scan.js';
import type { FilterMemo } from '../sources/file.js';
import { parseExpandedSearch, plan, type LookupProvider, type SearchPlan } from '../spl/index.js';
import { splitPlan, type PlanSplit } from '../spl/plan/split.js';
import { SplError } from '../spl/source.js';
import { SharedCounters, type PartitionIssue, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { toWire, type WireRow } from './rows.js';
import { bytesRead, NeedsOneThread, partitionSource } from './sources.js';

const setup = workerData as WorkerSetup;
const counters = new SharedCounters(setup.shared);
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
/** Progress is posted at most this often (ms). */
const PROGRESS_MS = 100;

async function main(): Promise<void> {
  const pack = loadContent(setup.contentDirs);
  // The writable lookup directory's code (node:crypto, the CSV reader) only when the run names one.
  const lookups = setup.lookupDir ? (await import('../detections/lookup-dir.js')).withLookupDir(pack.lookups, setup.lookupDir) : pack.lookups;
  const plans = setup.searches.map((text) =>
    plan(parseExpandedSearch(text), {
      lookups,
      knowledge: pack.knowledge,
      now: setup.plan.now,
      tz: setup.plan.tz,
      earliest: setup.plan.earliest,
      latest: setup.plan.latest,
      defaultIndexes: setup.plan.defaultIndexes,
      sourceNewestFirst: setup.plan.sourceNewestFirst,
    }),
  );
  const splits = plans.map(splitPlan);
  // The store is loaded only for a store input: a run over files never loads SQLite (or ClickHouse's client).
  const store = setup.input.kind === 'store' ? await (await import('../cluster/locator.js')).openEventReader(setup.input.store) : null;
  try {
    await takePartitions(plans, splits, lookups, store);
  } finally {
    await store?.close();
  }
}

/** Runs partitions until none is left. */
async function takePartitions(plans: SearchPlan[], splits: PlanSplit[], lookups: LookupProvider, store: EventSource | null): Promise<void> {
  const total = { scanned: 0, bytes: 0 };
  let lastProgress = 0;
  const filters: FilterMemo = new Map();
  for (;;) {
    const p = counters.take();
    if (p >= setup.input.partitions.length) return;
    counters.waitWindow(p, setup.window);
    const issues: PartitionIssue[] = [];
    let lines = 0;
    let bytes = 0;
    const shares = await runPartition(
      plans,
      splits,
      partitionSource(setup.input, p, (i) => issues.push(i), store, filters),
      p,
      {
        now: setup.plan.now,
        tz: setup.plan.tz,
        lookups,
        onWarning: (i, message, at) => post({ type: 'warning', partition: p, plan: i, message, span: at ?? null }),
        onProgress: (pr) => {
          lines = pr.scanned;
          bytes = bytesRead(setup.input, p, pr);
          if (performance.now() - lastProgress < PROGRESS_MS) return;
          lastProgress = performance.now();
          post({ type: 'progress', scanned: total.scanned + lines, bytes: total.bytes + bytes });
        },
      },
      (i: number, rows: ShippedRow[], warnings: ShippedWarning[]) => {
        const wire: WireRow[] = [];
        let chars = 0;
        for (const r of rows) {
          const w = toWire(r);
          wire.push(w.wire);
          chars += w.chars;
        }
        counters.sendWithin(setup.slot, chars, setup.flowBudget, () => post({ type: 'rows', partition: p, plan: i, rows: wire, chars, warnings }));
      },
    );
    total.scanned += lines;
    total.bytes += bytes;
    post({ type: 'done', partition: p, shares, lines, issues });
    post({ type: 'progress', scanned: total.scanned, bytes: total.bytes });
  }
}

main().catch((e: unknown) => {
  if (e instanceof NeedsOneThread) return post({ type: 'serial' });
  // An SplError's span is an offset into one search's text: the main thread formats it with that search's source.
  const plan = e instanceof SplError && e.source ? setup.searches.indexOf(e.source.text) : -1;
  post({
    type: 'error',
    error: {
      code: e instanceof VigilError ? e.code : null,
      message: (e as Error)?.message ?? String(e),
      span: e instanceof SplError ? e.span : null,
      plan: plan >= 0 ? plan : null,
    },
  });
});
