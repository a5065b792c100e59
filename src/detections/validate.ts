import { isAttackId, ATTACK_TECHNIQUES } from './attack.js';
import { MESSAGE_TOKEN } from './risk-message.js';
import { checkSearch, SplError, unknownDatasetFields, type SearchPlan } from '../spl/index.js';
import type { SearchArgs } from '../spl/commands/search.js';
import type { SearchExpr } from '../spl/parse/ast.js';
import { lineColumn, type Span } from '../spl/source.js';
import { callSite, searchPosition } from './search-position.js';
import { mayHave, outputSchema } from '../spl/plan/schema.js';
import type { FieldSchema } from '../spl/commands/types.js';
import { BUNDLED_CONTENT_DIR, type ContentPack } from './content.js';
import { basename, resolve, sep } from 'node:path';
import { resolveAttackData } from './datasets.js';
import { shortestPeriodSeconds } from './cron.js';
import { csvTableWarnings } from './lookup-files.js';
import { ContentError, positionIn, type ContentProblem } from '../yaml/reader.js';

/** Whether a detection's search runs on vigil, and why not. */
export interface DetectionVerdict {
  name: string;
  id: string;
  file: string;
  /** Where its search's first error is in `file` (else where its search starts). */
  line: number;
  column: number;
  runs: boolean;
  /** Why it does not run: its search's first error (`message` names the position in the search). */
  reason?: { code: string; message: string };
}

export interface ValidationReport {
  problems: ContentProblem[];
  counts: { detections: number; runnable: number; macros: number; lookups: number; stories: number };
  /** One verdict per detection, in the pack's order. */
  detections: DetectionVerdict[];
  /** Why detections do not run, grouped (`reason` is the error without its position), most frequent first. */
  reasons: { code: string; reason: string; count: number }[];
}

/**
 * Everything `vigil validate` checks: the loader's schema problems, then per detection that the search
 * expands, parses and uses only supported commands/functions with valid static arguments, plus the lints
 * a detection engineer wants (risk/threat fields and message tokens the results cannot provide, a missing
 * filter macro, unknown ATT&CK ids, stories and datasets that cannot be found).
 */
/**
 * `only`: the files to report on (`vigil validate --no-bundled`: those of the --content directories; the bundled content
 * still loads, as the platform their searches run on: CIM data models, macros such as drop_dm_object_name).
 */
