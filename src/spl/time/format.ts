/**
 * Splunk's `strftime()` / `strptime()` (and `convert ctime()`), with Splunk's format
 * variables: the C/glibc set plus `%Q`, `%N` (with an optional digit count), `%f` and `%Ez`.
 *
 * Both functions compile a format once (cached by its text) into a list of pieces, because
 * they run once per event with the same handful of formats.
 *
 * strftime never fails on a format: an unknown directive is copied to the output literally,
 * as glibc does. strptime never throws on data: it returns null when the text does not match
 * (including when the format has an unknown directive). `validateTimeFormat` is the strict
 * check, for callers that want to reject a literal format up front.
 * See CONTEXT.md for the semantics chosen where Splunk's documentation is silent.
 */

import { VigilError } from '../../errors.js';
import {
  DEFAULT_TIME_ZONE,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  fromWallClock,
  isLeapYear,
  isValidTimeZone,
  splitMicros,
  toWallClock,
  zoneAbbreviation,
  type WallClock,
} from './zone.js';

/** `convert`'s default `timeformat` ("Note that this default does not conform to the locale settings"). */
export const CTIME_DEFAULT_FORMAT = '%m/%d/%Y %H:%M:%S';

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Composite directives, expanded before use. `%c`, `%+`, `%x`, `%X` follow the C/en_US
 * shapes shown in Splunk's docs ("Thu Jul 18 09:30:00 2019", "… PDT 2019"); `%x` keeps a
 * four-digit year (the docs' example is "7/13/2019"), `%D` is the POSIX two-digit form.
 */
const COMPOSITES: Readonly<Record<string, string>> = {
  T: '%H:%M:%S',
  R: '%H:%M',
  r: '%I:%M:%S %p',
  D: '%m/%d/%y',
  F: '%Y-%m-%d',
  c: '%a %b %e %H:%M:%S %Y',
  '+': '%a %b %e %H:%M:%S %Z %Y',
  x: '%m/%d/%Y',
  X: '%H:%M:%S',
};

/** Digits of `%Q` / `%N` when no count is written (Splunk docs: "%Q … default is milliseconds, %3Q"; "%N … default is %9N"). */
const DEFAULT_SUBSECOND_DIGITS: Readonly<Record<string, number>> = { Q: 3, N: 9, f: 6 };

// ---------------------------------------------------------------------------------------------
// Tokenizer (shared by both directions)
// ---------------------------------------------------------------------------------------------

type Token =
  | { kind: 'literal'; text: string }
  /** `name` is the directive without `%`: `Y`, `Ez`, `:z`, `Q` …; `digits` for `%3Q`-style. */
  | { kind: 'directive'; name: string; digits?: number; offset: number }
  /** Something after `%` that is not a directive; `source` is what strftime copies out. */
  | { kind: 'unknown'; source: string; offset: number };

// After '%': a subsecond count, colon-z forms, %Ez, E/O-modified letters (glibc alternative
// forms, treated as the plain letter), or a plain letter / '+'.
const DIRECTIVE = /(\d+)([QNf])|(:{1,3}z|:Z)|E(z)|[EO]([A-Za-z+])|([A-Za-z+])/y;

function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i] as string;
    if (ch !== '%') {
      literal += ch;
      i += 1;
      continue;
    }
    const next = format[i + 1];
    if (next === undefined) {
      // A trailing lone '%' stands for itself.
      literal += '%';
      i += 1;
      continue;
    }
    if (next === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    DIRECTIVE.lastIndex = i + 1;
    const m = DIRECTIVE.exec(format);
    flush();
    if (m === null) {
      tokens.push({ kind: 'unknown', source: `%${next}`, offset: i });
      i += 2;
      continue;
    }
    const [whole, digits, subsecond, colons, ez, modified, plain] = m;
    if (digits !== undefined && subsecond !== undefined) {
      const n = Number(digits);
      if (n >= 1 && n <= 9) tokens.push({ kind: 'directive', name: subsecond, digits: n, offset: i });
      else tokens.push({ kind: 'unknown', source: `%${whole}`, offset: i });
    } else if (colons !== undefined) {
      tokens.push({ kind: 'directive', name: colons, offset: i });
    } else if (ez !== undefined) {
      tokens.push({ kind: 'directive', name: 'Ez', offset: i });
    } else {
      tokens.push({ kind: 'directive', name: modified ?? plain ?? '', offset: i });
    }
    i += 1 + whole.length;
  }
  flush();
  return tokens;
}

