import type { Hono } from 'hono';
import { tacticName } from '../detections/attack.js';
import { settingHint } from '../edit-distance.js';
import { printable } from '../outputs/printable.js';
import { codePointLength } from '../spl/eval/functions/helpers.js';
import { MAX_FINDING_COMMENT_CHARS, MAX_FINDING_OWNER_CHARS, type FindingQuery, type StateStore } from '../store/types.js';
import { FINDING_STATUSES, type FindingDetail, type FindingStatus } from './api-types.js';
import { countParam, errorJson, fail, jsonBody, parseBound, type ApiDeps, type ApiEnv, type Ctx } from './context.js';
import { contributingRiskEvents, findingSummary } from './risk.js';

/** Findings `rule=` and `q=` look through, newest first (docs/api.md). */
const FILTERED_SCAN = 50_000;

/** What `PATCH /api/findings/:id` changes; any other key is refused (a typo answered 200 and changed nothing). */
const PATCH_KEYS = ['status', 'owner'];

/** Characters of an unknown key quoted in an error: a key can be as long as the body. */
const MAX_QUOTED_KEY = 64;

function isStatus(s: unknown): s is FindingStatus {
  return typeof s === 'string' && (FINDING_STATUSES as readonly string[]).includes(s);
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (v === undefined || v === null || v === '') return [];
  return [String(v)];
}

/** Findings: list with filters, detail, status/owner changes, comments. */
export function findingsRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const now = deps.now ?? (() => Date.now() / 1000);
  const need = (c: Ctx): StateStore | Response => deps.state ?? fail(c, 503, 'UNAVAILABLE', 'no scheduler state in this server');

  app.get('/api/findings', async (c) => {
    const state = need(c);
    if (state instanceof Response) return state;
    const status = c.req.query('status');
    if (status !== undefined && status !== '' && !isStatus(status)) return fail(c, 400, 'USAGE', `status must be one of: ${FINDING_STATUSES.join(', ')}`);
    const q: FindingQuery = {};
    if (status) q.status = status as FindingStatus;
    const owner = c.req.query('owner');
    if (owner) q.owner = owner;
    const obj = c.req.query('riskObject');
    if (obj) q.riskObject = obj;
    let since: number | null;
    try {
      since = parseBound(c.req.query('since') ?? c.req.query('earliest'), now(), deps.tz ?? 'UTC', 'since');
    } catch (e) {
      return c.json({ error: errorJson(e) }, 400);
    }
    if (since !== null) q.since = since;
    // Paging: the last finding of the previous page (its id).
    const before = c.req.query('before');
    if (before !== undefined) {
      if (before === '' || (await state.finding(before)) === null) return fail(c, 400, 'USAGE', 'before must be the id of a finding (the last one of the previous page)');
      q.before = before;
    }
    const limit = countParam(c, 'limit', 500, 5000);
    if (limit instanceof Response) return limit;
    const rule = c.req.query('rule');
    const search = c.req.query('q')?.toLowerCase();
    // rule and q filter here, after the store's query: its row limit would cut before them (?q=web&limit=1
    // answered [] when newer findings did not match). They look through the newest FILTERED_SCAN findings, so a
    // request never reads a table of any size.
    q.limit = rule || search ? Math.max(limit, FILTERED_SCAN) : limit;
    let rows = await state.findings(q);
    if (rule) rows = rows.filter((f) => f.ruleName === rule || f.ruleId === rule);
    if (search) rows = rows.filter((f) => f.riskObject.toLowerCase().includes(search) || f.ruleName.toLowerCase().includes(search));
    return c.json({ findings: rows.slice(0, limit).map(findingSummary) });
  });

  app.get('/api/findings/:id', async (c) => {
    const state = need(c);
    if (state instanceof Response) return state;
    const got = await state.finding(c.req.param('id'));
    if (!got) return fail(c, 404, 'NOT_FOUND', 'no such finding');
    let detail: Record<string, unknown>;
    try {
      detail = JSON.parse(got.finding.detail) as Record<string, unknown>;
    } catch {
      detail = {};
    }
    const ids = strings(detail['risk_event_ids']);
    const body: FindingDetail = {
      finding: findingSummary(got.finding),
      detail,
      tactics: [...new Set(strings(detail['tactics']).map(tacticName))],
      techniques: strings(detail['techniques']),
      sources: strings(detail['sources']),
      comments: got.comments.map((cm) => ({ time: cm.time, author: cm.author, text: cm.text })),
      riskEvents: await contributingRiskEvents(deps, got.finding, ids, c.req.raw.signal),
    };
    return c.json(body);
  });

  app.patch('/api/findings/:id', async (c) => {
    const state = need(c);
    if (state instanceof Response) return state;
    const body = await jsonBody(c);
    if (!body) return fail(c, 400, 'USAGE', 'send JSON: {"status": "in progress", "owner": "alice"}');
    const unknown = Object.keys(body).find((k) => !PATCH_KEYS.includes(k));
    if (unknown !== undefined) {
      // Quoted as JSON once made printable: control and bidi characters cannot reach a log or the console as such.
      const shown = JSON.stringify(printable(unknown.length > MAX_QUOTED_KEY ? `${unknown.slice(0, MAX_QUOTED_KEY)}…` : unknown));
      const hint = settingHint(PATCH_KEYS, unknown);
      return fail(c, 400, 'USAGE', `unknown key ${shown}: send status and/or owner${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    const patch: { status?: FindingStatus; owner?: string | null } = {};
    if ('status' in body) {
      if (!isStatus(body['status'])) return fail(c, 400, 'USAGE', `status must be one of: ${FINDING_STATUSES.join(', ')}`);
      patch.status = body['status'];
    }
    if ('owner' in body) {
      const o = body['owner'];
      if (o !== null && (typeof o !== 'string' || o.length > MAX_FINDING_OWNER_CHARS)) return fail(c, 400, 'USAGE', `owner must be a name (at most ${MAX_FINDING_OWNER_CHARS} characters) or null`);
      patch.owner = o === null || o.trim() === '' ? null : o.trim();
    }
    if (!('status' in patch) && !('owner' in patch)) return fail(c, 400, 'USAGE', 'nothing to change: send status and/or owner');
    if (!(await state.finding(c.req.param('id')))) return fail(c, 404, 'NOT_FOUND', 'no such finding');
    const updated = await state.updateFinding(c.req.param('id'), patch, c.get('principal').user, now());
    return c.json({ finding: findingSummary(updated) });
  });

  app.post('/api/findings/:id/comments', async (c) => {
    const state = need(c);
    if (state instanceof Response) return state;
    const body = await jsonBody(c);
    const raw = body?.['text'];
    const t = typeof raw === 'string' ? raw.trim() : '';
    // Characters, not UTF-16 units: 10000 emoji is 10000 characters (was refused as 20000).
    if (t === '' || codePointLength(t) > MAX_FINDING_COMMENT_CHARS) return fail(c, 400, 'USAGE', `send JSON: {"text": "..."} (1 to ${MAX_FINDING_COMMENT_CHARS} characters)`);
    const id = c.req.param('id');
    if (!(await state.finding(id))) return fail(c, 404, 'NOT_FOUND', 'no such finding');
    const comment = { findingId: id, time: now(), author: c.get('principal').user, text: t };
    await state.addComment(comment);
    return c.json({ comment: { time: comment.time, author: comment.author, text: comment.text } }, 201);
  });
}