export function validateContent(pack: ContentPack, opts: { datasetsDirs?: readonly string[]; only?: (file: string) => boolean } = {}): ValidationReport {
  const only = opts.only ?? (() => true);
  const problems: ContentProblem[] = [...pack.problems, ...pack.knowledge.checkDataModels()].filter((p) => only(p.file));
  const storyNames = new Set(pack.stories.map((s) => s.name));
  const verdicts: DetectionVerdict[] = [];
  for (const d of pack.detections) {
    if (!only(d.file)) continue;
    const at = (message: string, severity: 'error' | 'warning', code: ContentProblem['code'] = 'CONTENT_LINT', line = d.searchLine, column = 1, file = d.file) =>
      problems.push({ file, line, column, severity, code, message });
    let schema = null;
    const verdict: DetectionVerdict = { name: d.name, id: d.id, file: d.file, line: d.searchLine, column: 1, runs: true };
    verdicts.push(verdict);
    // Non-fatal findings of the search's commands (a data model field the dataset does not have, ...).
    const warnings: { message: string; at: Span | undefined }[] = [];
    try {
      const plan = checkSearch(d.search, {
        macros: pack.macros,
        lookups: pack.lookups,
        knowledge: pack.knowledge,
        name: d.name,
        now: 0,
        onWarning: (message, sp) => warnings.push({ message, at: sp }),
      });
      schema = outputSchema(plan);
      for (const { field, at: sp } of filterFieldsMissing(plan, d.filterMacro, schema)) {
        const loc = plan.pipeline.source.locate(sp.start);
        const pos = searchPosition(d, loc);
        at(`search: filter macro \`${d.filterMacro}\` tests ${field}, which the results do not have (${[...schema.fields].join(', ')}): the test is false on every row (NOT ${field}=... keeps them all), as in Splunk`, 'warning', 'CONTENT_LINT', pos.line, pos.column, pos.file);
      }
      for (const { name: f, hint } of unknownDatasetFields(plan)) {
        // At the field's first mention as a whole name in the search as written (a macro may have brought it in instead).
        const offset = nameIndex(d.search, f);
        const pos = searchPosition(d, offset < 0 ? null : { ...lineColumn(d.search, offset), offset, origin: plan.pipeline.source.root });
        at(`search: tstats reads ${f}, a field its data model dataset does not have: it has no value on any row (as in Splunk)${hint ? `; did you mean ${hint}?` : ''}`, 'warning', 'SPL', pos.line, pos.column);
      }
      for (const w of warnings) {
        const loc = w.at ? plan.pipeline.source.locate(w.at.start) : null;
        const where = loc ? ` (at ${loc.origin.kind === 'macro' ? `macro \`${loc.origin.name}\` ` : ''}${loc.line}:${loc.column})` : '';
        const pos = searchPosition(d, loc);
        at(`search: ${w.message}${where}`, 'warning', 'SPL', pos.line, pos.column, pos.file);
      }
    } catch (e) {
      if (!(e instanceof SplError)) throw e;
      // The problem where it is (a user's macro file, when the error is in that macro); the verdict at the detection.
      const pos = searchPosition(d, e.location());
      at(`search: ${e.format().split('\n').join('\n    ')}`, 'error', 'SPL', pos.line, pos.column, pos.file);
      const here = pos.file === d.file ? pos : searchPosition(d, callSite(e.location()));
      Object.assign(verdict, { line: here.line, column: here.column }, { runs: false, reason: reasonOf(e) });
    }
    if (!d.search.includes(`\`${d.filterMacro}\``)) at(`search does not end with its filter macro \`${d.filterMacro}\``, 'warning');
    // contentctl's ensureFileNameMatchesSearchName: its build refuses a detection whose file is not named after it (a copied
    // detection renamed in its YAML only). vigil's own content is not built by contentctl ("ATT&CK" keeps its "&" there).
    const wanted = contentctlFileName(d.name);
    if (basename(d.file) !== wanted && !resolve(d.file).startsWith(BUNDLED_CONTENT_DIR + sep)) {
      at(`the file of "${d.name}" is ${basename(d.file)}; contentctl requires ${wanted} (the name in lower case, space, -, . and / as _)`, 'warning', 'CONTENT_LINT', 1);
    }
    // contentctl's Detection.name has max_length 67 (constants.py CONTENTCTL_MAX_SEARCH_NAME_LENGTH): ES's saved search is
    // "ESCU - <name> - Rule", and once cloned "<security domain> - ESCU - <name> - Rule - Rule", within ES's 99-character stanzas.
    if (d.name.length > MAX_DETECTION_NAME && !resolve(d.file).startsWith(BUNDLED_CONTENT_DIR + sep)) {
      at(`the name is ${d.name.length} characters; contentctl allows ${MAX_DETECTION_NAME} (ES names the search "ESCU - <name> - Rule" within its 99-character stanzas)`, 'warning', 'CONTENT_LINT', 1);
    }
    // savedsearches.conf.spec, schedule_window: "The 'schedule_window' must be shorter than the period of the search." vigil
    // delays a start by up to the window whatever it is, so a longer one starts runs after the next is due.
    const window = d.schedule.scheduleWindow;
    const period = window !== 'auto' && window > 0 ? shortestPeriodSeconds(d.schedule.cron) : null;
    if (window !== 'auto' && period !== null && window * 60 >= period) {
      at(`schedule_window is ${window} minutes; savedsearches.conf requires it shorter than the period of the search (${period / 60} minutes between runs of "${d.schedule.cron}" at the least): a run may start after the next one is due`, 'warning', 'CONTENT_LINT', 1);
    }
    // contentctl refuses a production detection without tests (tests_validate); a misspelled `tests:` key was silent.
    if (d.status?.toLowerCase() === 'production' && d.type !== 'Correlation' && d.manualTest === null && d.tests.length === 0) {
      at('a production detection needs at least one test (contentctl requires one): no tests: block', 'warning', 'CONTENT_LINT', 1);
    }
    // contentctl (since 4.4, Detection.model_post_init) refuses a production detection that is not Hunting with fewer than
    // 2 drilldown_searches or none holding %original_detection_search%. vigil's own content is not built by contentctl.
    if (d.status?.toLowerCase() === 'production' && d.type !== 'Hunting' && !resolve(d.file).startsWith(BUNDLED_CONTENT_DIR + sep)) {
      const p = d.positions.drilldownSearches;
      const n = d.drilldownSearches.length;
      if (n < 2 || !d.drilldownSearches.some((q) => q.includes(DRILLDOWN_PLACEHOLDER))) {
        const has = n < 2 ? `${n} drilldown_searches` : `no drilldown search holding ${DRILLDOWN_PLACEHOLDER}`;
        at(`a production ${d.type} detection needs 2 drilldown_searches, one holding ${DRILLDOWN_PLACEHOLDER} (contentctl requires them); this one has ${has}`, 'warning', 'CONTENT_LINT', p?.line ?? 1, p?.column ?? 1);
      }
    }
    // A lint points at its value (the search line when a position is missing).
    const valueAt = (message: string, severity: 'error' | 'warning', p: { line: number; column: number } | undefined) =>
      at(message, severity, 'CONTENT_LINT', p?.line ?? d.searchLine, p?.column ?? 1);
    if (schema) {
      const seenMessages = new Set<string>();
      d.riskObjects.forEach((ro, i) => {
        const p = d.positions.riskObjects[i];
        if (!mayHave(schema, ro.field)) valueAt(`risk object field "${ro.field}" is not in the search's results (${[...schema.fields].join(', ')})`, 'error', p);
        // At the token in the message (rba's one message is every risk object's: said once).
        const runs = d.positions.riskMessages[i];
        const key = runs ? `${runs[1]}:${runs[2]}` : ro.message;
        if (seenMessages.has(key)) return;
        seenMessages.add(key);
        for (const m of ro.message.matchAll(MESSAGE_TOKEN)) {
          const t = m[1];
          if (t !== undefined && !mayHave(schema, t)) {
            valueAt(`risk message token $${t}$ is not a field of the results: it will render empty`, 'warning', runs ? positionIn(runs, m.index) : undefined);
          }
        }
      });
      d.threatObjects.forEach((to, i) => {
        if (!mayHave(schema, to.field)) valueAt(`threat object field "${to.field}" is not in the search's results`, 'warning', d.positions.threatObjects[i]);
      });
    }
    d.mitreAttackIds.forEach((id, i) => {
      const p = d.positions.mitreAttackIds[i];
      if (!isAttackId(id)) valueAt(`"${id}" is not an ATT&CK technique id (Txxxx or Txxxx.yyy)`, 'error', p);
      else if (!ATTACK_TECHNIQUES.has(id)) valueAt(`ATT&CK technique ${id} is not in vigil's table of ${ATTACK_TECHNIQUES.size} techniques (src/detections/attack.ts): its risk events get no tactic from it (a typo, or one to add there)`, 'warning', p);
    });
    if (storyNames.size > 0) {
      d.analyticStories.forEach((s, i) => {
        if (!storyNames.has(s)) valueAt(`analytic story "${s}" is not defined in any stories/ directory`, 'warning', d.positions.analyticStories[i]);
      });
    }
    if (opts.datasetsDirs) {
      for (const t of d.tests) {
        for (const a of t.attackData) {
          try {
            resolveAttackData(a.data, opts.datasetsDirs, d.file);
          } catch (e) {
            // contentctl's `data: HttpUrl | FilePath` refuses a path to no file; a URL it would download (vigil cannot).
            const url = /^[a-z]+:\/\//i.test(a.data);
            at(`test "${t.name}": ${(e as Error).message}`, url ? 'warning' : 'error', 'CONTENT_LINT', a.at?.line ?? t.line, a.at?.column ?? 1);
          }
        }
      }
    }
  }
  // Tables are parsed on first use: a broken CSV would otherwise surface only when a run reads it. A table
  // offered under two names (its definition and its file name) is one file: its problem is said once.
  const csvProblems = new Set<string>();
  for (const name of pack.lookups.names()) {
    let found: readonly ContentProblem[] = [];
    try {
      const table = pack.lookups.get(name);
      void table?.fields;
      // A file that is not UTF-8, or with rows not of its header's width, is read, with these warnings.
      if (table) found = csvTableWarnings(table);
    } catch (e) {
      found = [e instanceof ContentError ? e.problem : { file: name, line: 0, column: 0, severity: 'error', code: 'CONTENT_SCHEMA', message: (e as Error).message }];
    }
    for (const problem of found) {
      const key = `${problem.file}:${problem.line}:${problem.column}:${problem.message}`;
      if (!csvProblems.has(key) && only(problem.file)) problems.push(problem);
      csvProblems.add(key);
    }
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return {
    // A broken macro is reported in its own file once, not once per detection that calls it.
    problems: distinctProblems(problems),
    counts: {
      detections: verdicts.length,
      runnable: verdicts.filter((v) => v.runs).length,
      macros: pack.macros.all().length,
      lookups: pack.lookups.names().length,
      stories: pack.stories.length,
    },
    detections: verdicts,
    reasons: groupReasons(verdicts),
  };
}

