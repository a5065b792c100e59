/**
 * End-to-end tests of the console in a real browser: Debian's chromium driven by playwright-core.
 * `npm run test:e2e` (not part of `npm test`). Screenshots go to artifacts/e2e/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIR } from '../../src/web/static.js';
import type { FindingSummary, Overview } from '../../src/web/api-types.js';
import { backfill, ConsoleClient, datasetLines, PASSWORD, replayRaw, startHarness, USER, type Harness } from '../web/harness.js';
import { makeRun } from '../store/fixtures/runs.js';
import { fillStore } from './volume.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'artifacts', 'e2e');
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the bundled datasets start at 10:00 UTC
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const DATASETS = [
  'datasets/cisco_isovalent/cisco_isovalent.log',
  'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log',
  'datasets/cisco_isovalent/kprobe_spike.log',
  'datasets/attack_techniques/T1552.005/isovalent_cloud_metadata/process_connect.log',
  'datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log',
];

/** The flags this machine's chromium needs (closed network, root, no GPU). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the page marked itself interactive (data shown); returns ms since navigation start. */
export async function ready(page: Page, timeout = 20_000): Promise<number> {
  // Polled from outside: waitForFunction would evaluate text inside the page, which the console's CSP forbids.
  const end = Date.now() + timeout;
  for (;;) {
    const t = (await page.evaluate('window.__vigilReady')) as number | undefined;
    if (typeof t === 'number') return t;
    if (Date.now() > end) throw new Error(`page ${page.url()} did not become ready in ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Accessibility basics, run in the page (browser code, kept as text so this file needs no DOM types):
 * a language, one h1, every form control and image with an accessible name, every button and link
 * with text, no positive tabindex. Evaluates to the problems found.
 */
const A11Y_CHECK = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('html has no lang');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements');
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')) return true;
    return Array.from(el.labels || []).some((l) => (l.textContent || '').trim() !== '');
  };
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!named(el)) problems.push('unlabeled ' + el.tagName.toLowerCase() + '[name=' + (el.getAttribute('name') || '') + ']');
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!(el.textContent || '').trim() && !el.getAttribute('aria-label')) problems.push(el.tagName.toLowerCase() + ' without text: ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('img, [role=img], canvas')) {
    if (!el.getAttribute('alt') && !el.getAttribute('aria-label') && !el.closest('[role=img][aria-label]')) problems.push(el.tagName.toLowerCase() + ' without a text alternative');
  }
  for (const el of document.querySelectorAll('[tabindex]')) if (Number(el.getAttribute('tabindex')) > 0) problems.push('positive tabindex');
  return problems;
})()`;

export async function a11yProblems(page: Page): Promise<string[]> {
  return (await page.evaluate(A11Y_CHECK)) as string[];
}

const ACTIVE = `(() => { const a = document.activeElement; return a ? a.tagName.toLowerCase() + ':' + (a.textContent || '').trim().slice(0, 30) : ''; })()`;
const BLUR = `document.activeElement && document.activeElement.blur()`;

/** The elements keyboard focus visits from the top of the page, as `tag:text`. */
async function tabOrder(page: Page, presses: number): Promise<string[]> {
  await page.evaluate(BLUR);
  const out: string[] = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    out.push((await page.evaluate(ACTIVE)) as string);
  }
  return out;
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`e2e: ${CHROMIUM} not found (apt-get install -y chromium); skipping`);

describe.skipIf(!haveChromium)('console in a browser', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launch>>;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIR, 'index.html'))) throw new Error('the console is not built: npm run build');
    h = await startHarness({ consoleDir: CONSOLE_DIR });
    base = h.server.apiUrl;
    // Replay the datasets as if they happened two hours ago, then run the scheduled runs since.
    const hour = Math.floor(Date.now() / 1000 / 3600) * 3600 - 2 * 3600;
    const shift = hour - T0;
    for (const ds of DATASETS) await replayRaw(h, datasetLines(ds, shift));
    const runs = await backfill(h, hour - 3600, Date.now() / 1000);
    expect(runs.filter((r) => r.status !== 'success').map((r) => r.error)).toEqual([]);
    browser = await launch();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('logs in with the keyboard', async () => {
    await page.goto(base + '/');
    await page.getByLabel('User name').waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '01-login');
    // The user name field has focus; type, Tab to the password, Enter submits.
    await page.keyboard.type(USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Risk overview' }).waitFor();
  });

  it('risk overview: the pod with the highest risk, then its page with the process tree', async () => {
    await ready(page);
    await page.locator('[data-testid=top-objects]').waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '02-risk-overview');
    const client = new ConsoleClient(base);
    await client.login({ token: h.apiToken });
    const o = await client.json<Overview>('/api/overview?earliest=-24h');
    const top = o.topObjects[0]!.riskObject;
    expect(top).toBe('debug-toolbox');
    const first = page.locator('[data-testid=top-objects] tbody tr').first().getByRole('link');
    expect(await first.textContent()).toBe(top);
    await first.click();
    await page.getByRole('heading', { name: `Risk object: ${top}` }).waitFor();
    await page.getByRole('heading', { name: 'Process tree' }).waitFor();
    const tree = page.getByRole('list', { name: 'Process tree' });
    await expect.poll(() => tree.textContent()).toMatch(/curl .*(-k|--insecure)/);
    expect(await page.locator('.proc.flagged').count()).toBeGreaterThan(0);
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '03-risk-object');
  });

  it('a bidi override in a process command stays inside it: the badges after it keep their place', async () => {
    // The process tree's own markup and stylesheet (ProcessTree.tsx), with a command that ends in U+202E ... text.
    const placed = (await page.evaluate(`(() => {
      const tree = document.querySelector('[aria-label="Process tree"]');
      const li = document.createElement('li');
      li.innerHTML = '<span class="proc flagged"><code class="proc-cmd">/bin/sh -c \u202Egpj.exe</code><span class="muted"> pid 42</span><span class="badge status-new">detected</span></span>';
      tree.appendChild(li);
      const box = (sel) => li.querySelector(sel).getBoundingClientRect();
      const out = { cmdRight: box('.proc-cmd').right, pidLeft: box('.muted').left, badgeLeft: box('.badge').left };
      li.remove();
      return out;
    })()`)) as { cmdRight: number; pidLeft: number; badgeLeft: number };
    expect(placed.pidLeft).toBeGreaterThanOrEqual(placed.cmdRight - 1);
    expect(placed.badgeLeft).toBeGreaterThan(placed.pidLeft);
  });

  it('opens the pod’s finding and changes its status and owner', async () => {
    await page.getByRole('table', { name: /Findings raised for/ }).getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Finding: debug-toolbox' }).waitFor();
    await page.getByRole('heading', { name: 'Contributing risk events' }).waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await page.getByLabel('Status').selectOption('in progress');
    await page.getByRole('button', { name: 'Assign to me' }).click();
    expect(await page.getByLabel('Owner').inputValue()).toBe(USER);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBe(1);
    await page.getByLabel('Add a comment').fill('Looked at the curl -k: debug pod, owner asked.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    await page.getByText('Looked at the curl -k').waitFor();
    await shot(page, '04-finding');
    const client = new ConsoleClient(base);
    await client.login({ token: h.apiToken });
    const { findings } = await client.json<{ findings: FindingSummary[] }>('/api/findings?riskObject=debug-toolbox');
    expect(findings.some((f) => f.status === 'in progress' && f.owner === USER)).toBe(true);
    // The list page filters by status.
    await page.goto(`${base}/findings?status=in%20progress`);
    await page.locator('[data-testid=findings]').waitFor();
    expect(await page.locator('[data-testid=findings] tbody tr').count()).toBeGreaterThan(0);
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '05-findings');
  });

  it('search: an error highlighted at its position, then a valid search streamed into table and events views', async () => {
    await page.getByRole('link', { name: 'Search', exact: true }).click();
    const editor = page.getByLabel('SPL search');
    await editor.fill('`cisco_isovalent_process_exec`\n| stats count by pod_name\n| frobnicate now');
    await editor.press('Control+Enter');
    const err = page.locator('[data-testid=search-error]');
    await err.waitFor();
    expect(await err.textContent()).toContain('line 3, column 3');
    expect(await err.locator('mark.spl-error').textContent()).toBe('frobnicate');
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '06-search-error');
    await editor.fill('`cisco_isovalent_process_exec` | table _time pod_name process_name process parent_process_name');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('[data-testid=results] tbody tr').first().waitFor();
    // The done line says how many events were read (the API's stats.eventsScanned).
    await expect.poll(() => page.getByRole('status').filter({ hasText: /results from [1-9][\d,]* events in/ }).count()).toBe(1);
    expect(await page.locator('[data-testid=search-error]').count()).toBe(0);
    // Field list with top values.
    await page.locator('.fields summary', { hasText: 'pod_name' }).click();
    expect(await page.locator('.fields details[open] .top-values tr').count()).toBeGreaterThan(1);
    await shot(page, '07-search-results');
    await page.getByLabel('Events').check();
    await page.locator('ol.events li').first().waitFor();
    expect(await a11yProblems(page)).toEqual([]);
  });

  it('search: a timechart table shows its declared columns in order, though a row leaves its empty cells out', async () => {
    await page.getByRole('link', { name: 'Search', exact: true }).click();
    // Two hourly buckets: 10:00 holds b=k2 (n=1), 11:00 b=k1 (n=2) and b=k3 (n=3). Search Reference, timechart: "each
    // distinct value of the split-by field is a series"; docs/spl.md: columns in stats' order of the split-by values,
    // so _time, k1, k2, k3 (then _span), avg over no event an empty cell. The rows' keys alone ({_time, k2, _span}, then
    // {_time, k1, k3, _span}) gave _time, k1, k3, k2, _span.
    await page.getByLabel('SPL search').fill('| makeresults count=3 | streamstats count as i | eval _time=1764583200 + if(i=1, 0, 3600), b=case(i=1, "k2", i=2, "k1", i=3, "k3"), n=i | timechart span=1h avg(n) by b');
    await page.getByLabel('Time range').selectOption('all');
    await page.getByRole('button', { name: 'Search' }).click();
    // The columns come with the done line, after the rows.
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 30_000 }).toMatch(/2 results/);
    // The search before left the Events view on.
    await page.getByLabel('Table', { exact: true }).check();
    await shot(page, '07b-search-declared-columns');
    expect(await page.locator('[data-testid=results] thead th').allTextContents()).toEqual(['_time', 'k1', 'k2', 'k3', '_span']);
    const row = async (i: number) => (await page.locator('[data-testid=results] tbody tr').nth(i).locator('td').allTextContents()).slice(1);
    expect([await row(0), await row(1)]).toEqual([
      ['', '1', '', '3600'],
      ['2', '', '3', '3600'],
    ]);
  });

  it('detections: list, highlighted SPL, a filter macro validated and previewed', async () => {
    await page.getByRole('link', { name: 'Detections', exact: true }).click();
    await page.locator('[data-testid=detections]').waitFor();
    expect(await page.getByRole('checkbox', { name: `Enabled: ${SEED}` }).isChecked()).toBe(true);
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '08-detections');
    await page.getByRole('link', { name: SEED }).click();
    await page.getByRole('heading', { name: 'Filter macro' }).waitFor();
    expect(await page.locator('.spl .spl-macro').count()).toBeGreaterThan(0);
    expect(await page.locator('.spl .spl-cmd').count()).toBeGreaterThan(0);
    const def = page.getByLabel('Definition');
    await def.fill('search NOT pod_name="debug-*"\n| frobnicate');
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('#filter-error').textContent()).toContain('2:3');
    const preview = page.locator('[data-testid=filter-preview]');
    // A filter that makes every result 10,001 rows: the "with it" search has more than the 10,000 rows a preview
    // compares (docs/api.md: the reply adds "truncated": true), and the console says its counts are partial.
    await def.fill('search * | eval copy=mvrange(0, 10001) | mvexpand copy');
    await page.getByRole('button', { name: 'Preview last 24 h' }).click();
    await preview.waitFor({ timeout: 60_000 });
    expect(await preview.locator('[data-testid=filter-preview-truncated]').textContent()).toBe('Compared the first 10,000 rows of each search; counts are partial.');
    await def.fill('search NOT pod_name="debug-*"');
    await page.getByRole('button', { name: 'Preview last 24 h' }).click();
    // The previous preview (and its notice) is cleared when the next starts: what shows after is the new one.
    await preview.locator('[data-testid=filter-preview-truncated]').waitFor({ state: 'detached' });
    await preview.waitFor({ timeout: 60_000 });
    expect(await preview.textContent()).toMatch(/2 suppressed/);
    expect(await preview.locator('tbody tr').count()).toBe(2);
    // Both searches had fewer rows than the cap: complete counts, no notice.
    expect(await preview.locator('[data-testid=filter-preview-truncated]').count()).toBe(0);
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '09-detection-filter-preview');
    await page.getByRole('button', { name: 'Save filter' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBe(1);
    expect(h.server.content().macros.get('cisco_isovalent___curl_execution_with_insecure_flags_filter', 0)!.definition).toBe('search NOT pod_name="debug-*"');
  });

  it('ingest: HEC counters, tokens, indexes, data model acceleration', async () => {
    await page.getByRole('link', { name: 'Ingest', exact: true }).click();
    await page.locator('[data-testid=indexes]').waitFor();
    expect(await page.getByRole('rowheader', { name: 'default' }).count()).toBe(1);
    expect(await page.content()).not.toContain(h.hecToken);
    // Endpoint is accelerated by default: the builder (1 s timer) summarizes the replayed process events;
    // the panel refreshes every 5 s until its coverage reads 100 %.
    const models = page.locator('[data-testid=datamodels]');
    await models.waitFor();
    const processes = models
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Endpoint', exact: true }) })
      .filter({ has: page.getByRole('cell', { name: 'Processes', exact: true }) });
    expect(await processes.count()).toBe(1);
    expect(await processes.getByRole('cell').nth(1).textContent()).toMatch(/^on/);
    await expect.poll(() => processes.locator('[data-testid=coverage]').textContent(), { timeout: 30_000 }).toBe('100 %');
    expect(await processes.getByRole('cell').nth(3).textContent()).toBe('up to date');
    expect(Number((await processes.getByRole('cell').nth(4).textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, '10-ingest');
  });

  it('is usable with the keyboard: skip link, main navigation, Enter follows links', async () => {
    await page.goto(base + '/');
    await ready(page);
    const order = await tabOrder(page, 7);
    expect(order[0]).toBe('a:Skip to content');
    expect(order).toEqual(expect.arrayContaining(['a:Risk', 'a:Findings', 'a:Detections', 'a:Search', 'a:Ingest']));
    // From the top again, focus "Detections" with Tab and follow it with Enter.
    await page.goto(base + '/');
    await ready(page);
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(ACTIVE)) === 'a:Detections') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Detections', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Detections', exact: true }).getAttribute('aria-current')).toBe('page');
    // Focus is visible: the focused element has an outline.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
  });

  it('makes no request outside the server', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url());
    });
    for (const p of ['/', '/findings', '/detections', '/search', '/ingest']) {
      await page.goto(base + p);
      await ready(page);
    }
    expect(external).toEqual([]);
  });

  it('pages findings: 500, then the older ones, then back to the newest', async () => {
    // 620 findings of one run (one time: the API pages by id, not by time).
    const t = Math.floor(Date.now() / 1000) - 60;
    await h.server.state.commitRun(makeRun('e2e-paging', t, { risk: 0, findings: 620, outbox: 0, suppressions: 0 }));
    const client = new ConsoleClient(base);
    await client.login({ token: h.apiToken });
    const { findings: all } = await client.json<{ findings: FindingSummary[] }>('/api/findings?q=e2e-paging&limit=5000');
    expect(all).toHaveLength(620);
    const rows = page.locator('[data-testid=findings] tbody tr');
    // The first row's finding link (ids are encoded in it: a fixture's hold `#`).
    const firstLink = async (): Promise<string | null> => rows.first().locator('a[href^="/findings/"]').getAttribute('href');
    await page.goto(`${base}/findings?q=e2e-paging`);
    await expect.poll(() => rows.count()).toBe(500);
    expect(await firstLink()).toContain(encodeURIComponent(all[0]!.id));
    await page.getByRole('button', { name: 'Older findings' }).click();
    await expect.poll(() => rows.count()).toBe(120);
    expect(new URL(page.url()).searchParams.get('before')).toBe(all[499]!.id);
    expect(await firstLink()).toContain(encodeURIComponent(all[500]!.id));
    expect(await page.getByRole('button', { name: 'Older findings' }).count()).toBe(0);
    expect(await a11yProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Newest findings' }).click();
    await expect.poll(() => rows.count()).toBe(500);
    expect(new URL(page.url()).searchParams.get('before')).toBeNull();
  });

  it('hostile data and a narrow window: no page scrolls sideways, not with a 100 KB value without a space', async () => {
    // Through the HEC, as any token holder could: a risk object, message and detection name of 100,000 letters.
    // One made the overview 829,634 px wide (its table cells never broke a word); the top bar overflowed below 600 px.
    const long = 'x'.repeat(100_000);
    const event = { risk_object: long, risk_object_type: 'system', risk_score: 1, risk_message: long, search_name: long, source: long };
    const res = await fetch(`${h.server.hecUrl}/services/collector/event`, {
      method: 'POST',
      headers: { Authorization: `Splunk ${h.hecToken}` },
      body: JSON.stringify({ time: Date.now() / 1000 - 300, index: 'risk', sourcetype: 'stash', event }),
    });
    expect(res.status).toBe(200);
    const client = new ConsoleClient(base);
    await client.login({ token: h.apiToken });
    const o = await client.json<Overview>('/api/overview?earliest=-24h&top=25');
    expect(o.detectionsFired.some((d) => d.name === long)).toBe(true);
    const { findings } = await client.json<{ findings: FindingSummary[] }>('/api/findings?limit=1');
    const pages = ['/', '/findings', '/detections', '/search', '/ingest', '/risk/debug-toolbox', `/findings/${encodeURIComponent(findings[0]!.id)}`, `/detections/${encodeURIComponent(SEED)}`, '/no/such/page'];
    const wide: string[] = [];
    try {
      for (const width of [1440, 375]) {
        await page.setViewportSize({ width, height: 900 });
        for (const p of pages) {
          await page.goto(base + p);
          if (p !== '/no/such/page') await ready(page);
          await page.waitForTimeout(300); // what loads after the page is ready (the process tree)
          const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number;
          if (scrollWidth > width) wide.push(`${p} at ${width} px: ${scrollWidth} px wide`);
        }
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
    expect(wide).toEqual([]);
  });

  it('a bidi override, zero-width or ANSI character in data is shown as U+FFFD, as vigil search prints it, and not obeyed', async () => {
    // A pod named with U+202E showed reversed ("pod\u202Eevil" read "podlive"): a token holder could make a name read
    // as another. Shown as printableLines shows it (src/outputs/printable.ts); links and searches keep the real value.
    const raw = 'pod\u202Eevil\u200Bzw\u001b[31m-e2e';
    const res = await fetch(`${h.server.hecUrl}/services/collector/event`, {
      method: 'POST',
      headers: { Authorization: `Splunk ${h.hecToken}` },
      body: JSON.stringify({ time: Date.now() / 1000 - 300, index: 'risk', sourcetype: 'stash', event: { risk_object: raw, risk_object_type: 'system', risk_score: 5000, risk_message: `seen on ${raw}`, search_name: SEED } }),
    });
    expect(res.status).toBe(200);
    const shown = 'pod\uFFFDevil\uFFFDzw\uFFFD[31m-e2e';
    await page.goto(base + '/');
    await ready(page);
    const link = page.locator('[data-testid=top-objects] a', { hasText: '-e2e' });
    expect(await link.textContent()).toBe(shown);
    expect(await link.getAttribute('href')).toBe(`/risk/${encodeURIComponent(raw)}?range=-24h`);
    await link.click();
    await page.getByRole('heading', { name: `Risk object: ${shown}` }).waitFor();
    expect(await page.title()).toBe(`Risk object: ${shown} · vigil`);
    const events = page.getByRole('table', { name: /Risk events of/ });
    await expect.poll(() => events.locator('tbody td').allTextContents()).toContain(`seen on ${shown}`);
  });

  it('search: a long search shows its clock running; Cancel, or leaving the page, stops it in the server', async () => {
    // Generating and stats-only searches send no progress line until they end: the status said "0 s" all along.
    const long = '| makeresults count=200000000 | eval x=md5(tostring(random())) | stats dc(x)';
    const status = page.locator('.search-status');
    const running = () => h.server.searches.load.running;
    await page.goto(base + '/search');
    await page.getByLabel('SPL search').fill(long);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/· [2-9] s$/);
    expect(running()).toBe(1);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => status.textContent()).toBe('Cancelled.');
    await expect.poll(running).toBe(0);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(running).toBe(1);
    await page.getByRole('link', { name: 'Findings', exact: true }).click();
    await expect.poll(running).toBe(0);
  });

  it('deep links to what does not exist: a Not found page with its own title, and the API’s NOT_FOUND on a detail page', async () => {
    await page.goto(base + '/detections');
    await ready(page);
    await page.goto(base + '/no/such/page');
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    expect(await page.title()).toBe('Not found · vigil'); // it was "vigil", or the page before's title
    for (const p of ['/findings/no-such-finding', '/detections/no-such-detection']) {
      await page.goto(base + p);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('NOT_FOUND');
    }
  });

  it('the strict Content-Security-Policy (no inline script or style) is never violated: charts, bars and trees draw', async () => {
    const violations: string[] = [];
    const onConsole = (m: { text(): string }) => {
      if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
    };
    page.on('console', onConsole);
    try {
      for (const p of ['/', '/risk/debug-toolbox', '/findings', '/detections', `/detections/${encodeURIComponent(SEED)}`, '/ingest', '/search?q=index%3Drisk%20%7C%20head%205&range=all']) {
        await page.goto(base + p);
        await ready(page);
        await page.waitForTimeout(300);
      }
      await page.goto(base + '/');
      await ready(page);
      // The score bars' widths are set from script: drawn, not blocked.
      expect((await page.locator('[data-testid=top-objects] .scorebar span').first().boundingBox())?.width).toBeGreaterThan(0);
      // The chart's cursor is positioned from script too (uPlot's overlay lies over its canvas: the mouse, not hover()).
      const chart = (await page.locator('canvas').first().boundingBox())!;
      await page.mouse.move(chart.x + chart.width / 2, chart.y + chart.height / 2);
      await page.waitForTimeout(200);
    } finally {
      page.off('console', onConsole);
    }
    expect(violations).toEqual([]);
  });

  it('search: a link whose search holds a risky command (map, outputlookup) is shown, not run, until the user runs it', async () => {
    // Splunk Web's SPL safeguards for risky commands (help.splunk.com, "SPL safeguards for risky commands": map and
    // outputlookup are on its list): a search run from a link that holds one waits for the user to run it.
    const risky = '| makeresults count=2\n| map search="| makeresults"';
    await page.goto(`${base}/search?q=${encodeURIComponent(risky)}&range=all`);
    const error = page.locator('[data-testid=search-error]');
    await expect.poll(() => error.textContent()).toContain('SPL_RISKY_COMMAND');
    expect(await error.textContent()).toContain('line 2, column 3');
    expect(await page.locator('[data-testid=results]').count()).toBe(0);
    await error.getByRole('button', { name: 'Run it' }).click();
    await expect.poll(() => page.locator('.search-status').textContent()).toMatch(/^2 results/);
    // A link without one runs on arrival, as before.
    await page.goto(`${base}/search?q=${encodeURIComponent('| makeresults count=3')}&range=all`);
    await expect.poll(() => page.locator('.search-status').textContent()).toMatch(/^3 results/);
  });

  it('every risk object opens, whatever its name: . and .., URL syntax, spaces, non-ASCII, and 20,000 characters (reload too)', async () => {
    // Risk objects come from event data. A path's `.`/`..` segments are removed by the browser's URL parser (WHATWG
    // URL; RFC 3986 §5.2.4), and an address over http.maxHeaderBytes was a 431 (its reload showed the raw JSON).
    const long = 'q'.repeat(20_000);
    const names = ['.', '..', 'a/b', '50%', 'who?', 'a#b', 'C:\\Users\\eve\\', 'two words', 'pod-ünïcødé-日本', ' lead', 'trail ', long];
    const body = names
      .map((n, i) => JSON.stringify({ time: Date.now() / 1000 - 300, index: 'risk', sourcetype: 'stash', event: { risk_object: n, risk_object_type: 'system', risk_score: n === long ? 900_000 : 3, risk_message: `names-e2e ${i}`, search_name: SEED } }))
      .join('\n');
    const res = await fetch(`${h.server.hecUrl}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${h.hecToken}` }, body });
    expect(res.status).toBe(200);
    const shows = async (i: number) => {
      const events = page.getByRole('table', { name: /Risk events of/ });
      await expect.poll(() => events.locator('tbody td').allTextContents(), { timeout: 10_000 }).toContain(`names-e2e ${i}`);
      expect(await events.locator('tbody tr').count()).toBe(1);
    };
    for (const [i, n] of names.entries()) {
      if (n === long) continue;
      // The address a link on the console carries (risk-link.ts): /risk/<name>, or /risk?object= for . and ..
      const to = n === '.' || n === '..' ? `/risk?object=${encodeURIComponent(n)}` : `/risk/${encodeURIComponent(n)}`;
      await page.goto(base + to);
      await shows(i);
    }
    // The long name, from the overview's link: the address holds a tag, the history entry the name.
    await page.goto(base + '/');
    await ready(page);
    // From the keyboard: the 20,000-letter link wraps over many lines, its middle under the sticky header.
    await page.locator('[data-testid=top-objects] a', { hasText: 'qqqq' }).focus();
    await page.keyboard.press('Enter');
    await shows(names.length - 1);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/risk');
    expect(url.href.length).toBeLessThan(200);
    await page.reload();
    await shows(names.length - 1);
    // Changing the range keeps the name too.
    await page.getByLabel('Time range').selectOption('-24h');
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('-24h');
    await shows(names.length - 1);
    // The tag alone (pasted in another tab) does not name it: a page says so, not an API error.
    const tab = await browser.context.newPage();
    try {
      await tab.goto(url.href);
      await tab.getByText('This address does not hold the risk object').waitFor();
    } finally {
      await tab.close();
    }
  });

  it('says when vigil serve does not answer, and comes back by itself when it does', async () => {
    const api = '**/api/**';
    const refuse = (r: Route) => r.abort('connectionrefused'); // what the browser gets from a stopped server
    await page.goto(base + '/findings');
    await ready(page);
    await page.route(api, refuse);
    try {
      // A page opened then: the error says what happened (it said "Failed to fetch") and the page asks again.
      await page.getByRole('link', { name: 'Detections', exact: true }).click();
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent()).toContain('vigil serve did not answer');
      expect(await alert.textContent()).toContain('Trying again every 5 s.');
      // A search then: the same words.
      await page.getByRole('link', { name: 'Search', exact: true }).click();
      await page.getByLabel('SPL search').fill('| makeresults count=1');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await expect.poll(() => page.locator('[data-testid=search-error]').textContent()).toContain('UNREACHABLE vigil serve did not answer');
      // The console loaded while the server did not answer: it said "Starting…" for ever.
      await page.goto(base + '/detections');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('vigil serve did not answer');
    } finally {
      await page.unroute(api, refuse);
    }
    // The server answers again: the page shows its data within the retry interval, without a reload.
    await page.locator('[data-testid=detections]').waitFor({ timeout: 10_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
  });
});

