import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_TOKENS, loadConfig } from '../../src/config/index.js';
import { parseAlertConfig } from '../../src/outputs/index.js';
import { scheduleSettings } from '../../src/schedule/settings.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the documented example config', () => {
  it('loads without warnings but those about its published tokens, and every section parses', async () => {
    const example = join(import.meta.dirname, '..', '..', 'src', 'config', 'vigil.example.yml');
    const cfg = await loadConfig({ file: example, flags: { dataDir: dir } });
    // Copied whole, it served HEC and the API with tokens anyone can read, silently: each enabled one warns.
    const published = (what: string, name: string, line: number): string =>
      `${example}:${line}: ${what} "${name}" is the example's, published in vigil.example.yml: anyone can use it; replace it with your own (uuidgen)`;
    const lines = readFileSync(example, 'utf8').split('\n');
    const lineOf = (token: string): number => lines.findIndex((l) => l.includes(`token: ${token}`)) + 1;
    expect(cfg.warnings).toEqual([
      published('HEC token', 'tetragon', lineOf(cfg.hec.tokens[0]!.token)),
      published('HEC token', 'contentctl', lineOf(cfg.hec.tokens[1]!.token)),
      published('API token', 'analyst', lineOf(cfg.http.apiTokens[0]!.token)),
    ]);
    // EXAMPLE_TOKENS is every token the example publishes (uuids after "token:"), the disabled one and the alert action's included.
    expect([...readFileSync(example, 'utf8').matchAll(/^\s*token: ([0-9a-f-]{36})\s*$/gm)].map((m) => m[1]).sort()).toEqual([...EXAMPLE_TOKENS].sort());
    expect(cfg.hec.tokens.map((t) => t.name)).toEqual(['tetragon', 'contentctl', 'retired']);
    const alerts = parseAlertConfig(cfg.alertActions, { baseDir: dir });
    expect(alerts.actions.map((a) => a.type)).toEqual(['webhook', 'splunk_hec', 'file']);
    expect(alerts.routes).toHaveLength(2);
    expect(cfg.search).toEqual({ maxTimeSeconds: 300, maxMemoryBytes: 1024 ** 3, maxResults: 500_000, maxResultBytes: 100 * 1024 ** 2, maxConcurrent: 4, maxQueued: 32, maxMacroExpansions: 10_000, maxMacroChars: 1_000_000, maxBufferedBytes: 1024 ** 2, outputLookup: false, maxLookupRows: 1_000_000, maxLookupBytes: 100 * 1024 ** 2, maxLookupFiles: 1000, lookupLockWaitMs: 10_000 });
    const s = scheduleSettings(cfg.schedule, cfg.detections);
    expect(s).toMatchObject({ tz: 'UTC', maxLagSeconds: 86400, runTimeoutMs: 300000, realtime: ['Cisco Isovalent - Curl Execution With Insecure Flags'], backfillMaxPeriodSeconds: 31 * 86400, backfillMaxRuns: 50_000 });
  });
});
