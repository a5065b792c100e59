import type { ReactNode } from 'react';

/** Token classes of the SPL highlighter. */
type Kind = 'str' | 'macro' | 'pipe' | 'cmd' | 'kw' | 'fn' | 'field' | 'num' | 'comment' | 'op' | 'text';

const KEYWORDS = new Set(['and', 'or', 'not', 'by', 'as', 'in', 'over', 'output', 'outputnew', 'where', 'like']);
const TOKEN = /(```[\s\S]*?```)|("(?:[^"\\]|\\.)*"?)|(`[^`]*`?)|(\|)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][\w.:{}*-]*)(\s*\()?|(!=|<=|>=|==|[=<>!,()[\]+*/-])|(\s+)|(.)/g;

/** Splits SPL into highlighted tokens: commands after pipes, strings, macros, functions, keywords, fields. */
export function tokenizeSpl(text: string): { kind: Kind; text: string }[] {
  const out: { kind: Kind; text: string }[] = [];
  let expectCommand = true;
  for (const m of text.matchAll(TOKEN)) {
    if (m[1]) out.push({ kind: 'comment', text: m[1] });
    else if (m[2]) out.push({ kind: 'str', text: m[2] });
    else if (m[3]) out.push({ kind: 'macro', text: m[3] });
    else if (m[4]) {
      out.push({ kind: 'pipe', text: m[4] });
      expectCommand = true;
      continue;
    } else if (m[5]) out.push({ kind: 'num', text: m[5] });
    else if (m[6]) {
      const word = m[6];
      const rest = text.slice((m.index ?? 0) + word.length);
      if (expectCommand && !/^\s*=/.test(rest)) out.push({ kind: 'cmd', text: word });
      else if (m[7]) out.push({ kind: 'fn', text: word });
      else if (KEYWORDS.has(word.toLowerCase())) out.push({ kind: 'kw', text: word });
      else if (/^\s*(=|!=|<|>)/.test(rest)) out.push({ kind: 'field', text: word });
      else out.push({ kind: 'text', text: word });
      if (m[7]) out.push({ kind: 'op', text: m[7] });
    } else if (m[8]) out.push({ kind: 'op', text: m[8] });
    else if (m[9]) {
      out.push({ kind: 'text', text: m[9] });
      continue;
    } else out.push({ kind: 'text', text: m[10] ?? '' });
    expectCommand = false;
  }
  return out;
}

/** SPL, syntax highlighted; `mark` highlights an error at 1-based line:column (over `length` characters). */
export function SplCode({ text, mark, label }: { text: string; mark?: { line: number; column: number; length?: number } | null; label?: string }) {
  const tokens = tokenizeSpl(text);
  let from = -1;
  let to = -1;
  if (mark) {
    const lines = text.split('\n');
    const lineStart = lines.slice(0, mark.line - 1).reduce((n, l) => n + l.length + 1, 0);
    const line = lines[mark.line - 1] ?? '';
    from = lineStart + Math.max(0, Math.min(mark.column - 1, line.length));
    to = Math.min(lineStart + line.length, from + Math.max(1, mark.length ?? 1));
    if (to <= from) to = from + 1;
  }
  const out: ReactNode[] = [];
  let at = 0;
  let key = 0;
  const piece = (kind: string, t: string, marked: boolean) => {
    if (!t) return;
    const inner = kind === 'text' ? t : <span key={key++} className={`spl-${kind}`}>{t}</span>;
    out.push(marked ? <mark key={key++} className="spl-error" title={mark ? `error at ${mark.line}:${mark.column}` : undefined}>{inner}</mark> : inner);
  };
  for (const tok of tokens) {
    const a = at;
    const b = at + tok.text.length;
    at = b;
    if (to <= a || from >= b) {
      piece(tok.kind, tok.text, false);
      continue;
    }
    piece(tok.kind, tok.text.slice(0, Math.max(0, from - a)), false);
    piece(tok.kind, tok.text.slice(Math.max(0, from - a), Math.min(tok.text.length, to - a)), true);
    piece(tok.kind, tok.text.slice(Math.min(tok.text.length, to - a)), false);
  }
  if (mark && from >= text.length) out.push(<mark key={key++} className="spl-error"> </mark>);
  return (
    <pre className="spl" aria-label={label} tabIndex={0}>
      <code>{out}</code>
    </pre>
  );
}
