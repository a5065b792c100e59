import type { DataModelLibrary, EventTypeLibrary } from '../../datamodels/library.js';
import type { ContentSpot, Dataset } from '../../datamodels/model.js';
import { toText } from '../../events/value.js';
import type { DerivedFields } from '../../normalize/event-result.js';
import { positionIn, problemPlace, type ContentProblem } from '../../yaml/reader.js';
import { COMMAND_PARSERS, commandBlueprint } from '../commands/index.js';
import type { ExecContext } from '../commands/types.js';
import { compileEval, evalTypeOf } from '../eval/compile.js';
import { NO_LOOKUPS, type LookupProvider } from '../lookups.js';
import { expandMacros, type MacroLibrary } from '../macros/macros.js';
import type { EvalExpr, SearchExpr } from '../parse/ast.js';
import { parseEvalSource, parsePipeline } from '../parse/parser.js';
import type { SearchArgs } from '../commands/search.js';
import { compileSearch } from '../search/predicate.js';
import { SourceText, SplError, span, type Origin } from '../source.js';
import { datasetEvaluator, type CompiledPart } from './dataset.js';
import { EVENTTYPE_FIELD, TAG_FIELD, eventTypeFields, expandEventTypeTerms, type ExpandableEventType } from './eventtypes.js';
import type { CompiledDataset, DatasetLookup, Knowledge } from './types.js';

/** What the knowledge is compiled from: a content pack's libraries (macros expand inside their searches). */
export interface KnowledgeContent {
  dataModels: DataModelLibrary;
  eventTypes: EventTypeLibrary;
  macros: MacroLibrary;
  lookups?: LookupProvider;
}

/** Event types referring to event types (`tag=x` in an event type's search) are expanded at most this deep. */
const MAX_EVENTTYPE_NESTING = 20;

/**
 * Data models and event types compiled for the engine, once per content pack: every search (event types,
 * constraints, base searches) is macro-expanded and parsed, every calculation parsed and type-checked, so a
 * definition that does not compile is a content problem naming its file and line, and a search using it
 * fails with DATAMODEL_INVALID at its own text instead of running. Event types are compiled at once (every
 * search may read `tag`; their problems are `problems`); a dataset when first used, or by `checkDataModels()`
 * (`vigil validate`): compiling every calculation of every model would cost a short command's start-up.
 */
export class SearchKnowledge implements Knowledge {
  /** Problems of the event types. */
  readonly problems: ContentProblem[] = [];
  readonly derived: DerivedFields | null;
  private readonly types: ExpandableEventType[] = [];
  private readonly parts = new Map<string, CompiledPart | { error: string; problem: ContentProblem }>();
  private readonly resolved = new Map<string, DatasetLookup>();
  private readonly lookups: LookupProvider;

  constructor(private readonly content: KnowledgeContent) {
    this.lookups = content.lookups ?? NO_LOOKUPS;
    this.derived = this.compileEventTypes();
  }

  /** Compiles every dataset: the problems of the data models (those of event types are `problems`). */
  checkDataModels(): ContentProblem[] {
    const out: ContentProblem[] = [];
    for (const m of this.content.dataModels.all()) {
      for (const d of m.datasets) {
        const p = this.part(m.name, d);
        if ('error' in p) out.push(p.problem);
      }
    }
    return out;
  }

  expand(e: SearchExpr | null): SearchExpr | null {
    return expandEventTypeTerms(e, this.types);
  }

  dataModelNames(): string[] {
    return this.content.dataModels.names();
  }

  dataset(model: string, path: string | null): DatasetLookup {
    const k = `${model}\u0000${path ?? ''}`;
    let r = this.resolved.get(k);
    if (!r) this.resolved.set(k, (r = this.resolve(model, path)));
    return r;
  }

  private resolve(model: string, path: string | null): DatasetLookup {
    const res = this.content.dataModels.resolve(model, path);
    if (!res.ok) return { ok: false, code: 'SPL_UNKNOWN_DATAMODEL', message: res.message };
    const ds = res.dataset;
    const parts: CompiledPart[] = [];
    for (const d of ds.chain) {
      const p = this.part(ds.model.name, d);
      if ('error' in p) return { ok: false, code: 'DATAMODEL_INVALID', message: p.error };
      parts.push(p);
    }
    const compiled: CompiledDataset = {
      resolved: ds,
      lead: parts[0]!.expr,
      rawFields: rawFieldsOf(parts, ds.fields.map((f) => f.name)),
      evaluator: (run) => datasetEvaluator(parts, run),
    };
    return { ok: true, dataset: compiled };
  }

  // ---------------------------------------------------------------- event types

