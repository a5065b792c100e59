/**
 * Aggregates of the ClickHouse store (`EventSource.aggregate`): the events a scan of the request would return,
 * counted per combination of metadata values by the shards themselves (see CONTEXT.md "Aggregates").
 */
import { metadataPredicate, type AggregateSpec, type MetadataAggregate, type MetadataField, type MetadataGroup, type ScanOptions, type ScanRequest } from '../../events/scan.js';
import type { Event } from '../../events/event.js';
import { fromMicros, microsAtOrAfter } from '../schema.js';
import { StoreError } from '../types.js';
import { floorDivSql } from './schema.js';
import { patternSql } from './scan.js';
import { quote } from './sql.js';
import { tsvValue } from './tsv.js';

export interface AggregateContext {
  /** The Distributed table, qualified. */
  events: string;
  /** A query's whole TabSeparated answer, and the rows ClickHouse reports it read (when it reports them). */
  query(sql: string, signal?: AbortSignal): Promise<{ text: string; rowsRead?: number }>;
}

const ALL_FIELDS: readonly MetadataField[] = ['index', 'sourcetype', 'source', 'host'];

/**
 * One query: `GROUP BY` the requested columns and every column the request constrains, over `FINAL` (a retried
 * batch's copies not yet merged away count once: the sorting key is the event's identity), with `count()`,
 * `min(t)` and the group's newest event `max((t, at, batch, n))` (a scan's order, see scan.ts). The time bounds are
 * exact in SQL (as in scans); the metadata constraints are decided here per group by `metadataPredicate`, the scan's
 * own test (SQL only narrows source/host where `lower()` is exact), so the groups hold exactly the events a scan
 * returns. Groups that differ only in constrained columns not requested are added up; the groups come in the order
 * a scan meets them (by their newest event, ties as scans order them).
 */
export async function aggregateClickHouse(ctx: AggregateContext, req: ScanRequest, spec: AggregateSpec, options: ScanOptions): Promise<MetadataAggregate> {
  const columns = spec.columns;
  options.signal?.throwIfAborted();
  const lo = req.earliest === null || Number.isNaN(req.earliest) ? null : microsAtOrAfter(req.earliest);
  const hi = req.latest === null || Number.isNaN(req.latest) ? null : microsAtOrAfter(req.latest);
  if (lo !== null && hi !== null && lo >= hi) return { groups: [] };
  const constrained = new Set(req.metadata.map((c) => c.field));
  if (req.defaultIndexes !== 'all') constrained.add('index');
  const grouped = ALL_FIELDS.filter((f) => columns.includes(f) || constrained.has(f));
  const where: string[] = [];
  if (lo !== null) where.push(`t >= ${quote(lo)}`);
  if (hi !== null) where.push(`t < ${quote(hi)}`);
  for (const c of req.metadata) {
    if (c.field !== 'source' && c.field !== 'host') continue;
    const sql = patternSql(c.field, c.patterns);
    if (sql !== null) where.push(`(${sql})`);
  }
  // A grain that is no whole number of microseconds cannot be a SQL integer: every microsecond is its own grain.
  const grain = spec.timeGrain === undefined ? null : Number.isSafeInteger(spec.timeGrain) && spec.timeGrain >= 1 ? spec.timeGrain : 1;
  const keys = [...grouped, ...(grain !== null ? [floorDivSql('t', grain)] : [])].join(', ');
  const sql =
    `SELECT ${keys ? keys + ', ' : ''}count(), min(t), max((t, at, batch, n)) FROM ${ctx.events} FINAL` +
    `${where.length ? ' WHERE ' + where.join(' AND ') : ''}${keys ? ' GROUP BY ' + keys : ''}`;
  const answer = await ctx.query(sql, options.signal);
  const test = metadataPredicate(req);
  const probe: Event = { _time: 0, index: '', sourcetype: '', source: '', host: '', _raw: '' };
  const at = columns.map((c) => grouped.indexOf(c));
  const out = new Map<string, { group: MetadataGroup; newest: Newest }>();
  const width = grouped.length + (grain !== null ? 1 : 0) + 3;
  const n = width - 3;
  for (const line of answer.text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length !== width) throw new StoreError('STORE_IO', `unexpected answer from ClickHouse: ${line.slice(0, 200)}`);
    const count = Number(f[n]);
    // Without GROUP BY an empty selection is one row counting 0 (its min/max are not times).
    if (count === 0) continue;
    const values = f.slice(0, grouped.length).map(tsvValue);
    grouped.forEach((g, i) => (probe[g] = values[i]!));
    if (!test(probe)) continue;
    const earliest = fromMicros(Number(f[n + 1]));
    const newest = newestOf(f[n + 2]!);
    const mine = at.map((i) => values[i]!);
    const key = JSON.stringify(grain !== null ? [f[grouped.length], mine] : mine);
    const g = out.get(key);
    if (!g) out.set(key, { group: { values: mine, count, earliest, latest: fromMicros(newest.t) }, newest });
    else {
      g.group.count += count;
      if (earliest < g.group.earliest) g.group.earliest = earliest;
      if (scanOrder(newest, g.newest) < 0) {
        g.newest = newest;
        g.group.latest = fromMicros(newest.t);
      }
    }
  }
  const groups = [...out.values()].sort((a, b) => scanOrder(a.newest, b.newest)).map((g) => g.group);
  return { groups, ...(answer.rowsRead !== undefined ? { rowsRead: answer.rowsRead } : {}) };
}

/** A group's newest event in a scan's order: `t`, then arrival `at`, then `batch` (decimal UInt64), then `n`. */
interface Newest {
  t: number;
  at: number;
  batch: string;
  n: number;
}

/** `(t,at,batch,n)` as ClickHouse writes a tuple of numbers. */
function newestOf(text: string): Newest {
  const p = text.slice(1, -1).split(',');
  if (p.length !== 4 || text[0] !== '(') throw new StoreError('STORE_IO', `unexpected answer from ClickHouse: ${text.slice(0, 200)}`);
  return { t: Number(p[0]), at: Number(p[1]), batch: p[2]!, n: Number(p[3]) };
}

/** Negative when `a` comes first in a scan (newer; ties as scan.ts newestFirst orders rows). */
function scanOrder(a: Newest, b: Newest): number {
  return b.t - a.t || b.at - a.at || (a.batch === b.batch ? b.n - a.n : b.batch.length - a.batch.length || (b.batch > a.batch ? 1 : -1));
}

/** `read_rows` of an X-ClickHouse-Summary header (servers since 19.x send one; 18.16 does not), or null. */
export function rowsReadOf(header: unknown): number | null {
  if (typeof header !== 'string') return null;
  try {
    const n = Number((JSON.parse(header) as { read_rows?: unknown }).read_rows);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}