/** contentctl's longest detection name: 99 - len("endpoint -  - Rule") - len("ESCU -  - Rule"). */
const MAX_DETECTION_NAME = 67;

/** What contentctl replaces with the detection's search in a drilldown (DRILLDOWN_SEARCH_PLACEHOLDER). */
const DRILLDOWN_PLACEHOLDER = '%original_detection_search%';

/** contentctl's contentNameToFileName: the file name a detection must have. */
function contentctlFileName(name: string): string {
  return `${name.replaceAll(' ', '_').replaceAll('-', '_').replaceAll('.', '_').replaceAll('/', '_').toLowerCase()}.yml`;
}

/**
 * The problems with the same place, severity, code and first line of message as an earlier one merged into it (order
 * kept): an error inside a macro differs per caller only in its last line (`in <detection>`), which then names
 * the callers (`in A, B and 6 more`) instead of the error being listed once per caller.
 */
function distinctProblems(problems: readonly ContentProblem[]): ContentProblem[] {
  const first = new Map<string, { problem: ContentProblem; callers: string[] }>();
  const out: ContentProblem[] = [];
  for (const p of problems) {
    const nl = p.message.indexOf('\n');
    const key = JSON.stringify([p.file, p.line, p.column, p.severity, p.code, nl < 0 ? p.message : p.message.slice(0, nl)]);
    const seen = first.get(key);
    const caller = callerOf(p.message);
    if (seen === undefined) {
      const kept = { ...p };
      first.set(key, { problem: kept, callers: caller === null ? [] : [caller] });
      out.push(kept);
    } else if (caller !== null && seen.callers.length > 0) {
      seen.callers.push(caller);
      const n = seen.callers.length;
      const names = n <= MAX_CALLERS_NAMED ? seen.callers.join(', ') : `${seen.callers.slice(0, MAX_CALLERS_NAMED).join(', ')} and ${n - MAX_CALLERS_NAMED} more`;
      seen.problem.message = `${p.message.slice(0, p.message.lastIndexOf('\n'))}\n      in ${names}`;
    }
  }
  return out;
}

