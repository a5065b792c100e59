import type { SourceText, Span } from '../source.js';

/** A parsed search: commands separated by `|`, in the (macro-expanded) source they came from. */
export interface PipelineAst {
  commands: CommandAst[];
  source: SourceText;
  span: Span;
}

/** One command. `args` is the command's own parsed form (see spl/commands/); unknown commands never get here. */
export interface CommandAst {
  name: string;
  nameSpan: Span;
  span: Span;
  /** True for the implicit `search` at the start of a pipeline that does not begin with `|`. */
  implicit: boolean;
  args: unknown;
}

// ---------------------------------------------------------------- search expressions

export type SearchOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface SearchValue {
  value: string;
  quoted: boolean;
  span: Span;
}

export type SearchExpr =
  | { kind: 'and'; items: SearchExpr[]; span: Span }
  | { kind: 'or'; items: SearchExpr[]; span: Span }
  | { kind: 'not'; expr: SearchExpr; span: Span }
  | { kind: 'compare'; field: string; fieldSpan: Span; op: SearchOp; value: SearchValue; caseSensitive: boolean; span: Span }
  | { kind: 'in'; field: string; fieldSpan: Span; values: SearchValue[]; span: Span }
  /**
   * `name::value`: an indexed field's value (HEC `fields`; `host`, `source`, `sourcetype`: the event's own), never
   * the search-time fields or `_raw`. Case-insensitive, `*` wildcards, as `name=value`.
   */
  | { kind: 'indexed'; field: string; fieldSpan: Span; value: SearchValue; span: Span }
  /** A bare term or quoted phrase matched against _raw (`term` = TERM(): no segmentation). */
  | { kind: 'term'; value: SearchValue; caseSensitive: boolean; exactTerm: boolean; span: Span }
  /**
   * `earliest=`/`latest=` inside the search: a time bound, not a field comparison. `at`: the bound resolved, set by
   * the planner where it is a test of each event's `_time` (a window of an OR alternative); else the scan applies it.
   */
  | { kind: 'time'; which: 'earliest' | 'latest'; value: SearchValue; span: Span; at?: number }
  /** `[ subsearch ]`. */
  | { kind: 'subsearch'; pipeline: PipelineAst; span: Span };

// ---------------------------------------------------------------- eval expressions

export type EvalExpr =
  | { kind: 'number'; value: number; text: string; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'field'; name: string; span: Span }
  | { kind: 'call'; name: string; nameSpan: Span; args: EvalExpr[]; span: Span }
  | { kind: 'binary'; op: EvalBinaryOp; left: EvalExpr; right: EvalExpr; span: Span }
  | { kind: 'unary'; op: 'NOT' | '-' | '+'; operand: EvalExpr; span: Span }
  | { kind: 'in'; value: EvalExpr; list: EvalExpr[]; span: Span };

export type EvalBinaryOp =
  | 'OR'
  | 'XOR'
  | 'AND'
  | '='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '.';