/** Tokens with composite directives (`%T`, `%F` …) replaced by their expansion. */
function expandedTokens(format: string): Token[] {
  const out: Token[] = [];
  for (const token of tokenize(format)) {
    const expansion = token.kind === 'directive' ? COMPOSITES[token.name] : undefined;
    if (expansion !== undefined && token.kind === 'directive') {
      // Expansions are flat (no composite inside), so one level suffices; keep the outer offset.
      for (const inner of tokenize(expansion)) {
        out.push(inner.kind === 'literal' ? inner : { ...inner, offset: token.offset });
      }
    } else {
      out.push(token);
    }
  }
  return out;
}

/** Bounded memo for compiled formats (formats come from searches, so the set is small). */
function memo<T>(compile: (format: string) => T): (format: string) => T {
  const cache = new Map<string, T>();
  return (format) => {
    let value = cache.get(format);
    if (value === undefined) {
      value = compile(format);
      if (cache.size >= 1000) cache.clear();
      cache.set(format, value);
    }
    return value;
  };
}

const KNOWN_DIRECTIVES = new Set([
  ...'YyCmdejHIklMSpPaAbBhZzsuwUWVGgnt',
  ':z',
  '::z',
  ':::z',
  'Ez',
  'Q',
  'N',
  'f',
  ...Object.keys(COMPOSITES),
]);

/** Directives strptime reads and strftime does not write (Splunk documents them for parsing only). */
const PARSE_ONLY_DIRECTIVES: ReadonlySet<string> = new Set([':Z']);

/**
 * Throws `VigilError('TIME_FORMAT')` naming the first unknown directive of `format` (for `use`: strftime's
 * 'format', strptime's 'parse'). strftime/strptime do not call this (they degrade like C); use it to lint
 * literal formats.
 */
