import type { EventSource } from '../events/scan.js';
import type { DerivedFields } from '../normalize/event-result.js';
import type { Knowledge } from '../spl/datamodel/types.js';
import type { LookupProvider } from '../spl/lookups.js';
import { SummaryBuilder, type FollowedStore } from './builder.js';
import { acceleratedDatasets } from './datasets.js';
import { SummaryReader } from './reader.js';
import type { AccelerationSettings } from './settings.js';
import { openSummaryDb, type SummaryDb } from './summary-db.js';

/** Summaries are bucketed by hour (the store's default bucket): the unit of pruning and compaction. */
export const SUMMARY_BUCKET_SECONDS = 3600;

/** What `GET /api/datamodels` reports per dataset. */
export interface DatasetStatus {
  model: string;
  dataset: string;
  accelerated: boolean;
  /** Share of the store's events (by seq) the summary has processed, 0–100. */
  coveragePercent: number;
  /** Seconds since the summary last held every committed event (0: it does now). */
  lagSeconds: number;
  rows: number;
  sizeBytes: number;
  summaryRangeSeconds: number | null;
  definitionHash: string | null;
  lastError: string | null;
}

/** The content the summaries are built from (a ContentPack's parts). */
export interface AccelerationContent {
  knowledge: Knowledge & { derived: DerivedFields | null };
  dataModels: { names(): string[]; get(name: string): { datasets: { name: string }[] } | undefined };
  lookups: LookupProvider;
}

/**
 * The acceleration of `vigil serve`: a SummaryBuilder following the store every `interval`, rebuilt with
 * new content (a changed definition rebuilds its summaries), and the status the API shows.
 */
export class AccelerationService {
  private readonly db: SummaryDb;
  private builder: SummaryBuilder | null = null;
  private content: AccelerationContent;
  private timer: NodeJS.Timeout | null = null;
  private readonly problems: string[] = [];
  private readonly stopped = new AbortController();
  /** Aborts the current builder's catch-up (content reloads). */
  private run = new AbortController();

  constructor(
    dataDir: string,
    private readonly store: FollowedStore,
    private readonly settings: AccelerationSettings,
    content: AccelerationContent,
    private readonly tz: string,
    private readonly now: () => number,
    private readonly log?: (level: 'warn' | 'error', message: string) => void,
  ) {
    this.db = openSummaryDb(dataDir, false)!;
    this.content = content;
    this.builder = this.newBuilder();
  }

  /** New content (a reload): datasets whose definition changed start over. The old builder stops first. */
  async setContent(content: AccelerationContent): Promise<void> {
    const old = this.builder;
    this.builder = null;
    this.run.abort();
    await old?.settled();
    this.run = new AbortController();
    this.content = content;
    this.builder = this.newBuilder();
  }

  start(): void {
    const tick = () => {
      const signal = AbortSignal.any([this.stopped.signal, this.run.signal]);
      (this.builder?.catchUp(signal) ?? Promise.resolve(0))
        .catch((e: Error) => {
          if (!signal.aborted) this.log?.('error', `data model acceleration: ${e.message}`);
        })
        .finally(() => {
          if (!this.stopped.signal.aborted) this.timer = setTimeout(tick, this.settings.intervalSeconds * 1000).unref();
        });
    };
    tick();
  }

  /** Summarizes everything committed so far (tests, and `vigil serve` before it reports ready if asked). */
  catchUp(): Promise<number> {
    return this.builder?.catchUp() ?? Promise.resolve(0);
  }

  status(): DatasetStatus[] {
    const last = this.store.lastSeq();
    const now = this.now();
    const out: DatasetStatus[] = [];
    for (const model of this.content.dataModels.names()) {
      const range = this.settings.models.get(model);
      for (const d of this.content.dataModels.get(model)!.datasets) {
        const key = `${model}.${d.name}`;
        const s = range === undefined ? null : (this.builder?.state(key) ?? null);
        const size = s ? this.db.size(key) : { rows: 0, bytes: 0 };
        out.push({
          model,
          dataset: d.name,
          accelerated: s !== null,
          coveragePercent: s === null ? 0 : last === 0 ? 100 : Math.min(100, Math.floor((s.builtSeq / last) * 1000) / 10),
          lagSeconds: s === null || s.builtSeq >= last ? 0 : Math.max(0, now - s.caughtUpAt),
          rows: size.rows,
          sizeBytes: size.bytes,
          summaryRangeSeconds: range ?? null,
          definitionHash: s?.hash ?? null,
          lastError: s?.error ?? this.problems.find((p) => p.startsWith(`${model}.${d.name}:`)) ?? null,
        });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.stopped.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.builder?.settled();
    this.db.close();
  }

  private newBuilder(): SummaryBuilder {
    this.problems.length = 0;
    const c = this.content;
    const datasets = acceleratedDatasets(
      c.knowledge,
      [...this.settings.models.keys()].filter((m) => c.dataModels.names().includes(m)),
      (m) => c.dataModels.get(m)!.datasets.map((d) => d.name),
      (p) => {
        this.problems.push(p);
        this.log?.('warn', `data model acceleration: ${p}`);
      },
    );
    return new SummaryBuilder({
      db: this.db,
      store: this.store,
      datasets,
      ranges: this.settings.models,
      derived: c.knowledge.derived,
      lookups: c.lookups,
      tz: this.tz,
      bucketSeconds: SUMMARY_BUCKET_SECONDS,
      chunkEvents: this.settings.chunkEvents,
      maxSegmentsPerBucket: this.settings.maxSegmentsPerBucket,
      now: this.now,
      ...(this.log ? { log: this.log } : {}),
    });
  }
}

/**
 * The summaries a search worker reads (its own read-only connections), or null when the data dir has none
 * yet (searches then read raw events, with the same rows).
 */
export function openSummaryReader(dataDir: string, store: FollowedStore & EventSource, settings: Pick<AccelerationSettings, 'maxRemainderEvents' | 'maxCachedRows'>): SummaryReader | null {
  const db = openSummaryDb(dataDir, true);
  return db ? new SummaryReader({ db, store, bucketSeconds: SUMMARY_BUCKET_SECONDS, ...settings }) : null;
}
