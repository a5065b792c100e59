import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { LineCounter, Node } from 'yaml';
import { VigilError } from '../errors.js';

/**
 * The yaml package (about 75 modules) is loaded on the first parse, not with this module: a command whose
 * content comes from the build-time snapshot (detections/content.ts) never parses YAML and should not pay
 * for loading it. It is CommonJS under Node, so a synchronous require gives the same module an import would.
 */
let yamlPackage: typeof Yaml | undefined;
const yaml = (): typeof Yaml => (yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
const isMap = ((n: unknown) => yaml().isMap(n)) as typeof Yaml.isMap;
const isScalar = ((n: unknown) => yaml().isScalar(n)) as typeof Yaml.isScalar;
const isSeq = ((n: unknown) => yaml().isSeq(n)) as typeof Yaml.isSeq;

/** A problem in a content file, with the file and line a detection engineer can jump to. */
export interface ContentProblem {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  code: 'CONTENT_YAML' | 'CONTENT_SCHEMA' | 'CONTENT_LINT' | 'CONTENT_NOT_FOUND' | 'SPL';
  message: string;
}

/** Where a problem is: `file:line:column`, or the file alone for one about the whole file (line 0: unreadable, too large). */
export function problemPlace(p: Pick<ContentProblem, 'file' | 'line' | 'column'>): string {
  return p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
}

export class ContentError extends VigilError {
  constructor(readonly problem: ContentProblem) {
    super(problem.code === 'CONTENT_YAML' ? 'CONTENT_YAML' : 'CONTENT_SCHEMA', `${problemPlace(problem)}: ${problem.message}`);
  }
}

/** Syntax errors said per file; the rest are counted. */
const MAX_SYNTAX_ERRORS = 10;
/** Characters of a syntax error's message: the package quotes the whole token it did not expect. */
const MAX_SYNTAX_MESSAGE = 160;

function shortened(message: string): string {
  if (message.length <= MAX_SYNTAX_MESSAGE) return message;
  // Not between the halves of a surrogate pair (a lone half is not printable text).
  const end = /[\ud800-\udbff]/.test(message[MAX_SYNTAX_MESSAGE - 1]!) ? MAX_SYNTAX_MESSAGE - 1 : MAX_SYNTAX_MESSAGE;
  return `${message.slice(0, end)}… (cut)`;
}

/**
 * Typed, position-aware access to a YAML document: every value read knows its line, so schema errors
 * say `file:line:col: detections need a search`.
 */
export class YamlReader {
  readonly problems: ContentProblem[] = [];
  private constructor(
    readonly file: string,
    private readonly root: Node | null,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  static parse(text: string, file: string): YamlReader {
    const lib = yaml();
    const lines = new lib.LineCounter();
    // Duplicate keys are found below: the package's own check compares every key of a map with every other
    // (a detection file of 40,000 keys took 11 s, one of 1,000,000 never finished).
    const doc = lib.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const r = new YamlReader(file, doc.contents as Node | null, lines, text);
    let tooDeep = false;
    let said = 0;
    for (const e of doc.errors) {
      // The package reports its own stack overflow on deep nesting ([[[[...), once per level it unwinds: one is said.
      const overflow = e.message.includes('Maximum call stack size exceeded');
      if (overflow && tooDeep) continue;
      tooDeep ||= overflow;
      // A file that is not YAML at all (a binary saved as .yml: 27 errors quoting 50 KB tokens, 196 KB of output) is
      // said in a few short lines: the first errors, then how many more.
      if (++said > MAX_SYNTAX_ERRORS) continue;
      const pos = lines.linePos(e.pos[0]);
      const message = overflow ? 'nested too deeply' : e.code === 'MULTIPLE_DOCS' ? 'a second YAML document starts here (a content file holds one)' : shortened(e.message.split('\n')[0]!);
      r.problems.push({ file, line: pos.line, column: pos.col, severity: 'error', code: 'CONTENT_YAML', message });
    }
    if (said > MAX_SYNTAX_ERRORS) {
      r.problems.push({ file, line: 0, column: 0, severity: 'error', code: 'CONTENT_YAML', message: `${said - MAX_SYNTAX_ERRORS} more YAML syntax errors (is it a YAML file?)` });
    }
    if (r.problems.length === 0) r.checkUniqueKeys();
    return r;
  }

  /** `Map keys must be unique` at each repeated key (scalar keys equal in value, as the package compares them). */
  private checkUniqueKeys(): void {
    // An explicit stack (nesting is bounded only by what the parser accepted), children pushed last first so
    // that repeats are reported in file order.
    const todo: unknown[] = [this.root];
    while (todo.length) {
      const n = todo.pop();
      if (isSeq(n)) for (let i = n.items.length - 1; i >= 0; i--) todo.push(n.items[i]);
      else if (isMap(n)) {
        const seen = new Set<unknown>();
        for (const pair of n.items) {
          const k = pair.key;
          if (!isScalar(k)) continue;
          if (seen.has(k.value)) this.report(k, 'Map keys must be unique', 'error', 'CONTENT_YAML');
          seen.add(k.value);
        }
        for (let i = n.items.length - 1; i >= 0; i--) todo.push(n.items[i]!.value);
      }
    }
  }

  get ok(): boolean {
    return !this.problems.some((p) => p.severity === 'error');
  }

  top(): YamlNode {
    return new YamlNode(this, this.root, '');
  }

  positionOf(node: Node | null): { line: number; column: number } {
    const off = node?.range?.[0] ?? 0;
    const p = this.lines.linePos(off);
    return { line: p.line, column: p.col };
  }

  /**
   * Where each character of a scalar's string value is written in the file, as runs of characters written one
   * after another on one line: flat triples `[valueOffset, line, column, ...]`. Folding (`>`, plain and quoted
   * scalars over several lines), indentation and escapes are what separate runs. Expressions written in
   * content (a data model's constraint, an eval) point their errors into the file with it (`positionIn`).
   */
  valueRuns(node: Node | null): number[] {
    const start = this.positionOf(node);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return [0, start.line, start.column];
    const value = node.value;
    const text = this.text;
    const end = node.range[1];
    let j = node.range[0];
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') j++;
    else if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') j = text.indexOf('\n', j) + 1;
    const runs: number[] = [];
    let prev = -2;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      // The next character of the file that can stand for c (a folded line break is a space in the value).
      while (j < end && text[j] !== c && !(c === ' ' && text[j] === '\n')) j++;
      if (j >= end) break;
      if (j !== prev + 1 || text[prev] === '\n') {
        const p = this.lines.linePos(j);
        runs.push(i, p.line, p.col);
      }
      prev = j++;
    }
    return runs.length ? runs : [0, start.line, start.column];
  }

  report(node: Node | null, message: string, severity: 'error' | 'warning' = 'error', code: ContentProblem['code'] = 'CONTENT_SCHEMA'): void {
    const { line, column } = this.positionOf(node);
    this.problems.push({ file: this.file, line, column, severity, code, message });
  }
}

export class YamlNode {
  constructor(
    readonly reader: YamlReader,
    readonly node: Node | null,
    readonly path: string,
    /** Where a missing value is reported: the nearest enclosing node that exists (else line 1 of the file). */
    private readonly at: Node | null = node,
  ) {}

  get exists(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  get line(): number {
    return this.reader.positionOf(this.node).line;
  }

  /** Where this value starts in the file (an absent one: where its parent is). */
  get position(): { line: number; column: number } {
    return this.reader.positionOf(this.node ?? this.at);
  }

  get isMap(): boolean {
    return isMap(this.node);
  }

  get isList(): boolean {
    return isSeq(this.node);
  }

  /** Where this scalar's characters are in the file (see YamlReader.valueRuns). */
  valueRuns(): number[] {
    return this.reader.valueRuns(this.node);
  }

  key(name: string): YamlNode {
    const n = this.node;
    if (!isMap(n)) return new YamlNode(this.reader, null, this.child(name), n ?? this.at);
    for (const pair of n.items) {
      const k = pair.key;
      if (isScalar(k) && String(k.value) === name) return new YamlNode(this.reader, (pair.value as Node | null) ?? null, this.child(name));
    }
    return new YamlNode(this.reader, null, this.child(name), n);
  }

  keys(): string[] {
    const n = this.node;
    if (!isMap(n)) return [];
    return n.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')).filter(Boolean);
  }

  private child(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  report(message: string, severity: 'error' | 'warning' = 'error'): void {
    this.reader.report(this.node ?? this.at, message, severity);
  }

  /** A required or optional string (numbers and dates are accepted and rendered as text). */
  string(opts: { required?: boolean } = {}): string | undefined {
    if (!this.exists) {
      if (opts.required) this.report(`missing required field "${this.path}"`);
      return undefined;
    }
    if (!isScalar(this.node) || typeof this.node.value === 'object') {
      this.report(`"${this.path}" must be a text value`);
      return undefined;
    }
    return String(this.node.value);
  }

  number(opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (!this.exists) {
      if (opts.required) this.report(`missing required field "${this.path}"`);
      return undefined;
    }
    const v = isScalar(this.node) ? Number(this.node.value) : NaN;
    if (!Number.isFinite(v) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      this.report(`"${this.path}" must be a number${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`);
      return undefined;
    }
    return v;
  }

  boolean(): boolean | undefined {
    if (!this.exists) return undefined;
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    this.report(`"${this.path}" must be true or false`);
    return undefined;
  }

  /** A list; a single scalar is accepted as a one-item list where security_content is lax about it. */
  list(): YamlNode[] {
    if (!this.exists) return [];
    const n = this.node;
    if (isSeq(n)) return n.items.map((item, i) => new YamlNode(this.reader, (item as Node | null) ?? null, `${this.path}[${i}]`));
    if (isScalar(n)) return [this];
    this.report(`"${this.path}" must be a list`);
    return [];
  }

  strings(): string[] {
    return this.stringsAt().map((s) => s.value);
  }

  /** `strings()` with where each one is in the file. */
  stringsAt(): { value: string; at: { line: number; column: number } }[] {
    const out: { value: string; at: { line: number; column: number } }[] = [];
    for (const n of this.list()) {
      const value = n.string();
      if (value !== undefined) out.push({ value, at: n.position });
    }
    return out;
  }
}

/** The file position of character `offset` of a value, from its `valueRuns`. */
export function positionIn(runs: readonly number[], offset: number): { line: number; column: number } {
  let k = 0;
  for (let r = 0; r < runs.length; r += 3) if (runs[r]! <= offset) k = r;
  return { line: runs[k + 1]!, column: runs[k + 2]! + (offset - runs[k]!) };
}