export function validateTimeFormat(format: string, use: 'format' | 'parse' = 'format'): void {
  for (const token of tokenize(format)) {
    if (token.kind === 'literal') continue;
    if (token.kind === 'directive' && KNOWN_DIRECTIVES.has(token.name)) continue;
    if (token.kind === 'directive' && use === 'parse' && PARSE_ONLY_DIRECTIVES.has(token.name)) continue;
    const bad = token.kind === 'unknown' ? token.source : `%${token.name}`;
    throw new VigilError('TIME_FORMAT', `unknown time format directive '${bad}' at offset ${token.offset} in "${format}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// strftime
// ---------------------------------------------------------------------------------------------

interface FormatContext {
  w: WallClock;
  /** Whole epoch seconds consistent with `w` (microseconds rounded the same way). */
  seconds: number;
  tz: string;
}

type Piece = string | ((c: FormatContext) => string);

const pad2 = (n: number): string => (n < 10 && n >= 0 ? `0${n}` : String(n));
const pad3 = (n: number): string => String(n).padStart(3, '0');
const space2 = (n: number): string => (n < 10 ? ` ${n}` : String(n));
const hour12 = (h: number): number => (h % 12 === 0 ? 12 : h % 12);

function subsecondDigits(micro: number, digits: number): string {
  const six = String(micro).padStart(6, '0');
  // Truncate (never round) to the requested precision; we only hold microseconds, so longer
  // precisions are zero-filled.
  return digits <= 6 ? six.slice(0, digits) : six + '0'.repeat(digits - 6);
}

/**
 * `+hhmm` (`z`), `+hh:mm` (`:z`), `+hh:mm:ss` (`::z`), `+hh[:mm[:ss]]` as short as exact
 * (`:::z`, GNU date), or Splunk's `%Ez` "timezone in minutes" as a signed minute count.
 */
function formatOffset(offset: number, style: string): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hh = pad2(Math.floor(abs / 3600));
  const mm = pad2(Math.floor((abs % 3600) / 60));
  const ss = pad2(abs % 60);
  switch (style) {
    case ':z':
      return `${sign}${hh}:${mm}`;
    case '::z':
      return `${sign}${hh}:${mm}:${ss}`;
    case ':::z':
      if (abs % 60 !== 0) return `${sign}${hh}:${mm}:${ss}`;
      return abs % 3600 !== 0 ? `${sign}${hh}:${mm}` : `${sign}${hh}`;
    case 'Ez':
      return `${sign}${Math.trunc(abs / 60)}`;
    default:
      return `${sign}${hh}${mm}`;
  }
}

/** ISO 8601 week-numbering year and week of a wall-clock date. */
function isoWeek(w: WallClock): { year: number; week: number } {
  const mondayBased = (w.weekday + 6) % 7;
  // The ISO week belongs to the year that contains its Thursday.
  let yday = w.yearDay - mondayBased + 3;
  let year = w.year;
  if (yday < 1) {
    year -= 1;
    yday += isLeapYear(year) ? 366 : 365;
  } else {
    const length = isLeapYear(year) ? 366 : 365;
    if (yday > length) {
      yday -= length;
      year += 1;
    }
  }
  return { year, week: Math.floor((yday - 1) / 7) + 1 };
}

const FORMATTERS: Readonly<Record<string, (c: FormatContext) => string>> = {
  Y: (c) => String(c.w.year),
  C: (c) => pad2(Math.floor(c.w.year / 100)),
  y: (c) => pad2(((c.w.year % 100) + 100) % 100),
  m: (c) => pad2(c.w.month),
  d: (c) => pad2(c.w.day),
  e: (c) => space2(c.w.day),
  j: (c) => pad3(c.w.yearDay),
  H: (c) => pad2(c.w.hour),
  k: (c) => space2(c.w.hour),
  I: (c) => pad2(hour12(c.w.hour)),
  l: (c) => space2(hour12(c.w.hour)),
  M: (c) => pad2(c.w.minute),
  S: (c) => pad2(c.w.second),
  p: (c) => (c.w.hour < 12 ? 'AM' : 'PM'),
  P: (c) => (c.w.hour < 12 ? 'am' : 'pm'),
  a: (c) => (WEEKDAY_NAMES[c.w.weekday] as string).slice(0, 3),
  A: (c) => WEEKDAY_NAMES[c.w.weekday] as string,
  b: (c) => (MONTH_NAMES[c.w.month - 1] as string).slice(0, 3),
  h: (c) => (MONTH_NAMES[c.w.month - 1] as string).slice(0, 3),
  B: (c) => MONTH_NAMES[c.w.month - 1] as string,
  u: (c) => String(c.w.weekday === 0 ? 7 : c.w.weekday),
  w: (c) => String(c.w.weekday),
  U: (c) => pad2(Math.floor((c.w.yearDay - 1 + 7 - c.w.weekday) / 7)),
  W: (c) => pad2(Math.floor((c.w.yearDay - 1 + 7 - ((c.w.weekday + 6) % 7)) / 7)),
  V: (c) => pad2(isoWeek(c.w).week),
  G: (c) => String(isoWeek(c.w).year),
  g: (c) => pad2(((isoWeek(c.w).year % 100) + 100) % 100),
  Z: (c) => zoneAbbreviation(c.seconds, c.tz),
  z: (c) => formatOffset(c.w.offsetSeconds, 'z'),
  ':z': (c) => formatOffset(c.w.offsetSeconds, ':z'),
  '::z': (c) => formatOffset(c.w.offsetSeconds, '::z'),
  ':::z': (c) => formatOffset(c.w.offsetSeconds, ':::z'),
  Ez: (c) => formatOffset(c.w.offsetSeconds, 'Ez'),
  s: (c) => String(c.seconds),
  n: () => '\n',
  t: () => '\t',
};

/**
 * Texts kept per compiled output format without sub-second directives, in a table indexed by the whole
 * second's low bits (direct-mapped, 256 slots). Such a text depends only on the whole second and the zone
 * (the zone's offset and abbreviation are functions of the UTC second), so a slot holding the same second
 * and zone is exact. Several slots, not one: a row carries several times (Late Process Execution formats
 * ProcessStartTime, then ContainerTime5min, with one format), and a single last text missed on each.
 */
const TEXT_SLOTS = 256;

/** A compiled output format. */
interface OutputFormat {
  pieces: Piece[];
  /** Scratch for the pieces' texts, joined: one flat string where `+=` built a tree of ~5 cons strings (~300 B kept per formatted time by each output row). */
  texts: string[];
  subsecond: boolean;
  /** The memo (see TEXT_SLOTS), made on first use: the second each slot holds (NaN: empty), its zone and text. */
  slotSeconds: Float64Array | null;
  slotTz: string[];
  slotText: string[];
}

const compileFormat = memo((format: string): OutputFormat => {
  const pieces: Piece[] = [];
  let subsecond = false;
  const push = (piece: Piece): void => {
    const last = pieces[pieces.length - 1];
    // Merge adjacent literals so formatting is one concat per directive.
    if (typeof piece === 'string' && typeof last === 'string') pieces[pieces.length - 1] = last + piece;
    else pieces.push(piece);
  };
  for (const token of expandedTokens(format)) {
    if (token.kind === 'literal') {
      push(token.text);
    } else if (token.kind === 'unknown') {
      push(token.source);
    } else if (token.name === 'Q' || token.name === 'N' || token.name === 'f') {
      const digits = token.digits ?? (DEFAULT_SUBSECOND_DIGITS[token.name] as number);
      subsecond = true;
      push((c) => subsecondDigits(c.w.micro, digits));
    } else {
      const fn = FORMATTERS[token.name];
      // Unknown letters are echoed like glibc does ("%q" → "%q").
      push(fn ?? `%${token.name}`);
    }
  }
  return { pieces, texts: pieces.map(() => ''), subsecond, slotSeconds: null, slotTz: [], slotText: [] };
});

/**
 * Formats an epoch (seconds, fractional) as wall-clock time in `tz`.
 * Throws a RangeError for a non-finite epoch: callers turn null/NaN into null before.
 */
export function strftime(epoch: number, format: string, tz: string = DEFAULT_TIME_ZONE): string {
  if (!Number.isFinite(epoch)) throw new RangeError(`strftime: epoch must be a finite number, got ${epoch}`);
  const f = compileFormat(format);
  const { seconds } = splitMicros(epoch);
  // ToInt32 wraps any finite number, negative epochs included, onto the table.
  const slot = seconds & (TEXT_SLOTS - 1);
  if (!f.subsecond && f.slotSeconds !== null && f.slotSeconds[slot] === seconds && f.slotTz[slot] === tz) return f.slotText[slot] as string;
  const context: FormatContext = { w: toWallClock(epoch, tz), seconds, tz };
  const { pieces, texts } = f;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    texts[i] = typeof piece === 'string' ? piece : piece(context);
  }
  const out = texts.join('');
  if (!f.subsecond) {
    f.slotSeconds ??= new Float64Array(TEXT_SLOTS).fill(Number.NaN);
    f.slotSeconds[slot] = seconds;
    f.slotTz[slot] = tz;
    f.slotText[slot] = out;
  }
  return out;
}

/** `convert ctime()`: strftime with convert's default `timeformat`. */
export function formatCtime(epoch: number, timeformat: string = CTIME_DEFAULT_FORMAT, tz: string = DEFAULT_TIME_ZONE): string {
  return strftime(epoch, timeformat, tz);
}

// ---------------------------------------------------------------------------------------------
// strptime
// ---------------------------------------------------------------------------------------------

/** Fields collected while parsing; assembled into an epoch at the end. */
interface ParseState {
  year?: number;
  century?: number;
  yy?: number;
  month?: number;
  day?: number;
  yday?: number;
  hour?: number;
  hour12?: number;
  pm?: boolean;
  minute?: number;
  second?: number;
  micro?: number;
  /** Fixed UTC offset from %z / %Ez / a known %Z abbreviation. */
  offset?: number;
  /** IANA zone named by %Z. */
  zone?: string;
  /** %s */
  epoch?: number;
  /** Scratch slot for the last number read (avoids allocating a tuple per field). */
  n: number;
}

/** A parse step: returns the new input position, or -1 when the input does not match. */
type Step = (s: string, pos: number, st: ParseState) => number;

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
const isSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13);

function skipSpaces(s: string, pos: number): number {
  while (pos < s.length && isSpace(s.charCodeAt(pos))) pos += 1;
  return pos;
}

/**
 * glibc's `get_number`: skips leading white space, reads at most `width` digits, and stops
 * early once another digit would exceed `max` (so `%m` accepts "5" and reads only "1" of
 * "1" + "9"). Leading zeros are optional, as Splunk's docs say for %H, %I and %M.
 */
function readNumber(s: string, pos: number, st: ParseState, width: number, min: number, max: number): number {
  pos = skipSpaces(s, pos);
  let code = s.charCodeAt(pos);
  if (!isDigit(code)) return -1;
  let value = 0;
  let left = width;
  do {
    value = value * 10 + (code - 48);
    pos += 1;
    code = s.charCodeAt(pos);
    left -= 1;
  } while (left > 0 && value * 10 <= max && isDigit(code));
  if (value < min || value > max) return -1;
  st.n = value;
  return pos;
}

function numberStep(width: number, min: number, max: number, store: (st: ParseState, value: number) => void): Step {
  return (s, pos, st) => {
    const next = readNumber(s, pos, st, width, min, max);
    if (next >= 0) store(st, st.n);
    return next;
  };
}

/** Matches one of `names` case-insensitively, full names before abbreviations; stores its index. */
function nameStep(names: readonly string[], store: (st: ParseState, index: number) => void): Step {
  const candidates: Array<{ text: string; index: number }> = [];
  names.forEach((name, index) => candidates.push({ text: name.toLowerCase(), index }));
  names.forEach((name, index) => candidates.push({ text: name.slice(0, 3).toLowerCase(), index }));
  return (s, pos, st) => {
    for (const { text, index } of candidates) {
      if (s.slice(pos, pos + text.length).toLowerCase() === text) {
        store(st, index);
        return pos + text.length;
      }
    }
    return -1;
  };
}

/** Reads 1..`digits` digits as a decimal fraction, truncated to microseconds. */
function subsecondStep(digits: number): Step {
  return (s, pos, st) => {
    let end = pos;
    while (end - pos < digits && isDigit(s.charCodeAt(end))) end += 1;
    if (end === pos) return -1;
    // The first six digits, zero-filled: read in place (a slice and a pad per call showed in the pack's profile).
    let micro = 0;
    for (let i = pos; i < pos + 6; i++) micro = micro * 10 + (i < end ? s.charCodeAt(i) - 48 : 0);
    st.micro = micro;
    return end;
  };
}

function twoDigits(s: string, pos: number): number {
  const a = s.charCodeAt(pos);
  const b = s.charCodeAt(pos + 1);
  return isDigit(a) && isDigit(b) ? (a - 48) * 10 + (b - 48) : -1;
}

/** `Z`, `+hh`, `+hhmm`, `+hh:mm`, and with seconds `+hhmmss` / `+hh:mm:ss`. */
const offsetStep: Step = (s, pos, st) => {
  const first = s[pos];
  if (first === 'Z' || first === 'z') {
    st.offset = 0;
    return pos + 1;
  }
  if (first !== '+' && first !== '-') return -1;
  pos += 1;
  const hours = twoDigits(s, pos);
  if (hours < 0 || hours > 24) return -1;
  pos += 2;
  let total = hours * 3600;
  for (const scale of [60, 1]) {
    const colon = s[pos] === ':' ? 1 : 0;
    const value = twoDigits(s, pos + colon);
    if (value < 0 || value > 59) break;
    total += value * scale;
    pos += colon + 2;
  }
  st.offset = first === '-' ? -total : total;
  return pos;
};

/** Splunk's `%Ez`: a signed offset in minutes (see formatOffset). */
const minutesOffsetStep: Step = (s, pos, st) => {
  const sign = s[pos] === '-' ? -1 : 1;
  if (s[pos] === '+' || s[pos] === '-') pos += 1;
  const next = readNumber(s, pos, st, 4, 0, 1440);
  if (next < 0) return -1;
  st.offset = sign * st.n * 60;
  return next;
};

/**
 * Abbreviations %Z understands (offset in hours). Ambiguous ones (IST, CST in Asia …) are left
 * out on purpose: better null than a silently wrong instant.
 */
const ZONE_ABBREVIATIONS: Readonly<Record<string, number>> = {
  UTC: 0,
  UT: 0,
  GMT: 0,
  Z: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
  AKST: -9,
  AKDT: -8,
  HST: -10,
  WET: 0,
  WEST: 1,
  BST: 1,
  CET: 1,
  CEST: 2,
  EET: 2,
  EEST: 3,
  MSK: 3,
  JST: 9,
  KST: 9,
  AEST: 10,
  AEDT: 11,
};

/** `%Z`: a known abbreviation, a numeric tzdata-style name (`+09`), or an IANA name with a '/'. */
const ZONE_NAME = /[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)*/y;

const zoneNameStep: Step = (s, pos, st) => {
  if (s[pos] === '+' || s[pos] === '-') return offsetStep(s, pos, st);
  ZONE_NAME.lastIndex = pos;
  const found = ZONE_NAME.exec(s);
  if (found === null) return -1;
  const name = found[0];
  const hours = ZONE_ABBREVIATIONS[name.toUpperCase()];
  if (hours !== undefined) {
    st.offset = hours * 3600;
  } else if (name.includes('/') && isValidTimeZone(name)) {
    st.zone = name;
  } else {
    return -1;
  }
  return pos + name.length;
};

/**
 * `%:Z`: a zone name with its offset, `GMT-0700` (Date and time format variables: "To parse timestamps with GMT and
 * an offset ... such as Fri Apr 29 2022 23:45:22 GMT-0700, you might need to use %:Z to capture both"). The offset
 * after the name is the time's; a name alone is read as %Z reads it (%Z stops at the name: `GMT-0700` was GMT).
 */
const zoneNameOffsetStep: Step = (s, pos, st) => {
  ZONE_NAME.lastIndex = pos;
  const found = s[pos] === '+' || s[pos] === '-' ? null : ZONE_NAME.exec(s);
  if (found !== null) {
    const end = pos + found[0].length;
    if (s[end] === '+' || s[end] === '-') {
      const next = offsetStep(s, end, st);
      if (next >= 0) return next;
    }
  }
  return zoneNameStep(s, pos, st);
};

/** `%s`: every digit, or at most `maxDigits` (see compileSteps). */
function epochStep(maxDigits: number): Step {
  return (s, pos, st) => {
    pos = skipSpaces(s, pos);
    const negative = s[pos] === '-';
    if (negative) pos += 1;
    const start = pos;
    while (pos - start < maxDigits && isDigit(s.charCodeAt(pos))) pos += 1;
    if (pos === start) return -1;
    const value = Number(s.slice(start, pos));
    st.epoch = negative ? -value : value;
    return pos;
  };
}

const ampmStep: Step = (s, pos, st) => {
  const text = s.slice(pos, pos + 2).toUpperCase();
  if (text !== 'AM' && text !== 'PM') return -1;
  st.pm = text === 'PM';
  return pos + 2;
};

const whitespaceStep: Step = (s, pos) => skipSpaces(s, pos);
const failStep: Step = () => -1;
const ignore = (): void => {};

const PARSERS: Readonly<Record<string, Step>> = {
  Y: numberStep(4, 0, 9999, (st, v) => (st.year = v)),
  C: numberStep(2, 0, 99, (st, v) => (st.century = v)),
  y: numberStep(2, 0, 99, (st, v) => (st.yy = v)),
  m: numberStep(2, 1, 12, (st, v) => (st.month = v)),
  d: numberStep(2, 1, 31, (st, v) => (st.day = v)),
  e: numberStep(2, 1, 31, (st, v) => (st.day = v)),
  j: numberStep(3, 1, 366, (st, v) => (st.yday = v)),
  H: numberStep(2, 0, 23, (st, v) => (st.hour = v)),
  k: numberStep(2, 0, 23, (st, v) => (st.hour = v)),
  I: numberStep(2, 1, 12, (st, v) => (st.hour12 = v)),
  l: numberStep(2, 1, 12, (st, v) => (st.hour12 = v)),
  M: numberStep(2, 0, 59, (st, v) => (st.minute = v)),
  // 60 admits a leap second; it normalises into the next minute.
  S: numberStep(2, 0, 60, (st, v) => (st.second = v)),
  p: ampmStep,
  P: ampmStep,
  // Week-based fields are consumed but do not contribute to the date (see CONTEXT.md).
  a: nameStep(WEEKDAY_NAMES, ignore),
  A: nameStep(WEEKDAY_NAMES, ignore),
  b: nameStep(MONTH_NAMES, (st, i) => (st.month = i + 1)),
  B: nameStep(MONTH_NAMES, (st, i) => (st.month = i + 1)),
  h: nameStep(MONTH_NAMES, (st, i) => (st.month = i + 1)),
  u: numberStep(1, 1, 7, ignore),
  w: numberStep(1, 0, 6, ignore),
  U: numberStep(2, 0, 53, ignore),
  W: numberStep(2, 0, 53, ignore),
  V: numberStep(2, 1, 53, ignore),
  G: numberStep(4, 0, 9999, ignore),
  g: numberStep(2, 0, 99, ignore),
  z: offsetStep,
  ':z': offsetStep,
  '::z': offsetStep,
  ':::z': offsetStep,
  Ez: minutesOffsetStep,
  Z: zoneNameStep,
  ':Z': zoneNameOffsetStep,
  s: epochStep(Infinity),
  n: whitespaceStep,
  t: whitespaceStep,
};

/** A literal run of the format: white space matches any (even no) white space, the rest exactly. */
function literalStep(text: string): Step {
  return (s, pos) => {
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (isSpace(code)) {
        pos = skipSpaces(s, pos);
      } else if (s.charCodeAt(pos) === code) {
        pos += 1;
      } else {
        return -1;
      }
    }
    return pos;
  };
}

const isSubsecond = (t: Token | undefined): boolean =>
  t !== undefined && t.kind === 'directive' && (t.name === 'Q' || t.name === 'N' || t.name === 'f');

/** Ten digits: epoch seconds until 2286, so `%s%3N` reads a 13-digit epoch in milliseconds as Splunk's TIME_FORMAT does. */
const epochBeforeSubsecondStep = epochStep(10);

/** The tokens' steps; `%s` directly before a sub-second field leaves it the digits after the tenth. */
function compileSteps(tokens: Token[]): Step[] {
  return tokens.map((t, i) =>
    t.kind === 'directive' && t.name === 's' && isSubsecond(tokens[i + 1]) ? epochBeforeSubsecondStep : compileStep(t),
  );
}

function compileStep(token: Token): Step {
  if (token.kind === 'literal') return literalStep(token.text);
  if (token.kind === 'unknown') return failStep;
  if (token.name === 'Q' || token.name === 'N' || token.name === 'f') {
    return subsecondStep(token.digits ?? (DEFAULT_SUBSECOND_DIGITS[token.name] as number));
  }
  return PARSERS[token.name] ?? failStep;
}

/** Slots of a FixedPrefix's memo, indexed by the low bits of minute·60 + second. */
const BASE_SLOTS = 128;

/**
 * A format that starts `%Y<c>%m<c>%d<c>%H<c>%M<c>%S`, each <c> one character that is neither white space
 * nor a digit (ISO's `%Y-%m-%dT%H:%M:%S`). On a text whose first 19 characters have that shape with every
 * field in range, the steps would read exactly those characters into the same six fields (two digits within
 * a field's maximum are read whole), so they are read at their positions and the rest of the format goes on
 * at 19. Any other text takes the steps.
 */
interface FixedPrefix {
  /** Char codes of the five separators. */
  separators: number[];
  /** The steps after `%S`. */
  rest: Step[];
  /**
   * The rest sets only sub-seconds: the result is the whole second's instant in the zone plus the fraction,
   * and that instant is memoized per (fields, zone) — the same sum `assemble` makes.
   */
  onlySubseconds: boolean;
  /** The memo: fields as one decimal number (NaN: empty), the zone, the instant (NaN: no such day). */
  slotKey: Float64Array;
  slotTz: string[];
  slotBase: Float64Array;
}

interface Parser {
  steps: Step[];
  prefix: FixedPrefix | null;
}

const PREFIX_FIELDS = ['Y', 'm', 'd', 'H', 'M', 'S'];

function fixedPrefix(tokens: Token[]): FixedPrefix | null {
  const separators: number[] = [];
  for (let i = 0; i < 11; i++) {
    const token = tokens[i];
    if (token === undefined) return null;
    if (i % 2 === 0) {
      if (token.kind !== 'directive' || token.name !== PREFIX_FIELDS[i / 2]) return null;
    } else {
      if (token.kind !== 'literal' || token.text.length !== 1) return null;
      const code = token.text.charCodeAt(0);
      if (isSpace(code) || isDigit(code)) return null;
      separators.push(code);
    }
  }
  const restTokens = tokens.slice(11);
  return {
    separators,
    rest: compileSteps(restTokens),
    onlySubseconds: restTokens.every((t) => t.kind === 'literal' || isSubsecond(t)),
    slotKey: new Float64Array(BASE_SLOTS).fill(Number.NaN),
    slotTz: [],
    slotBase: new Float64Array(BASE_SLOTS),
  };
}

const compileParser = memo((format: string): Parser => {
  const tokens = expandedTokens(format);
  return { steps: compileSteps(tokens), prefix: fixedPrefix(tokens) };
});

/** Two digits at `pos` within [min, max], or -1. */
function field2(s: string, pos: number, min: number, max: number): number {
  const value = twoDigits(s, pos);
  return value >= min && value <= max ? value : -1;
}

/** Reads a FixedPrefix's 19 characters into `st`; false when the text does not have its shape. */
function readFixedPrefix(s: string, separators: number[], st: ParseState): boolean {
  const hi = twoDigits(s, 0);
  const lo = twoDigits(s, 2);
  const month = field2(s, 5, 1, 12);
  const day = field2(s, 8, 1, 31);
  const hour = field2(s, 11, 0, 23);
  const minute = field2(s, 14, 0, 59);
  // 60 admits a leap second, as the `S` step does.
  const second = field2(s, 17, 0, 60);
  if ((hi | lo | month | day | hour | minute | second) < 0) return false;
  for (let i = 0; i < 5; i++) if (s.charCodeAt(4 + 3 * i) !== separators[i]) return false;
  st.year = hi * 100 + lo;
  st.month = month;
  st.day = day;
  st.hour = hour;
  st.minute = minute;
  st.second = second;
  return true;
}

function assemble(st: ParseState, tz: string): number | null {
  const fraction = (st.micro ?? 0) / 1e6;
  // %s fixes the instant; other date fields are ignored (only sub-seconds add to it).
  if (st.epoch !== undefined) return st.epoch + fraction;

  let year: number;
  if (st.year !== undefined) year = st.year;
  else if (st.yy !== undefined) year = st.century !== undefined ? st.century * 100 + st.yy : st.yy < 69 ? 2000 + st.yy : 1900 + st.yy;
  else if (st.century !== undefined) year = st.century * 100;
  else year = 1970; // no year in the text: the epoch's year, like a zeroed C struct tm

  let month = 1;
  let day = 1;
  if (st.month !== undefined || st.day !== undefined) {
    month = st.month ?? 1;
    day = st.day ?? 1;
  } else if (st.yday !== undefined) {
    if (st.yday > (isLeapYear(year) ? 366 : 365)) return null;
    ({ month, day } = civilFromDays(daysFromCivil(year, 1, 1) + st.yday - 1));
  }
  // Reject impossible dates (Feb 30) instead of rolling them over like mktime.
  if (day > daysInMonth(year, month)) return null;

  const hour = st.hour12 !== undefined ? (st.hour12 % 12) + (st.pm === true ? 12 : 0) : (st.hour ?? 0);
  const minute = st.minute ?? 0;
  const second = st.second ?? 0;

  if (st.offset !== undefined) {
    const local = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    return local - st.offset + fraction;
  }
  return fromWallClock({ year, month, day, hour, minute, second, micro: st.micro ?? 0 }, st.zone ?? tz);
}

/** Where the latest `parseTime` stopped: `strptimePrefix`'s `end`, without an object per `strptime` call. */
let parsedEnd = 0;

function parseTime(text: string, format: string, tz: string): number | null {
  const { steps, prefix } = compileParser(format);
  const st: ParseState = { n: 0 };
  const fixed = prefix !== null && readFixedPrefix(text, prefix.separators, st);
  let pos = fixed ? 19 : 0;
  for (const step of fixed ? prefix.rest : steps) {
    pos = step(text, pos, st);
    if (pos < 0) return null;
  }
  parsedEnd = pos;
  if (!fixed || !prefix.onlySubseconds) return assemble(st, tz);
  const micro = st.micro ?? 0;
  const minute = st.minute as number;
  const second = st.second as number;
  const key = ((((st.year as number) * 100 + (st.month as number)) * 100 + (st.day as number)) * 100 + (st.hour as number)) * 1e4 + minute * 100 + second;
  const slot = (minute * 60 + second) & (BASE_SLOTS - 1);
  let base: number;
  if (prefix.slotKey[slot] === key && prefix.slotTz[slot] === tz) {
    base = prefix.slotBase[slot] as number;
  } else {
    // The whole second's instant (no sub-seconds), or NaN when the day does not exist.
    st.micro = undefined;
    base = assemble(st, tz) ?? Number.NaN;
    prefix.slotKey[slot] = key;
    prefix.slotTz[slot] = tz;
    prefix.slotBase[slot] = base;
  }
  return Number.isNaN(base) ? null : base + micro / 1e6;
}

/**
 * Like `strptime`, but also reports how much of `text` the format consumed (`end`), for
 * callers that need the whole text to match (absolute time modifiers).
 */
export function strptimePrefix(text: string, format: string, tz: string = DEFAULT_TIME_ZONE): { epoch: number; end: number } | null {
  const epoch = parseTime(text, format, tz);
  return epoch === null ? null : { epoch, end: parsedEnd };
}

/**
 * Parses `text` with `format` into an epoch (seconds, microsecond precision), or null when it
 * does not match. Literals in the format must match exactly; text left over after the format
 * is ignored (as C strptime / Splunk do). Without %z/%Z/%s the time is read in `tz`.
 */
export function strptime(text: string, format: string, tz: string = DEFAULT_TIME_ZONE): number | null {
  return parseTime(text, format, tz);
}