  private compileEventTypes(): DerivedFields | null {
    const raw: ExpandableEventType[] = [];
    const sources = new Map<string, SourceText>();
    for (const t of this.content.eventTypes.all()) {
      const what = `event type ${t.name}`;
      try {
        const { expr, source } = this.parseExpression(t.search, what, t.searchAt);
        raw.push({ name: t.name, tags: t.tags, expr });
        sources.set(t.name, source);
      } catch (e) {
        if (!(e instanceof SplError)) throw e;
        this.problems.push(problemOf(e, t.searchAt, what));
      }
    }
    // Event types may name others (`tag=...`, `eventtype=...`): substitute until none is left.
    for (const t of raw) {
      let expr = t.expr;
      let depth = 0;
      while (refersToEventTypes(expr)) {
        if (++depth > MAX_EVENTTYPE_NESTING) break;
        expr = expandEventTypeTerms(expr, raw);
      }
      if (refersToEventTypes(expr)) {
        const at = this.content.eventTypes.get(t.name)!.searchAt;
        this.problems.push({ ...at, severity: 'error', code: 'CONTENT_SCHEMA', message: `event type ${t.name}: its tag=/eventtype= references form a cycle (or nest more than ${MAX_EVENTTYPE_NESTING} deep)` });
        continue;
      }
      this.types.push({ name: t.name, tags: t.tags, expr });
    }
    return eventTypeFields(this.types.map((t) => ({ name: t.name, tags: t.tags, matches: compileSearch(t.expr, sources.get(t.name)!) })));
  }

  /** A search expression written in content (no pipes, no time bounds, no subsearch), macros expanded. */
  private parseExpression(text: string, what: string, at: ContentSpot): { expr: SearchExpr | null; source: SourceText } {
    const pipeline = this.parsePipelineText(text, what, at);
    const [first, second] = pipeline.commands;
    if (second) throw new SplError('SPL_BAD_ARGUMENT', 'this search cannot have commands (|): it is a search expression', second.nameSpan, pipeline.source);
    if (first && first.name !== 'search') throw new SplError('SPL_BAD_ARGUMENT', `this search must be a search expression, not "${first.name}"`, first.nameSpan, pipeline.source);
    const expr = first ? (first.args as SearchArgs).expr : null;
    checkSearchExpr(expr, pipeline.source);
    return { expr, source: pipeline.source };
  }

  private parsePipelineText(text: string, what: string, at: ContentSpot): ReturnType<typeof parsePipeline> {
    const origin: Origin = { kind: 'search', text, name: `${what} (${at.file}:${at.line})` };
    const source = expandMacros(text, this.content.macros, origin);
    if (source.text.trim() === '') return { commands: [], source, span: span(0, 0) };
    return parsePipeline(source, COMMAND_PARSERS);
  }

  // ---------------------------------------------------------------- datasets

  private part(model: string, d: Dataset): CompiledPart | { error: string; problem: ContentProblem } {
    const k = key(model, d.name);
    let p = this.parts.get(k);
    if (!p) this.parts.set(k, (p = this.compilePart(model, d)));
    return p;
  }

  private compilePart(model: string, d: Dataset): CompiledPart | { error: string; problem: ContentProblem } {
    const what = `data model ${model} dataset ${d.name}`;
    let at = d.searchAt;
    let label = what;
    try {
      let part: CompiledPart;
      if (d.selection === 'constraint') {
        const { expr, source } = this.parseExpression(d.search, what, at);
        part = { dataset: d, source, expr: this.expand(expr), stages: [], calculations: [] };
      } else {
        const pipeline = this.parsePipelineText(d.search, what, at);
        const [first, ...rest] = pipeline.commands;
        if (first && first.name !== 'search') throw new SplError('SPL_BAD_ARGUMENT', `a base search must start with a search, not "${first.name}"`, first.nameSpan, pipeline.source);
        const expr = first ? (first.args as SearchArgs).expr : null;
        checkSearchExpr(expr, pipeline.source);
        const stages = rest.map((command) => {
          const blueprint = commandBlueprint(command.name)!;
          if (blueprint.kind(command.args) !== 'streaming' || blueprint.orderSensitive(command.args) || blueprint.readsEvents?.(command.args)) {
            throw new SplError('SPL_BAD_ARGUMENT', `a data model's base search can only use streaming commands (eval, rex, mvexpand, ...), not "${command.name}"`, command.nameSpan, pipeline.source);
          }
          return { command, blueprint };
        });
        part = { dataset: d, source: pipeline.source, expr: this.expand(expr), stages, calculations: [] };
      }
      for (const c of d.calculations) {
        at = c.expressionAt;
        label = `${what} calculation ${c.output.name}`;
        const text = c.expression;
        const source = new SourceText(text, undefined, { kind: 'search', text, name: `${label} (${at.file}:${at.line})` });
        const expr = parseEvalSource(source);
        part.calculations.push({ field: c.output.name, expr, source });
      }
      // Static checks as a search run would make them (types, regexes, lookups), before any event.
      at = d.searchAt;
      label = what;
      const ctx = checkContext(part.source, this.lookups);
      for (const s of part.stages) s.blueprint.create(s.command.args, ctx, { push: () => {}, end: () => {} }, s.command);
      for (const c of part.calculations) {
        at = d.calculations.find((x) => x.output.name === c.field)?.expressionAt ?? at;
        label = `${what} calculation ${c.field}`;
        const cctx = { ...ctx, source: c.source };
        if (evalTypeOf(c.expr, cctx, c.source) === 'boolean') {
          throw new SplError('SPL_BAD_ARGUMENT', 'a calculated field cannot hold a boolean: use if(<expr>, "true", "false")', c.expr.span, c.source);
        }
        compileEval(c.expr, cctx, c.source);
      }
      return part;
    } catch (e) {
      if (!(e instanceof SplError)) throw e;
      const p = problemOf(e, at, label);
      return { error: `${label} is invalid (${problemPlace(p)}): ${e.message}`, problem: p };
    }
  }
}