/** Detections a merged problem names at most. */
const MAX_CALLERS_NAMED = 10;

/** The detection a problem's last line names (`      in <detection>`), or null. */
function callerOf(message: string): string | null {
  const nl = message.lastIndexOf('\n');
  if (nl < 0) return null;
  const last = message.slice(nl + 1).trimStart();
  return last.startsWith('in ') ? last.slice(3) : null;
}

/**
 * Fields the `search` commands of a detection's filter macro compare that its results cannot have. The filter runs
 * after the detection's `stats`: a field its `by` clause dropped (`NOT pod_namespace IN (...)` after `stats ... by
 * pod_name`) filters nothing, silently (the README's own example did).
 */
function filterFieldsMissing(plan: SearchPlan, filterMacro: string, schema: FieldSchema): { field: string; at: Span }[] {
  const out: { field: string; at: Span }[] = [];
  const visit = (e: SearchExpr): void => {
    if (e.kind === 'and' || e.kind === 'or') e.items.forEach(visit);
    else if (e.kind === 'not') visit(e.expr);
    else if ((e.kind === 'compare' || e.kind === 'in') && !e.field.includes('*') && !mayHave(schema, e.field)) out.push({ field: e.field, at: e.fieldSpan });
  };
  const inFilter = (sp: Span) => {
    for (let o = plan.pipeline.source.locate(sp.start).origin; o.kind === 'macro'; o = o.parent) if (o.name === filterMacro) return true;
    return false;
  };
  for (const s of plan.stages) {
    const expr = s.command.name === 'search' ? (s.command.args as SearchArgs).expr : null;
    if (expr && inFilter(s.command.span)) visit(expr);
  }
  return out;
}

/** Where `name` is in `text` as a field name (between separators, not inside a longer name or a value), or -1. */
function nameIndex(text: string, name: string): number {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
    const before = text[i - 1];
    const after = text[i + name.length];
    if ((before === undefined || /[\s(,]/.test(before)) && (after === undefined || /[\s),=!<>]/.test(after))) return i;
  }
  return -1;
}

/** A search's error as the reason it does not run: the message and where it is in the search (`... [CODE] at 1:49`). */
export function reasonOf(e: SplError): { code: string; message: string } {
  return { code: e.code, message: e.format().split('\n').slice(0, 2).map((l) => l.trim()).join(' ') };
}

/**
 * The reasons of the detections that do not run, grouped by code and message without its position and
 * trailing hint (`unknown lookup table "x" (known: ...)` counts as `unknown lookup table "x"`).
 */
export function groupReasons(verdicts: readonly Pick<DetectionVerdict, 'reason'>[]): ValidationReport['reasons'] {
  const groups = new Map<string, { code: string; reason: string; count: number }>();
  for (const v of verdicts) {
    if (!v.reason) continue;
    const reason = v.reason.message.replace(/ \[[A-Z_]+\].*$/, '').replace(/ \([^()]*\)$/, '');
    const k = `${v.reason.code}\u0000${reason}`;
    const g = groups.get(k);
    if (g) g.count++;
    else groups.set(k, { code: v.reason.code, reason, count: 1 });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}
