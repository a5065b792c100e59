/**
 * JSON texts of a value in the spellings producers may use (escapes of any character, `\/`, white space where JSON
 * allows it, numbers written several ways, a decoy member before the real one): what the read-path tests feed the
 * byte scan, the line scan and JSON.parse. JSON.parse of the text gives the value back (a duplicate key keeps its last).
 */
export interface JsonSpelling {
  /** Chance that a character of a key or string value is written `\uXXXX`. */
  escape: number;
  /** Chance a `/` is written `\/`. */
  slash: number;
  /** Chance of white space at each place JSON allows it. */
  space: number;
  /** Chance of a duplicate member (a decoy value, from `decoy`, before the real one) in each object. */
  duplicate?: number;
  decoy?: (r: () => number) => unknown;
  /** Integers written as `5.0`, `5e0`, `5E+0`, `-0` too. */
  numbers?: boolean;
}

const BLANKS = [' ', '\t', '  ', ' \t', '\r'];
const pickOf = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

export function spellJson(v: unknown, r: () => number, s: JsonSpelling): string {
  const ws = (): string => (r() < s.space ? pickOf(r, BLANKS) : '');
  if (typeof v === 'string') {
    let out = '"';
    for (const ch of v) {
      const c = ch.codePointAt(0) as number;
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (c < 0x20) out += ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\u' + c.toString(16).padStart(4, '0');
      else if (ch === '/' && r() < s.slash) out += '\\/';
      else if (r() < s.escape || (c >= 0xd800 && c <= 0xdfff)) {
        // (A lone surrogate has no UTF-8 form: a producer can only write it escaped; an astral character is two escapes.)
        const units = c > 0xffff ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [c];
        for (const u of units) {
          const hex = u.toString(16).padStart(4, '0');
          out += '\\u' + (r() < 0.5 ? hex : hex.toUpperCase());
        }
      } else out += ch;
    }
    return out + '"';
  }
  if (typeof v === 'number') {
    if (!s.numbers || !Number.isInteger(v) || Math.abs(v) > 1e15) return JSON.stringify(v);
    return pickOf(r, [String(v), `${v}.0`, `${v}e0`, `${v}E+0`, v === 0 ? '-0' : String(v)]);
  }
  if (Array.isArray(v)) return '[' + ws() + v.map((x) => spellJson(x, r, s)).join(ws() + ',' + ws()) + ws() + ']';
  if (v !== null && typeof v === 'object') {
    const members: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (s.decoy && r() < (s.duplicate ?? 0)) members.push(spellJson(k, r, s) + ws() + ':' + ws() + spellJson(s.decoy(r), r, s));
      members.push(spellJson(k, r, s) + ws() + ':' + ws() + spellJson(x, r, s));
    }
    return '{' + ws() + members.join(ws() + ',' + ws()) + ws() + '}';
  }
  return JSON.stringify(v);
}