function key(model: string, dataset: string): string {
  return `${model}\u0000${dataset}`;
}

/** Content searches select events: time bounds and subsearches have no place in them. */
function checkSearchExpr(e: SearchExpr | null, source: SourceText): void {
  if (e === null) return;
  switch (e.kind) {
    case 'and':
    case 'or':
      e.items.forEach((i) => checkSearchExpr(i, source));
      return;
    case 'not':
      checkSearchExpr(e.expr, source);
      return;
    case 'time':
      throw new SplError('SPL_BAD_ARGUMENT', `${e.which}= has no meaning in a definition: the search that uses it sets the time range`, e.span, source);
    case 'subsearch':
      throw new SplError('SPL_UNSUPPORTED_COMMAND', 'subsearches ([ ... ]) are not supported here', e.span, source);
    default:
      return;
  }
}

function refersToEventTypes(e: SearchExpr | null): boolean {
  if (e === null) return false;
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.items.some(refersToEventTypes);
    case 'not':
      return refersToEventTypes(e.expr);
    case 'compare':
      return (e.field === TAG_FIELD || e.field === EVENTTYPE_FIELD) && (e.op === '=' || e.op === '!=');
    case 'in':
      return e.field === TAG_FIELD || e.field === EVENTTYPE_FIELD;
    default:
      return false;
  }
}

function checkContext(source: SourceText, lookups: LookupProvider): ExecContext {
  return { now: 0, tz: 'UTC', source, lookups, earliest: null, latest: null, warn: () => {}, halt: () => {}, halted: false, checking: true };
}

/** An SplError in a definition as a content problem at the file position it points to. */
function problemOf(e: SplError, at: ContentSpot, what: string): ContentProblem {
  const loc = e.location();
  let line = at.line;
  let column = at.column;
  let message = `${what}: ${e.message} [${e.code}]`;
  if (loc && loc.origin.kind === 'search') {
    ({ line, column } = positionIn(at.runs ?? [0, at.line, at.column], loc.offset));
  } else if (loc) {
    message = `${what}: ${e.format()}`;
  }
  return { file: at.file, line, column, severity: 'error', code: 'SPL', message };
}

/**
 * Fields whose value on a dataset row says something about the raw event (CompiledDataset.rawFields):
 * fields nothing in the chain writes (same value), and fields only a fill calculation writes. Base-search
 * commands that may write anything (`writes: '*'`) leave none. `tag` and `eventtype` are computed, never in
 * the raw text.
 */
function rawFieldsOf(parts: readonly CompiledPart[], fields: readonly string[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const writers = new Map<string, (string | null)[]>();
  const write = (f: string, fill: string | null) => (writers.get(f) ?? writers.set(f, []).get(f)!).push(fill);
  for (const p of parts) {
    for (const s of p.stages) {
      const w = s.blueprint.writes(s.command.args);
      if (w === '*') return out;
      for (const f of w) write(f, null);
    }
    for (const c of p.calculations) write(c.field, fillOf(c.expr, c.field));
  }
  for (const f of fields) {
    if (f === TAG_FIELD || f === EVENTTYPE_FIELD) continue;
    const w = writers.get(f);
    if (!w) out.set(f, null);
    else if (w.length === 1 && w[0] !== null) out.set(f, w[0]!);
  }
  return out;
}

/** The fill value of `if(isnull(f) OR f="", <literal>, f)` (either order of the two tests), else null. */
export function fillOf(e: EvalExpr, field: string): string | null {
  if (e.kind !== 'call' || e.name !== 'if' || e.args.length !== 3) return null;
  const [cond, fill, keep] = e.args as [EvalExpr, EvalExpr, EvalExpr];
  if (keep.kind !== 'field' || keep.name !== field) return null;
  if (fill.kind !== 'string' && fill.kind !== 'number') return null;
  if (cond.kind !== 'binary' || cond.op !== 'OR') return null;
  const isNull = (x: EvalExpr) => x.kind === 'call' && x.name === 'isnull' && x.args.length === 1 && x.args[0]!.kind === 'field' && x.args[0]!.name === field;
  const isEmpty = (x: EvalExpr) =>
    x.kind === 'binary' && (x.op === '=' || x.op === '==') && x.left.kind === 'field' && x.left.name === field && x.right.kind === 'string' && x.right.value === '';
  if (!((isNull(cond.left) && isEmpty(cond.right)) || (isEmpty(cond.left) && isNull(cond.right)))) return null;
  return fill.kind === 'string' ? fill.value : toText(fill.value);
}
