import type { Result } from '../../events/result.js';
import { toNumber, firstValue, valuesKey, valuesOf } from '../../events/value.js';
import type { CommandAst, PipelineAst } from '../parse/ast.js';
import type { ArgParser } from '../parse/parser.js';
import type { Span } from '../source.js';
import { tableBlueprint } from './table-lookup.js';
import type { ExecContext, Sink, SubsearchSpec } from './types.js';

/**
 * What `union`, `multisearch` and `set` share: their subsearches (`[ ... ]`, each run first by exec/subsearch.ts),
 * which of them are streaming, and the two ways their results are put together.
 */
export interface Datasets {
  pipelines: PipelineAst[];
  /** Where each is, for errors. */
  spans: Span[];
}

/**
 * Subsearches one command holds: each is a search of its own, holding up to its maxout rows until the command runs, so
 * their number bounds the command's memory (100 x union's 50,000 rows).
 */
export const MAX_DATASETS = 100;

/** Subsearches up to the end of the command (`union` also takes commas between them); `named` handles any other word. */
export function parseSubsearchList(p: ArgParser, command: string, commas: boolean, named?: (word: string, at: Span) => never): Datasets {
  const out: Datasets = { pipelines: [], spans: [] };
  for (;;) {
    const t = p.peek('search');
    if (t.kind === 'eof') return out;
    if (commas && t.kind === 'comma' && out.pipelines.length > 0) {
      p.next('search');
      continue;
    }
    if (t.kind === 'lbracket') {
      if (out.pipelines.length === MAX_DATASETS) throw p.error(`${command} takes at most ${MAX_DATASETS} subsearches`, t.span, 'SPL_BAD_ARGUMENT');
      const sub = p.subsearch();
      if (sub.kind !== 'subsearch') throw p.error(`${command} needs subsearches`, sub.span);
      out.pipelines.push(sub.pipeline);
      out.spans.push(sub.span);
      continue;
    }
    if (named && (t.kind === 'word' || t.kind === 'string')) named(t.value, t.span);
    throw p.error(`${command}: expected a subsearch [ ... ], found '${t.value}'`, t.span);
  }
}

/**
 * The first command of `pipeline` that keeps it from being a streaming search ("allows only streaming operations in
 * each subsearch. Examples of streaming searches include searches with the following commands: search, eval, where,
 * fields, and rex": multisearch reference): one that does not start with a search, or is not streaming, or depends on
 * the order of the events (head, dedup: Splunk's centralized streaming, run on the search head). Null: streaming.
 * A command parsed by name only (ParseOptions.allowUnknownCommands) is taken as it says nothing against.
 */
export function nonStreamingCommand(pipeline: PipelineAst): CommandAst | null {
  const [first, ...rest] = pipeline.commands;
  if (first && first.name !== 'search') return first;
  for (const c of rest) {
    const bp = tableBlueprint(c.name);
    if (bp && (bp.kind(c.args) !== 'streaming' || bp.orderSensitive(c.args) || bp.subsearch || bp.subsearches || bp.runsSearches?.(c.args))) return c;
  }
  return null;
}

/** One subsearch spec per pipeline, with the same limits. */
export function subsearchSpecs(d: Datasets, maxRows: number, maxSeconds: number): SubsearchSpec[] {
  return d.pipelines.map((pipeline) => ({ pipeline, maxRows, maxSeconds, limitNames: { rows: 'maxout', seconds: 'maxtime' } }));
}

/**
 * The results of several streaming searches as one search gives them, newest first ("automatically interleaves results
 * on the _time": union reference): a stable sort by `_time` descending, so equal times keep the subsearches' order; a
 * result without a numeric `_time` comes after those with one.
 */
export function interleaveByTime(lists: readonly (readonly Result[])[]): Result[] {
  const all = lists.flat();
  const time = (r: Result): number => toNumber(firstValue(r.get('_time'))) ?? -Infinity;
  const times = new Map<Result, number>(all.map((r) => [r, time(r)]));
  return all.sort((a, b) => {
    const ta = times.get(a)!;
    const tb = times.get(b)!;
    return tb > ta ? 1 : tb < ta ? -1 : 0;
  });
}

/**
 * A result's identity as set and uniq compare results: every field it has, internal ones included ("The set command
 * considers results to be the same if all of fields that the results contain match": set reference), in any order,
 * each value as text (a number 1 and a text "1" are the same value, as they print the same).
 */
export function resultKey(r: Result): string {
  const names = r.fieldNames().filter((f) => r.get(f) !== null).sort();
  return valuesKey([names, ...names.map((f) => valuesOf(r.get(f)))]);
}

/** Rows pushed between two looks at whether the output is backed up (`ExecContext.ready`), as makeresults does. */
const CHUNK = 1024;

/** A generating command's rows: copies (a plan's subsearch results are its own) until the search halts, yielding when the output is backed up. */
export async function pushAll(rows: readonly Result[], ctx: ExecContext, next: Sink): Promise<void> {
  for (let i = 0; i < rows.length && !ctx.halted; i++) {
    next.push(rows[i]!.clone());
    if ((i + 1) % CHUNK === 0) {
      const backedUp = ctx.ready?.();
      if (backedUp) await backedUp;
    }
  }
}
