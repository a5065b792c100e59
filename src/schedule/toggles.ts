import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { VigilError } from '../errors.js';
import type { ScheduleSettings } from './settings.js';
import { createPrivateFile } from '../store/file-modes.js';

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
    (enabled ? this.enabled : this.disabled).add(detectionId);
    (enabled ? this.disabled : this.enabled).delete(detectionId);
    if (this.file === null) return;
    // Write then rename: a crash never leaves a half-written file.
    const tmp = `${this.file}.tmp`;
    createPrivateFile(tmp); // 0600, like the rest of the data dir
    writeFileSync(tmp, stringify({ enable: [...this.enabled].sort(), disable: [...this.disabled].sort() }));
    renameSync(tmp, this.file);
  }

  /** The settings with the toggles applied: they decide before the config's patterns. */
  apply(s: ScheduleSettings): ScheduleSettings {
    const overrides: Record<string, boolean> = { ...s.overrides };
    for (const id of this.enabled) overrides[id] = true;
    for (const id of this.disabled) overrides[id] = false;
    return { ...s, overrides };
  }
}
