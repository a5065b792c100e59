import { existsSync, readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { VigilError } from '../errors.js';
import type { ScheduleSettings } from './settings.js';
import { writePrivateFile } from '../store/file-modes.js';

/**
 * Detections enabled or disabled at run time (from the console or the API), kept in
 * `<dataDir>/detections.yml` (or, on a cluster, in the control plane: `file` null, `replace` with what it holds)
 * and layered over the config file's `detections:` section: a toggle for a detection id wins over the config's
 * patterns.
 */
export class DetectionToggles {
  private enabled = new Set<string>();
  private disabled = new Set<string>();

  constructor(private readonly file: string | null) {
    if (file === null || !existsSync(file)) return;
    try {
      const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as { enable?: unknown; disable?: unknown };
      for (const id of Array.isArray(doc.enable) ? doc.enable : []) if (typeof id === 'string') this.enabled.add(id);
      for (const id of Array.isArray(doc.disable) ? doc.disable : []) if (typeof id === 'string') this.disabled.add(id);
    } catch (e) {
      throw new VigilError('CONFIG', `${file}: ${(e as Error).message}`);
    }
  }

  /** Every toggle at once (a cluster node's copy of the control plane's). */
  replace(toggles: { enable: readonly string[]; disable: readonly string[] }): void {
    this.enabled = new Set(toggles.enable);
    this.disabled = new Set(toggles.disable);
  }

  set(detectionId: string, enabled: boolean): void {
    const on = new Set(this.enabled);
    const off = new Set(this.disabled);
    (enabled ? on : off).add(detectionId);
    (enabled ? off : on).delete(detectionId);
    // Saved first: a toggle that could not be saved (a full disk) took effect until the next restart, while the API said it failed.
    if (this.file !== null) writePrivateFile(this.file, stringify({ enable: [...on].sort(), disable: [...off].sort() }));
    this.enabled = on;
    this.disabled = off;
  }

  /** The settings with the toggles applied: they decide before the config's patterns. */
  apply(s: ScheduleSettings): ScheduleSettings {
    const overrides: Record<string, boolean> = { ...s.overrides };
    for (const id of this.enabled) overrides[id] = true;
    for (const id of this.disabled) overrides[id] = false;
    return { ...s, overrides };
  }
}
