import { join } from 'node:path';
import type { Hono } from 'hono';
import { stringify } from 'yaml';
import { findDetection, type ContentPack } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { DEFAULT_FILTER, filterAddsWriters, filterSavedIn, FILTER_WRITES_REFUSAL } from '../detections/filter-writers.js';
import { resultToJson } from '../outputs/json.js';
import { tacticsOf } from '../detections/attack.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import type { RunRecord } from '../store/types.js';
import { checkSearch, MacroLibrary, SplError, type MacroDefinition, type SearchPlan } from '../spl/index.js';
import { expandMacros } from '../spl/macros/macros.js';
import { MAX_PREVIEW_ROWS, type DetectionDetail, type DetectionSummary, type FilterMacro, type FilterPreview, type JsonRow } from './api-types.js';
import { errorJson, fail, isSearchLimit, jsonBody, searchExecutor, searchTimeoutMs, splErrorJson, timeRange, type ApiDeps, type ApiEnv } from './context.js';
import { createPrivateDir, writePrivateFile } from '../store/file-modes.js';

const MAX_FILTER_CHARS = 20_000;

function filterMacro(pack: ContentPack, d: Detection, userDir: string | null | undefined): FilterMacro {
  const m = pack.macros.get(d.filterMacro, 0);
  const file = m?.file ?? null;
  const custom = userDir !== null && userDir !== undefined && filterSavedIn(pack, d, userDir);
  return { name: d.filterMacro, definition: m?.definition ?? DEFAULT_FILTER, file, custom };
}

