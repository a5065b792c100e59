import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';
import type { DetectionSummary } from '../../src/web/api-types.js';

/**
 * `search.maxMacroExpansions` / `search.maxMacroChars` from the config file reach every place `vigil serve`
 * expands macros: API searches, filter validation, scheduled runs.
 */
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const dir = mkdtempSync(join(tmpdir(), 'vigil-macro-limits-'));
let server: VigilServer;
let headers: Record<string, string>;

// `four_a` expands 1 + 4 + 12 = 17 macros (102 characters of bodies); `one_a` 1 + 1 + 3 = 5 (30); `long` 1 (411).
const MACROS: Record<string, string> = {
  b: 'x=1',
  a: '`b` `b` `b`',
  four_a: 'search `a` `a` `a` `a`',
  one_a: 'search `a`',
  long: `search x="${'y'.repeat(400)}"`,
  warnp: 'eval m=if(match("x", p), 1, 0)',
  cisco_isovalent___curl_execution_with_insecure_flags_filter: 'search `a` `a` `a` `a`',
};

beforeAll(async () => {
  const content = join(dir, 'content');
  mkdirSync(join(content, 'macros'), { recursive: true });
  for (const [name, definition] of Object.entries(MACROS)) writeFileSync(join(content, 'macros', `${name}.yml`), `name: ${name}\ndefinition: '${definition}'\n`);
  writeFileSync(join(dir, 'vigil.yml'), 'search:\n  maxMacroExpansions: 12\n  maxMacroChars: 300\n');
  const config = await loadConfig({ file: join(dir, 'vigil.yml'), env: {}, flags: { dataDir: join(dir, 'data'), port: 0, hecPort: 0 } });
  server = await startServer(config, { schedule: false, users: [], consoleDir: null, contentDirs: [content] });
  headers = { Authorization: `Bearer ${config.http.apiTokens[0]!.token}`, 'Content-Type': 'application/json' };
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) => fetch(`${server.apiUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

describe('macro expansion caps from the config file (vigil serve)', () => {
  it('apply to API searches: 17 expansions pass the default cap but not search.maxMacroExpansions: 12', async () => {
    const refused = await post('/api/search', { search: '| makeresults | `four_a`' });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: 'SPL_MACRO_LIMIT', message: expect.stringContaining('more than 12 macro expansions in one search (search.maxMacroExpansions), in `four_a` → `a` → `b`') });
    const under = await post('/api/search', { search: '| makeresults | `one_a` | stats count', progressMs: 0 });
    expect(under.status).toBe(200);
    expect(await under.text()).toContain('{"result":{"count":0}}');
  });

  it("reports a macro's warning once when the macro is used twice, as vigil search prints it", async () => {
    // Each use raises it at its own place of the expanded text; both are `macro \`warnp\` 1:22` to the user.
    const search = '| makeresults | eval p="(" | `warnp` | `warnp`';
    const text = await (await post('/api/search', { search, progressMs: 0 })).text();
    const last = JSON.parse(text.trim().split('\n').at(-1)!) as { warnings: string[] };
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'vigil.js'), 'search', search, '--content', join(dir, 'content'), '--format', 'jsonl'], { encoding: 'utf8' });
    const printed = cli.stderr.split('\n').filter(Boolean).map((l) => l.replace(/^vigil: warning: /, ''));
    expect(printed).toEqual([expect.stringMatching(/^match\(\) is null .* \(at macro `warnp` 1:22\)$/)]);
    expect(last.warnings).toEqual(printed);
  });

  it('apply search.maxMacroChars: one 411-character body is over 300', async () => {
    const res = await post('/api/search', { search: '| makeresults | `long`' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('macro expansion larger than 300 characters (search.maxMacroChars), in `long`');
  });

  it('apply to filter macro validation in the console', async () => {
    const list = (await (await fetch(`${server.apiUrl}/api/detections`, { headers })).json()) as { detections: DetectionSummary[] };
    const id = list.detections.find((d) => d.name === SEED)!.id;
    const res = await post(`/api/detections/${id}/filter/validate`, { definition: 'search `a` `a` `a` `a`' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SPL_MACRO_LIMIT');
  });

  it('apply to scheduled runs (the seed detection\'s filter expands 17 macros): the run fails with SPL_MACRO_LIMIT', async () => {
    const s = server.scheduler;
    const to = Math.floor(Date.now() / 1000 / 3600) * 3600;
    const runs: { detectionName: string; status: string; error: string | null }[] = [];
    await s.backfill(
      s.planBackfill(to - 3600, to).filter((r) => r.detection.name === SEED),
      { actions: false, onRun: (r) => runs.push(r) },
    );
    expect(runs).toEqual([expect.objectContaining({ detectionName: SEED, status: 'failed', error: expect.stringContaining('more than 12 macro expansions') })]);
  });
});
