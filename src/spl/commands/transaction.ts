import { Row, type Result } from '../../events/result.js';
import { firstValue, sortTexts, toNumber, toText, valuesOf, type FieldValue, type Scalar } from '../../events/value.js';
import { compileCondition } from '../eval/compile.js';
import type { EvalExpr, SearchExpr } from '../parse/ast.js';
import { parseSearchSource, type ArgParser, type ParsedOption } from '../parse/parser.js';
import { compileSearch } from '../search/predicate.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

/** limits.conf [transactions] defaults: open transactions and events held before the least recently used is evicted. */
export const DEFAULT_MAX_OPEN_TXN = 5000;
export const DEFAULT_MAX_OPEN_EVENTS = 100_000;
/** Hard caps on maxopentxn= / maxopenevents=: they are what bounds the command's memory, so they cannot be lifted. */
export const MAX_OPEN_TXN = 1_000_000;
export const MAX_OPEN_EVENTS = 1_000_000;
/** At most this many fields in the field list (each transaction keeps one key per field). */
export const MAX_TRANSACTION_FIELDS = 64;
/**
 * At most this many open field values (fields x maxopentxn): each is a key of one Map, which V8 caps at 2^24
 * entries (`transaction <64 fields> maxopentxn=1000000` failed with "Map maximum size exceeded" past 262,144).
 */
export const MAX_OPEN_KEYS = 4_000_000;

const OPTIONS = ['name', 'maxspan', 'maxpause', 'maxevents', 'maxopentxn', 'maxopenevents', 'connected', 'unifyends', 'keepevicted', 'keeporphans', 'mvlist', 'mvraw', 'delim', 'nullstr'];
const FILTERS = ['startswith', 'endswith'];

/** startswith=/endswith=: a search expression (quoted or in parentheses) or `eval(<boolean>)`, with the source its spans refer to. */
export type TransactionFilter = { kind: 'search'; expr: SearchExpr | null; source: SourceText } | { kind: 'eval'; expr: EvalExpr; source: SourceText; key: string };

export interface TransactionArgs {
  fields: string[];
  /** Seconds; null = no limit (a negative value in the search). */
  maxspan: number | null;
  maxpause: number | null;
  /** null = no limit (negative in the search). */
  maxevents: number | null;
  startswith: TransactionFilter | null;
  endswith: TransactionFilter | null;
  connected: boolean;
  unifyends: boolean;
  keepevicted: boolean;
  keeporphans: boolean;
  maxopentxn: number;
  maxopenevents: number;
  /** true: every field as a list; a set of names: those fields; false: none. */
  mvlist: boolean | ReadonlySet<string>;
  mvraw: boolean;
  nullstr: string;
}

/**
 * `transaction [<field-list>] [maxspan=] [maxpause=] [maxevents=] [startswith=] [endswith=] [connected=] [unifyends=]
 * [keeporphans=] [maxopentxn=] [maxopenevents=] [keepevicted=] [mvlist=] [mvraw=] [delim=] [nullstr=]`: groups events
 * into transactions (SPL reference, transaction; rules and decisions in docs/spl.md). Events are read in search
 * order, newest first (the planner sorts before it), so a transaction grows backwards in time: an `endswith` event
 * opens one, a `startswith` event closes it. A transaction is one row: `_time` of its earliest event, the events'
 * `_raw` joined by newlines oldest first, every other field's values (distinct and sorted, or listed with mvlist),
 * `duration` and `eventcount` (and `closed_txn` with keepevicted). Memory: at most maxopentxn open transactions
 * holding at most maxopenevents events (capped at MAX_OPEN_TXN/MAX_OPEN_EVENTS); past either the least recently
 * extended one is evicted, with a warning. Closed transactions are held until the end, then come out newest first.
 */
export const transactionCommand = defineCommand<TransactionArgs>({
  name: 'transaction',
  doc: 'transaction [<fields>] [maxspan=] [maxpause=] [maxevents=] [startswith=] [endswith=] [connected=] [unifyends=] [keeporphans=] [maxopentxn=] [maxopenevents=] [keepevicted=] [mvlist=] [mvraw=] [delim=] [nullstr=]: group events into transactions.',
  parse: (p) => parseTransaction(p),
  kind: () => 'transforming',
  orderSensitive: () => true,
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: (a) => !a.keeporphans,
  create: (args, ctx, next, cmd) => transactionOperator(args, ctx, next, cmd.nameSpan),
});

