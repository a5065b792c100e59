import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccelerationService } from '../../src/acceleration/service.js';
import { accelerationSettings } from '../../src/acceleration/settings.js';
import { NOW, shopPack } from '../spl/datamodel/helpers.js';

/** The give-up of a summary worker that keeps dying is logged once, also when the service's own timer was waiting on it. */
const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-giveup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the summary worker given up on', () => {
  it('is said once while the timer runs (its pending catch-up failed with the same words, and they were logged again)', async () => {
    // No event store in the data dir: every worker dies opening it.
    const logs: string[] = [];
    const s = new AccelerationService(dir, { lastSeq: () => 0 }, accelerationSettings({ Shop: {} }, {}), shopPack(), 'UTC', () => NOW, (level, m) => logs.push(`${level}: ${m}`), { restartDelayMs: 5, maxRestarts: 2 });
    try {
      s.start();
      for (let i = 0; i < 200 && !logs.some((l) => l.includes('no longer updated')); i++) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 100));
      expect(logs.filter((l) => l.includes('no longer updated'))).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
