import type { Result } from '../events/result.js';
import { strftime } from '../spl/time/format.js';

/** `_time` prints as ISO 8601 with microseconds and the offset of the chosen time zone. */
export const TIME_OUTPUT_FORMAT = '%Y-%m-%dT%H:%M:%S.%6N%:z';

export type JsonResult = Record<string, string | number | (string | number)[]>;

/**
 * A result as JSON, the one representation the CLI, the HTTP API and alert actions share: multivalues
 * are arrays, numbers stay numbers, `_time` is ISO 8601 text in `tz`.
 */
export function resultToJson(r: Result, tz: string): JsonResult {
  const out: JsonResult = {};
  for (const f of r.fieldNames()) {
    const v = r.get(f);
    if (v === null) continue;
    out[f] = f === '_time' && typeof v === 'number' ? strftime(v, TIME_OUTPUT_FORMAT, tz) : Array.isArray(v) ? [...v] : (v as string | number);
  }
  return out;
}

/**
 * `JSON.stringify(resultToJson(r, tz))` without the object in between (`vigil run`'s jsonl, the API's streamed
 * rows, risk events' `_raw`): 216k risk events took ~5 s as objects of ~35 keys then text, as it ~1 s. Fields
 * keep the result's order even when a name is an integer (`"10"`), which an object would move to the front, and a
 * field named `__proto__` is written (an object drops it). `omit`: a field left out (the risk index's `_time`).
 */
export function resultToJsonText(r: Result, tz: string, omit?: string): string {
  return rowText(r, tz, omit, COMPACT);
}

/**
 * The row as it stands in `JSON.stringify(rows, null, 2)` (`--format json`), written like `resultToJsonText`
 * (same order, `__proto__` kept): one level in, so each line after the first starts with two more spaces.
 */
export function resultToIndentedJsonText(r: Result, tz: string): string {
  return rowText(r, tz, undefined, INDENTED);
}

/** What goes between a row's parts: JSON.stringify's compact text, or its 2-space layout of a row in an array. */
interface Layout {
  open: string;
  next: string;
  /** After `"name":`. */
  colon: string;
  mvOpen: string;
  mvNext: string;
  mvClose: string;
  close: string;
}
const COMPACT: Layout = { open: '{', next: ',', colon: '', mvOpen: '[', mvNext: ',', mvClose: ']', close: '}' };
const INDENTED: Layout = { open: '{\n    ', next: ',\n    ', colon: ' ', mvOpen: '[\n      ', mvNext: ',\n      ', mvClose: '\n    ]', close: '\n  }' };

function rowText(r: Result, tz: string, omit: string | undefined, l: Layout): string {
  let out = '';
  for (const f of r.fieldNames()) {
    if (f === omit) continue;
    const v = r.get(f);
    if (v === null) continue;
    let text: string;
    if (f === '_time' && typeof v === 'number') text = `"${timeText(v, tz)}"`;
    else if (typeof v === 'string') text = stringText(v);
    else if (typeof v === 'number') text = numberText(v);
    // JSON.stringify writes an empty array as `[]` in either layout.
    else if (v.length === 0) text = '[]';
    else {
      text = l.mvOpen;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        text += (i === 0 ? '' : l.mvNext) + (typeof x === 'string' ? stringText(x) : numberText(x));
      }
      text += l.mvClose;
    }
    out += (out === '' ? l.open : l.next) + nameText(f) + l.colon + text;
  }
  return out === '' ? '{}' : out + l.close;
}

/** JSON's text of a number: as `String` gives it, `null` for NaN and the infinities. */
function numberText(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/**
 * JSON text of the short strings written lately: rows repeat their values (pods, images, a detection's names and
 * annotations), and a lookup costs less than quoting again (100k risk events: 0.8 -> 0.6 s). Emptied when full.
 */
const STRING_TEXTS = new Map<string, string>();
const MAX_STRING_TEXTS = 8192;
const MAX_CACHED_STRING = 48;

function stringText(s: string): string {
  if (s.length > MAX_CACHED_STRING) return JSON.stringify(s);
  let t = STRING_TEXTS.get(s);
  if (t === undefined) {
    t = JSON.stringify(s);
    if (STRING_TEXTS.size === MAX_STRING_TEXTS) STRING_TEXTS.clear();
    STRING_TEXTS.set(s, t);
  }
  return t;
}

/**
 * `"name":` by field name: rows repeat their names. Names past the cap (hostile rows), or longer than
 * MAX_CACHED_NAME (a name can be megabytes: `spath` of a value's keys), are made each time: kept, they stayed
 * for the life of the thread (a server's search worker).
 */
const NAME_TEXTS = new Map<string, string>();
const MAX_NAME_TEXTS = 4096;
const MAX_CACHED_NAME = 128;

function nameText(f: string): string {
  let t = NAME_TEXTS.get(f);
  if (t === undefined) {
    t = JSON.stringify(f) + ':';
    if (NAME_TEXTS.size < MAX_NAME_TEXTS && f.length <= MAX_CACHED_NAME) NAME_TEXTS.set(f, t);
  }
  return t;
}

/** The last `_time` written, and its text: a detection's risk events share their time (strftime keeps none with `%6N`). */
let lastTime = Number.NaN;
let lastTz = '';
let lastTimeText = '';

function timeText(t: number, tz: string): string {
  if (t !== lastTime || tz !== lastTz) {
    lastTimeText = strftime(t, TIME_OUTPUT_FORMAT, tz);
    lastTime = t;
    lastTz = tz;
  }
  return lastTimeText;
}