describe.skipIf(!haveChromium)('page speed with 1M events and 10k risk events', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launch>>;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness({ consoleDir: CONSOLE_DIR });
    const t = Date.now();
    const filled = await fillStore(h, { events: Number(process.env['E2E_EVENTS'] ?? 1_000_000), riskEvents: 10_000 });
    console.log(`e2e: stored ${filled.events.toLocaleString('en-US')} events and ${filled.riskEvents.toLocaleString('en-US')} risk events (${filled.findings} findings) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    browser = await launch();
    page = await browser.context.newPage();
    await page.goto(h.server.apiUrl + '/');
    await page.getByLabel('User name').fill(USER);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Risk overview' }).waitFor();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  // Has no Tetragon events (no process tree): the page-speed test measures the top object among the others.
  const AXIS_OBJECT = 'e2e-axis';

  it('risk overview: the chart’s y axis shows five-digit risk totals whole', async () => {
    // One hour's bucket at 75,000 (the issue's example, shown as "5,000" with the axis 50 px wide).
    const t = Date.now() / 1000 - 3600;
    const raw = { risk_object: AXIS_OBJECT, risk_object_type: 'system', risk_score: 75_000, risk_message: 'axis labels', search_name: SEED };
    await h.server.store.append([{ _time: t, index: 'risk', sourcetype: 'stash', source: SEED, host: 'vigil', _raw: JSON.stringify(raw) }]);
    await page.goto(h.server.apiUrl + '/');
    await ready(page);
    await page.locator('.chart-canvas .u-axis').nth(1).waitFor();
    // The labels the chart drew (left on the element by the chart), the y axis' box, and each label's width
    // in the font uPlot last drew text with on the chart's own canvas (the axis font, at the pixel ratio).
    const axis = (await page.evaluate(`(() => {
      const box = document.querySelector('.chart-canvas');
      const labels = JSON.parse(box.dataset.axisLabels || '[]');
      const ctx = box.querySelector('canvas').getContext('2d');
      const widths = labels.map((l) => ctx.measureText(l).width / devicePixelRatio);
      return { labels, widths, width: parseFloat(box.querySelectorAll('.u-axis')[1].style.width) };
    })()`)) as { labels: string[]; widths: number[]; width: number };
    expect(Math.max(...axis.labels.map((l) => l.replace(/\D/g, '').length))).toBeGreaterThanOrEqual(5);
    // Drawn right-aligned 10 px (tick) + 5 px (gap) left of the plot: each must start inside the box.
    for (const w of axis.widths) expect(10 + 5 + w).toBeLessThanOrEqual(axis.width);
  });

  it('measures and prints each page’s time to interactive (1M events, 10k risk events stored)', async () => {
    const client = new ConsoleClient(h.server.apiUrl);
    await client.login({ token: h.apiToken });
    const o = await client.json<Overview>('/api/overview?earliest=-24h');
    const { findings } = await client.json<{ findings: FindingSummary[] }>('/api/findings?limit=1');
    const pages: [string, string][] = [
      ['Risk overview', '/'],
      ['Risk object', `/risk/${encodeURIComponent(o.topObjects.find((t) => t.riskObject !== AXIS_OBJECT)!.riskObject)}?range=-24h`],
      ['Findings', '/findings'],
      ['Finding', `/findings/${findings[0]!.id}`],
      ['Detections', '/detections'],
      ['Detection', `/detections/${encodeURIComponent(SEED)}`],
      ['Search', '/search'],
      ['Ingest', '/ingest'],
    ];
    const rows: { page: string; tti: number }[] = [];
    let treeMs = 0;
    for (const [name, path] of pages) {
      // Twice: the first visit of a kind warms SQLite's page cache; report the worse of the two.
      let worst = 0;
      for (let i = 0; i < 2; i++) {
        await page.goto(h.server.apiUrl + path);
        worst = Math.max(worst, await ready(page));
      }
      rows.push({ page: name, tti: Math.round(worst) });
      if (name === 'Risk object') {
        // The process tree (raw Tetragon events of the pod) loads after the page is interactive.
        await page.getByRole('list', { name: 'Process tree' }).waitFor({ timeout: 30_000 });
        treeMs = Math.round((await page.evaluate('performance.now()')) as number);
      }
      await shot(page, `perf-${name.toLowerCase().replace(/\s+/g, '-')}`);
    }
    // Streaming search: time to the first results and to the end of a search over all the risk events.
    await page.goto(h.server.apiUrl + '/search');
    await ready(page);
    await page.getByLabel('SPL search').fill('index=risk | stats sum(risk_score) as risk count by risk_object | sort - risk');
    await page.getByLabel('Time range').selectOption('-24h');
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('[data-testid=results] tbody tr').first().waitFor({ timeout: 60_000 });
    const searchMs = Date.now() - t0;
    const stored = (await h.server.store.indexes()).reduce((n, i) => n + i.events, 0);
    console.log(`\ne2e: time to interactive (ms from navigation start to data shown), ${stored.toLocaleString('en-US')} events stored (10k risk events):`);
    console.table(rows);
    console.log(`e2e: risk object's process tree (raw events of the pod) shown ${treeMs} ms after navigation start`);
    console.log(`e2e: search over index=risk (10k risk events) to results shown: ${searchMs} ms\n`);
    // Timings are measured and printed, not asserted: a shared CI machine is too noisy for a hard limit
    // (the project's rule for timed checks); the issue's target is < 1 s per page.
    for (const r of rows) expect(r.tti, `${r.page} never became interactive`).toBeGreaterThan(0);
    const slow = rows.filter((r) => r.tti >= 1000);
    if (slow.length) console.log(`e2e: over the 1 s target on this run: ${slow.map((r) => `${r.page} ${r.tti} ms`).join(', ')}`);
  }, 300_000);
});