/** Detections: list, detail, enable/disable, the `_filter` macro (read, validate, preview, save). */
export function detectionsRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const now = deps.now ?? (() => Date.now() / 1000);
  const tz = deps.tz ?? 'UTC';

  const summaries = async (pack: ContentPack, t: number, ds: readonly Detection[]): Promise<DetectionSummary[]> => {
    const enabled = new Set((deps.scheduler?.enabledDetections() ?? []).map((d) => d.id));
    const recent = (await deps.state?.runs({ since: t - 86400 })) ?? [];
    const per = new Map<string, DetectionSummary['last24h']>();
    for (const r of recent) {
      const s = per.get(r.detectionId) ?? { runs: 0, results: 0, riskEvents: 0, findings: 0, failures: 0 };
      s.runs++;
      s.results += r.resultCount;
      s.riskEvents += r.riskEventCount;
      s.findings += r.findingCount;
      if (r.status === 'failed' || r.status === 'timeout') s.failures++;
      per.set(r.detectionId, s);
    }
    // One detection's reads do not wait for another's (a remote state store answers them concurrently).
    return Promise.all(ds.map(async (d) => {
      const on = enabled.has(d.id);
      const [next, lastRun] = await Promise.all([on ? (deps.scheduler?.nextRunOf(d, t) ?? null) : null, deps.state?.lastRun(d.id) ?? null]);
      return {
        id: d.id,
        name: d.name,
        type: d.type,
        enabled: on,
        cron: d.schedule.cron,
        earliest: d.schedule.earliest,
        latest: d.schedule.latest,
        mode: deps.scheduler?.modeOf(d) ?? d.schedule.mode,
        nextRun: next?.startAt ?? null,
        lastRun,
        last24h: per.get(d.id) ?? { runs: 0, results: 0, riskEvents: 0, findings: 0, failures: 0 },
        techniques: d.mitreAttackIds,
        stories: d.analyticStories,
        filtered: filterMacro(pack, d, deps.userContentDir).definition.trim() !== DEFAULT_FILTER,
      };
    }));
  };

  const lookup = (key: string): { pack: ContentPack; d: Detection } | null => {
    const pack = deps.content();
    const d = findDetection(pack, key);
    return d ? { pack, d } : null;
  };

  app.get('/api/detections', async (c) => {
    const pack = deps.content();
    return c.json({ detections: await summaries(pack, now(), pack.detections) });
  });

  app.get('/api/detections/:id', async (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    const { pack, d } = got;
    const [summary] = await summaries(pack, now(), [d]);
    const runs: RunRecord[] = (await deps.state?.runs({ detectionId: d.id, limit: 100 })) ?? [];
    const body: DetectionDetail = {
      ...summary!,
      description: d.description,
      search: d.search,
      status: d.status,
      author: d.author,
      version: d.version,
      date: d.date,
      dataSource: d.dataSource,
      references: d.references,
      knownFalsePositives: d.knownFalsePositives,
      howToImplement: d.howToImplement,
      riskObjects: d.riskObjects,
      threatObjects: d.threatObjects,
      attack: d.mitreAttackIds.map((id) => ({ id, tactics: tacticsOf(id) })),
      throttle: d.throttle,
      filterMacro: filterMacro(pack, d, deps.userContentDir),
      runs,
      file: d.file,
    };
    return c.json(body);
  });

  app.patch('/api/detections/:id', async (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    const body = await jsonBody(c);
    if (!body || typeof body['enabled'] !== 'boolean') return fail(c, 400, 'USAGE', 'send JSON: {"enabled": true|false}');
    if (!deps.setEnabled) return fail(c, 503, 'UNAVAILABLE', 'this server has no scheduler');
    await deps.setEnabled(got.d.id, body['enabled'], c.get('principal').user);
    const [summary] = await summaries(got.pack, now(), [got.d]);
    return c.json({ detection: summary });
  });

  app.get('/api/detections/:id/filter', (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    return c.json(filterMacro(got.pack, got.d, deps.userContentDir));
  });

  /** Validates a proposed filter definition against the detection's search; returns the macros to use or an error body. */
  const validate = (pack: ContentPack, d: Detection, definition: unknown): { macros: MacroLibrary; def: MacroDefinition } | { error: ReturnType<typeof errorJson> } => {
    if (typeof definition !== 'string' || definition.trim() === '') return { error: { code: 'USAGE', message: 'send JSON: {"definition": "search NOT pod_name=\\"ci-*\\""}' } };
    if (definition.length > MAX_FILTER_CHARS) return { error: { code: 'USAGE', message: `the definition is longer than ${MAX_FILTER_CHARS} characters` } };
    const def: MacroDefinition = { name: d.filterMacro, args: [], definition, description: `Filter for "${d.name}" (edited in the vigil console).` };
    const macros = pack.macros.with([def]);
    let planned: SearchPlan;
    try {
      planned = checkSearch(d.search, { macros, lookups: pack.lookups, knowledge: pack.knowledge, name: d.name, now: now(), tz });
    } catch (e) {
      return { error: e instanceof SplError ? splErrorJson(e) : errorJson(e) };
    }
    // This macro comes from an API client: with search.outputLookup off it may not add an outputlookup or a map.
    if (deps.outputLookup !== true && filterAddsWriters(planned, pack, d, { now: now(), tz })) return { error: { code: 'SPL_LOOKUP_WRITE', message: FILTER_WRITES_REFUSAL } };
    return { macros, def };
  };

  app.post('/api/detections/:id/filter/validate', async (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    const body = await jsonBody(c);
    const v = validate(got.pack, got.d, body?.['definition']);
    if ('error' in v) return c.json({ ok: false, error: v.error }, 400);
    return c.json({ ok: true });
  });

  app.put('/api/detections/:id/filter', async (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    if (!deps.userContentDir || !deps.reloadContent) return fail(c, 503, 'UNAVAILABLE', 'this server cannot save content');
    const body = await jsonBody(c);
    const v = validate(got.pack, got.d, body?.['definition']);
    if ('error' in v) return c.json({ error: v.error }, 400);
    // On a cluster the shared copy first: a failure there saves nothing (the console shows the error).
    await deps.shareFilterMacro?.({ name: v.def.name, definition: v.def.definition, description: v.def.description ?? '' }, c.get('principal').user);
    const dir = join(deps.userContentDir, 'macros');
    // Private like the rest of the data dir (0700/0600).
    createPrivateDir(dir);
    const file = join(dir, `${got.d.filterMacro}.yml`);
    // security_content's macro format, replaced whole so a reload never sees half a file.
    writePrivateFile(file, stringify({ name: v.def.name, definition: v.def.definition, description: v.def.description }, { lineWidth: 0 }));
    const pack = deps.reloadContent();
    const d = findDetection(pack, got.d.id) ?? got.d;
    return c.json(filterMacro(pack, d, deps.userContentDir));
  });

  app.post('/api/detections/:id/filter/preview', async (c) => {
    const got = lookup(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such detection');
    const { pack, d } = got;
    const body = await jsonBody(c);
    const v = validate(pack, d, body?.['definition']);
    if ('error' in v) return c.json({ error: v.error }, 400);
    let range;
    try {
      range = timeRange(c, now(), tz, '-24h');
    } catch (e) {
      return c.json({ error: errorJson(e) }, 400);
    }
    const t0 = Date.now();
    const unfiltered = pack.macros.with([{ name: d.filterMacro, args: [], definition: DEFAULT_FILTER }]);
    try {
      const signal = c.req.raw.signal;
      const [beforeRun, afterRun] = await Promise.all([run(deps, d, unfiltered, range, now(), signal), run(deps, d, v.macros, range, now(), signal)]);
      const before = beforeRun.rows;
      const after = afterRun.rows;
      const afterKeys = new Map<string, number>();
      for (const r of after) afterKeys.set(r.key, (afterKeys.get(r.key) ?? 0) + 1);
      const suppressed: JsonRow[] = [];
      let suppressedCount = 0;
      for (const r of before) {
        const n = afterKeys.get(r.key) ?? 0;
        if (n > 0) afterKeys.set(r.key, n - 1);
        else {
          suppressedCount++;
          if (suppressed.length < 200) suppressed.push(r.row);
        }
      }
      const out: FilterPreview = {
        ...range,
        before: before.length,
        after: after.length,
        suppressed,
        suppressedCount,
        elapsedMs: Date.now() - t0,
        ...(beforeRun.truncated || afterRun.truncated ? { truncated: true } : {}),
      };
      return c.json(out);
    } catch (e) {
      return c.json({ error: errorJson(e) }, isSearchLimit(e) ? 503 : 400);
    }
  });
}

/**
 * Runs a detection's search with the given macros over a window (on the API's executor); rows keyed for the diff,
 * at most MAX_PREVIEW_ROWS (the search stops there; `truncated` when it had more).
 */
async function run(
  deps: ApiDeps,
  d: Detection,
  macros: MacroLibrary,
  range: { earliest: number | null; latest: number },
  now: number,
  signal: AbortSignal,
): Promise<{ rows: { key: string; row: JsonRow }[]; truncated: boolean }> {
  const tz = deps.tz ?? 'UTC';
  const search = expandMacros(d.search, macros).text;
  const req = { name: d.name, search, earliest: range.earliest ?? 0, latest: range.latest, now, tz, defaultIndexes: await defaultSearchIndexes(deps.store) };
  const { rows } = await searchExecutor(deps).execute(req, searchTimeoutMs(deps), { signal, limit: MAX_PREVIEW_ROWS + 1 });
  return {
    rows: rows.slice(0, MAX_PREVIEW_ROWS).map((r) => {
      const row = resultToJson(r, tz);
      const key = JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]));
      return { key, row };
    }),
    truncated: rows.length > MAX_PREVIEW_ROWS,
  };
}
