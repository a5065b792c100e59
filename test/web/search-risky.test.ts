/**
 * POST /api/search with checkRiskyCommands: Splunk's SPL safeguards for risky commands. Splunk classifies collect,
 * delete, dump, map, mcollect, meventcollect, outputcsv, outputlookup, run, runshellscript, script, sendalert,
 * sendemail and tscollect as risky (help.splunk.com, Securing the Splunk Platform, "Commands that trigger SPL
 * safeguards"); vigil has map and outputlookup. A REST search holding one is refused with HTTP 403 unless the check
 * is turned off ("Run post-process searches with risky commands using the Splunk platform REST API").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('POST /api/search checkRiskyCommands', () => {
  let h: Harness;
  const search = (body: Record<string, unknown>) =>
    fetch(`${h.server.apiUrl}/api/search`, { method: 'POST', headers: { Authorization: `Bearer ${h.apiToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a search holding outputlookup or map with 403 SPL_RISKY_COMMAND at the command, running nothing', async () => {
    const out = await search({ search: '| makeresults | outputlookup x.csv', checkRiskyCommands: true });
    expect(out.status).toBe(403);
    const e = ((await out.json()) as { error: { code: string; line: number; column: number; length: number; message: string } }).error;
    expect([e.code, e.line, e.column, e.length]).toEqual(['SPL_RISKY_COMMAND', 1, 17, 'outputlookup'.length]);
    expect(e.message).toContain('outputlookup is a risky command');
    const map = await search({ search: '| makeresults\n| map search="| makeresults"', checkRiskyCommands: true });
    expect(map.status).toBe(403);
    expect(((await map.json()) as { error: { line: number; column: number } }).error).toMatchObject({ line: 2, column: 3 });
  });

  it('finds one in a subsearch', async () => {
    const res = await search({ search: '| makeresults | append [| makeresults | outputlookup y.csv]', checkRiskyCommands: true });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string; column: number } }).error).toMatchObject({ code: 'SPL_RISKY_COMMAND', column: 41 });
  });

  it('runs a search without risky commands, and a risky one without the check (false or absent)', async () => {
    const plain = await search({ search: '| makeresults count=2', checkRiskyCommands: true });
    expect(plain.status).toBe(200);
    expect((await plain.text()).split('\n').filter((l) => l.startsWith('{"result"'))).toHaveLength(2);
    for (const flag of [false, undefined]) {
      const res = await search({ search: '| makeresults count=2 | map search="| makeresults"', ...(flag === undefined ? {} : { checkRiskyCommands: flag }) });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('"done":true');
    }
  });

  it('takes only true or false', async () => {
    const res = await search({ search: '| makeresults', checkRiskyCommands: 'yes' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'USAGE', message: '"checkRiskyCommands" must be true or false' });
  });
});