function parseTransaction(p: ArgParser): TransactionArgs {
  const fields: string[] = [];
  const options = new Map<string, ParsedOption>();
  let startswith: TransactionFilter | null = null;
  let endswith: TransactionFilter | null = null;
  for (;;) {
    const k = p.peek('search');
    if (k.kind === 'word' && FILTERS.includes(k.value.toLowerCase())) {
      const eq = p.peek2('search');
      if (eq.kind === 'op' && eq.value === '=') {
        const key = k.value.toLowerCase();
        p.next('search');
        p.next('search');
        const f = parseFilter(p, key, eq.span);
        if (key === 'startswith') startswith = f;
        else endswith = f;
        continue;
      }
    }
    const o = p.option(OPTIONS);
    if (o) {
      if (o.key === 'name') throw new SplError('SPL_UNSUPPORTED_COMMAND', 'transaction name= reads transactiontypes.conf, which vigil does not have: write the options in the search', o.span, p.source);
      options.set(o.key, o);
      continue;
    }
    const list = p.fieldList();
    if (list.length === 0) break;
    for (const f of list) {
      if (f.name.includes('*')) throw p.error('transaction takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
      if (!fields.includes(f.name)) fields.push(f.name);
      if (fields.length > MAX_TRANSACTION_FIELDS) throw p.error(`transaction takes at most ${MAX_TRANSACTION_FIELDS} fields`, f.span, 'SPL_BAD_ARGUMENT');
    }
  }
  p.expectEnd();
  const bool = (key: string, dflt: boolean): boolean => {
    const o = options.get(key);
    return o ? p.parseBool(o.value, o.valueSpan) : dflt;
  };
  const span = (key: string): number | null => {
    const o = options.get(key);
    if (!o) return null;
    const m = /^(-?\d+)(s|m|h|d)?$/i.exec(o.value);
    if (!m) throw p.error(`${key} takes an integer with an optional unit s, m, h or d (e.g. 30s, 5m), not "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
    const n = Number(m[1]);
    return n < 0 ? null : n * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()]!;
  };
  const count = (key: string, dflt: number, max: number): number => {
    const o = options.get(key);
    if (!o) return dflt;
    const n = p.parseInt(o.value, o.valueSpan, 1);
    if (n > max) throw p.error(`${key}=${o.value} is above vigil's limit of ${max}: it bounds the memory the command holds`, o.valueSpan, 'SPL_BAD_ARGUMENT');
    return n;
  };
  const me = options.get('maxevents');
  let maxevents: number | null = 1000;
  if (me) {
    if (!/^-?\d+$/.test(me.value)) throw p.error(`maxevents takes an integer, not "${me.value}"`, me.valueSpan, 'SPL_BAD_ARGUMENT');
    const n = Number(me.value);
    maxevents = n < 0 ? null : n;
    if (n === 0) throw p.error('maxevents=0 allows no event in a transaction: use a positive number, or a negative one for no limit', me.valueSpan, 'SPL_BAD_ARGUMENT');
  }
  const maxopentxn = count('maxopentxn', DEFAULT_MAX_OPEN_TXN, MAX_OPEN_TXN);
  const mo = options.get('maxopentxn');
  if (mo && fields.length * maxopentxn > MAX_OPEN_KEYS) {
    throw p.error(`maxopentxn=${maxopentxn} with ${fields.length} fields would keep up to ${fields.length * maxopentxn} open field values, above vigil's limit of ${MAX_OPEN_KEYS}: use at most maxopentxn=${Math.floor(MAX_OPEN_KEYS / fields.length)}`, mo.valueSpan, 'SPL_BAD_ARGUMENT');
  }
  return {
    fields,
    maxspan: span('maxspan'),
    maxpause: span('maxpause'),
    maxevents,
    startswith,
    endswith,
    connected: bool('connected', true),
    unifyends: bool('unifyends', false),
    keepevicted: bool('keepevicted', false),
    keeporphans: bool('keeporphans', false),
    maxopentxn,
    maxopenevents: count('maxopenevents', DEFAULT_MAX_OPEN_EVENTS, MAX_OPEN_EVENTS),
    mvlist: mvlistOption(p, options.get('mvlist')),
    mvraw: bool('mvraw', false),
    nullstr: options.get('nullstr')?.value ?? 'NULL',
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `mvlist=<bool>` or `mvlist=<field-list>` (comma or space separated, so quoted when it has several). */
function mvlistOption(p: ArgParser, o: { value: string; valueSpan: Span; quoted: boolean } | undefined): boolean | ReadonlySet<string> {
  if (!o) return false;
  if (!o.quoted && /^(t|true|1|yes|f|false|0|no)$/i.test(o.value)) return p.parseBool(o.value, o.valueSpan);
  const names = o.value.split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) throw p.error('mvlist= takes true, false or a list of fields', o.valueSpan, 'SPL_BAD_ARGUMENT');
  return new Set(names);
}

/**
 * A startswith=/endswith= value (transactiontypes.conf: `"<search-expression>" | (<quoted-search-expression>) |
 * eval(<eval-expression>)`): a quoted string holding a search, a parenthesised search, `eval(...)`, or a bare term.
 */
function parseFilter(p: ArgParser, key: string, at: Span): TransactionFilter {
  const t = p.peek('search');
  const text = p.source.text;
  if (t.kind === 'word' && t.value.toLowerCase() === 'eval' && text[t.span.end] === '(') {
    p.next('search');
    p.expect('lparen', '`(`', 'eval');
    const expr = p.evalExpr();
    p.expect('rparen', '`)` to close eval(', 'eval');
    return { kind: 'eval', expr, source: p.source, key };
  }
  if (t.kind === 'lparen') {
    const close = matchingParen(text, t.span.start, p.end);
    if (close < 0) throw p.error(`missing \`)\` to close ${key}=(`, t.span);
    const inner = text.slice(t.span.start + 1, close);
    const source = p.source.embedded(inner, [{ from: 0, at: t.span.start + 1 }]);
    p.skipTo(close + 1);
    return { kind: 'search', expr: parseSearchSource(source), source };
  }
  if (t.kind === 'string' || t.kind === 'word') {
    p.next('search');
    const start = t.kind === 'string' ? t.span.start + 1 : t.span.start;
    const source = p.source.embedded(t.value, [{ from: 0, at: start }]);
    return { kind: 'search', expr: parseSearchSource(source), source };
  }
  throw p.error(`${key}= needs a search in quotes or parentheses, or eval(<expression>)`, t.kind === 'eof' ? at : t.span, 'SPL_BAD_ARGUMENT');
}

/** The offset of the `)` closing the `(` at `open` (quoted text skipped), or -1. */
function matchingParen(text: string, open: number, end: number): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < end && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** How a transaction ended: closed by its definition, still open at the end of the input, or evicted for memory. */
type Ending = 'closed' | 'open' | 'evicted';

/** An open transaction: its events in arrival order (newest first) and one key value per field of the list. */
interface Txn {
  events: Result[];
  times: number[];
  keys: (string | undefined)[];
  newest: number;
  oldest: number;
  /** Time of the event added last (maxpause). */
  last: number;
  open: boolean;
  /** Least-recently-used list (head: extended last). */
  prev: Txn | null;
  next: Txn | null;
}

function transactionOperator(args: TransactionArgs, ctx: ExecContext, next: Sink, at: Span): Sink {
  const isStart = filterTest(args.startswith, ctx);
  const isEnd = filterTest(args.endswith, ctx);
  const nFields = args.fields.length;
  /** `<field index>\0<value>` -> the open transaction that last took that value. */
  const index = new Map<string, Txn>();
  let head: Txn | null = null;
  let tail: Txn | null = null;
  let openCount = 0;
  let openEvents = 0;
  /** Open transactions in opening order (maxspan closes from its front); finished ones are skipped and compacted. */
  let opened: Txn[] = [];
  let openedFront = 0;
  const done: { row: Result; time: number; seq: number }[] = [];
  let seq = 0;
  let evictions = 0;

  const unlink = (t: Txn): void => {
    if (t.prev) t.prev.next = t.next;
    else head = t.next;
    if (t.next) t.next.prev = t.prev;
    else tail = t.prev;
    t.prev = t.next = null;
  };
  const toFront = (t: Txn): void => {
    if (head === t) return;
    if (t.prev || t.next || tail === t) unlink(t);
    t.next = head;
    if (head) head.prev = t;
    head = t;
    if (!tail) tail = t;
  };

  const finish = (t: Txn, ending: Ending): void => {
    t.open = false;
    unlink(t);
    openCount--;
    openEvents -= t.events.length;
    for (let i = 0; i < nFields; i++) {
      const k = t.keys[i];
      if (k === undefined) continue;
      const key = `${i}\u0000${k}`;
      if (index.get(key) === t) index.delete(key);
    }
    if (ending === 'evicted') evictions++;
    // Without startswith= a transaction left open at the end is whole; with it, it never met its start.
    const output = ending === 'closed' || (ending === 'open' && !args.startswith) || args.keepevicted;
    if (output) done.push({ row: render(t, ending === 'closed', args), time: t.oldest, seq: seq++ });
    t.events = [];
    t.times = [];
  };

  const keyOf = (row: Result, field: string): string | undefined => {
    const vs = valuesOf(row.get(field));
    if (vs.length === 0) return undefined;
    return vs.length === 1 ? toText(vs[0]!) : vs.map(toText).join('\u0000');
  };

  /** The open transaction the event joins: the first field of the list whose value leads to one it agrees with, else (connected=false) the last extended one holding none of its fields. */
  const find = (keys: (string | undefined)[], boundary: boolean): Txn | null => {
    for (let i = 0; i < nFields; i++) {
      const k = keys[i];
      if (k === undefined) continue;
      const t = index.get(`${i}\u0000${k}`);
      if (t && agrees(t, keys)) return t;
    }
    if (nFields === 0) return head;
    if (!args.connected && !(boundary && args.unifyends) && head && disjoint(head, keys)) return head;
    return null;
  };
  const agrees = (t: Txn, keys: (string | undefined)[]): boolean => {
    for (let i = 0; i < nFields; i++) if (keys[i] !== undefined && t.keys[i] !== undefined && keys[i] !== t.keys[i]) return false;
    return true;
  };
  const disjoint = (t: Txn, keys: (string | undefined)[]): boolean => {
    for (let i = 0; i < nFields; i++) if (keys[i] !== undefined && t.keys[i] !== undefined) return false;
    return true;
  };

  /** Closes the transactions no event at `time` or older can extend (input newest first): past maxpause, past maxspan. */
  const expire = (time: number): void => {
    if (args.maxpause !== null) while (tail && tail.last - time > args.maxpause) finish(tail, 'closed');
    if (args.maxspan !== null) {
      while (openedFront < opened.length) {
        const t = opened[openedFront]!;
        if (t.open && t.newest - time < args.maxspan) break;
        if (t.open) finish(t, 'closed');
        openedFront++;
      }
      if (openedFront > 1024 && openedFront * 2 > opened.length) {
        opened = opened.slice(openedFront);
        openedFront = 0;
      }
    }
  };

  const orphan = (row: Result): void => {
    if (!args.keeporphans) return;
    row.set('_txn_orphan', 1);
    done.push({ row, time: toNumber(firstValue(row.get('_time'))) ?? -Infinity, seq: seq++ });
  };

  return {
    push: (row) => {
      const time = toNumber(firstValue(row.get('_time')));
      if (time === null) return orphan(row);
      const keys = args.fields.map((f) => keyOf(row, f));
      if (nFields > 0 && keys.every((k) => k === undefined)) return orphan(row);
      expire(time);
      const start = isStart(row);
      const end = isEnd(row);
      let t = find(keys, start || end);
      if (t) {
        if (end) {
          // An end event (read newest first) begins an earlier transaction: the open one got no start.
          finish(t, 'open');
          t = null;
        } else if ((args.maxspan !== null && Math.max(t.newest, time) - Math.min(t.oldest, time) >= args.maxspan) || (args.maxpause !== null && Math.abs(t.last - time) > args.maxpause)) {
          finish(t, 'closed');
          t = null;
        }
      }
      if (!t && args.endswith && !end) return orphan(row);
      // Room for one more event, then (a new transaction) for one more transaction: the least recently extended go.
      while (openEvents >= args.maxopenevents && tail) finish(tail, 'evicted');
      if (t && !t.open) t = null;
      if (!t) {
        while (openCount >= args.maxopentxn && tail) finish(tail, 'evicted');
        t = { events: [], times: [], keys: new Array<string | undefined>(nFields).fill(undefined), newest: time, oldest: time, last: time, open: true, prev: null, next: null };
        openCount++;
        if (args.maxspan !== null) opened.push(t);
      }
      t.events.push(row);
      t.times.push(time);
      t.newest = Math.max(t.newest, time);
      t.oldest = Math.min(t.oldest, time);
      t.last = time;
      openEvents++;
      for (let i = 0; i < nFields; i++) {
        const k = keys[i];
        if (k === undefined) continue;
        if (t.keys[i] === undefined) t.keys[i] = k;
        index.set(`${i}\u0000${k}`, t);
      }
      toFront(t);
      if (start || (args.maxevents !== null && t.events.length >= args.maxevents)) finish(t, 'closed');
    },
    end: () => {
      while (tail) finish(tail, 'open');
      if (evictions > 0) {
        ctx.warn(`transaction evicted ${evictions} open transaction(s) at maxopentxn=${args.maxopentxn} / maxopenevents=${args.maxopenevents}${args.keepevicted ? ' (kept, closed_txn=0)' : '; they are dropped unless keepevicted=true'}`, at);
      }
      // Newest first by _time, as events are listed; equal times in the order they were closed.
      done.sort((a, b) => b.time - a.time || a.seq - b.seq);
      for (const d of done) next.push(d.row);
      done.length = 0;
      next.end();
    },
  };
}

/** A startswith=/endswith= test; always false when the option is absent. */
function filterTest(f: TransactionFilter | null, ctx: ExecContext): (row: Result) => boolean {
  if (!f) return () => false;
  if (f.kind === 'search') return compileSearch(f.expr, f.source);
  const c = compileCondition(f.expr, ctx, f.source, f.key);
  return (row) => c(row) === true;
}

/** The transaction's row: its events' fields merged, oldest event first. */
function render(t: Txn, closed: boolean, args: TransactionArgs): Result {
  const n = t.events.length;
  // Oldest first; equal times keep search order reversed (the later arrival is the older event).
  const order = Array.from({ length: n }, (_, i) => n - 1 - i).sort((a, b) => t.times[a]! - t.times[b]!);
  const events = order.map((i) => t.events[i]!);
  const out = new Row();
  out.set('_time', t.oldest);
  const raws: Scalar[] = [];
  for (const e of events) for (const r of valuesOf(e.get('_raw'))) raws.push(r);
  if (raws.length > 0) out.set('_raw', args.mvraw ? (raws.length === 1 ? raws[0]! : raws) : raws.map(toText).join('\n'));
  const names = new Set<string>();
  for (const e of events) for (const name of e.fieldNames()) names.add(name);
  for (const name of names) {
    if (name === '_time' || name === '_raw') continue;
    const list = args.mvlist === true || (args.mvlist !== false && args.mvlist.has(name));
    out.set(name, list ? listed(events, name, args.nullstr) : distinct(events, name));
  }
  out.set('duration', Math.round((t.newest - t.oldest) * 1e6) / 1e6);
  out.set('eventcount', n);
  if (args.keepevicted) out.set('closed_txn', closed ? 1 : 0);
  return out;
}

/** mvlist: every event's values in order, nullstr for an event without the field. */
function listed(events: readonly Result[], name: string, nullstr: string): FieldValue {
  const out: Scalar[] = [];
  for (const e of events) {
    const vs = valuesOf(e.get(name));
    if (vs.length === 0) out.push(nullstr);
    else for (const v of vs) out.push(v);
  }
  return out.length === 1 ? out[0]! : out;
}

/** The distinct values, sorted as text ("a set of unique field values ordered lexigraphically"). */
function distinct(events: readonly Result[], name: string): FieldValue | null {
  const byText = new Map<string, Scalar>();
  for (const e of events) for (const v of valuesOf(e.get(name))) if (!byText.has(toText(v))) byText.set(toText(v), v);
  if (byText.size === 0) return null;
  const texts = sortTexts([...byText.keys()]);
  return texts.length === 1 ? byText.get(texts[0]!)! : texts.map((x) => byText.get(x)!);
}
